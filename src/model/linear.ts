/**
 * The classifier's linear layer in-process over sparse rows: z = x·Cᵀ + b, then the same
 * post-transform as the ONNX graph. Accumulates in float64 and rounds z to float32 (the ONNX
 * graph's type); post-transforms are computed from that float32 z and rounded to float32.
 */
import type { SparseRow } from '../features/vectorizer';
import type { LinearClassifierSpec } from './schema';

export type PostTransform = LinearClassifierSpec['post_transform'];

export interface LinearLayer {
  readonly classes: number;
  readonly width: number;
  readonly postTransform: PostTransform;
  readonly multilabel: boolean;
  /**
   * Which class wins a tie of the raw scores: sklearn's own classifiers take the first maximum;
   * OneVsRestClassifier.predict keeps the last one (`argmaxima[maxima == pred] = i`).
   */
  readonly ties: 'first' | 'last';
  /** Coefficients by column: the C weights of feature j are at [j·C, (j+1)·C). */
  readonly weightsByColumn: Float32Array;
  readonly intercepts: Float32Array;
}

export function createLinearLayer(spec: LinearClassifierSpec): LinearLayer {
  const classes = spec.intercepts.length;
  const width = spec.width;
  const weightsByColumn = new Float32Array(width * classes);
  spec.coefficients.forEach((row, k) => {
    if (row.length !== width)
      throw new RangeError(`coefficients[${k}] has ${row.length} values, width is ${width}`);
    for (let j = 0; j < width; j++) weightsByColumn[j * classes + k] = row[j];
  });
  return {
    classes,
    width,
    postTransform: spec.post_transform,
    multilabel: spec.multilabel,
    ties: !spec.multilabel && spec.estimator.startsWith('OneVsRestClassifier') ? 'last' : 'first',
    weightsByColumn,
    intercepts: Float32Array.from(spec.intercepts),
  };
}

/** Raw scores z (float32) for one sparse row. */
export function decisionScores(layer: LinearLayer, row: SparseRow): Float32Array {
  const c = layer.classes;
  const acc = new Float64Array(c);
  for (let k = 0; k < c; k++) acc[k] = layer.intercepts[k];
  const weights = layer.weightsByColumn;
  const { indices, values } = row;
  for (let n = 0; n < indices.length; n++) {
    const base = indices[n] * c;
    const x = values[n];
    for (let k = 0; k < c; k++) acc[k] += x * weights[base + k];
  }
  return Float32Array.from(acc);
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const clip = (z: number): number => (z < -1 ? -1 : z > 1 ? 1 : z);

/** log σ(z), accurate for large |z|. */
const logSigmoid = (z: number): number => (z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z)));

/**
 * Probabilities (or the scores themselves for `none`) from raw scores. Multi-label models transform
 * each column on its own (no normalisation across labels).
 */
export function applyPostTransform(kind: PostTransform, z: Float32Array, multilabel = false): Float32Array {
  const c = z.length;
  const out = new Float32Array(c);
  switch (kind) {
    case 'none':
      out.set(z);
      return out;
    case 'logistic':
      for (let k = 0; k < c; k++) out[k] = sigmoid(z[k]);
      return out;
    case 'logistic_l1': {
      // σ(z_k) / Σ σ(z_j), computed as a softmax of log σ(z) so that very negative scores (all σ
      // below float32's range) still give sklearn's float64 answer.
      const logP = new Float64Array(c);
      let max = -Infinity;
      for (let k = 0; k < c; k++) {
        logP[k] = logSigmoid(z[k]);
        if (logP[k] > max) max = logP[k];
      }
      let sum = 0;
      for (let k = 0; k < c; k++) {
        logP[k] = Math.exp(logP[k] - max);
        sum += logP[k];
      }
      for (let k = 0; k < c; k++) out[k] = logP[k] / sum;
      return out;
    }
    case 'softmax': {
      let max = -Infinity;
      for (let k = 0; k < c; k++) if (z[k] > max) max = z[k];
      const e = new Float64Array(c);
      let sum = 0;
      for (let k = 0; k < c; k++) {
        e[k] = Math.exp(z[k] - max);
        sum += e[k];
      }
      for (let k = 0; k < c; k++) out[k] = e[k] / sum;
      return out;
    }
    case 'modified_huber': {
      // sklearn SGDClassifier.predict_proba: binary [1 − p, p] with p = (clip(d) + 1) / 2 and
      // d = z[1] (the second row is +w); multiclass: the same per class, divided by the row sum
      // (uniform when the sum is 0); multi-label (one-vs-rest): p per label.
      if (multilabel) {
        for (let k = 0; k < c; k++) out[k] = (clip(z[k]) + 1) / 2;
        return out;
      }
      if (c === 2) {
        const p = (clip(z[1]) + 1) / 2;
        out[0] = 1 - p;
        out[1] = p;
        return out;
      }
      const p = new Float64Array(c);
      let sum = 0;
      for (let k = 0; k < c; k++) {
        p[k] = (clip(z[k]) + 1) / 2;
        sum += p[k];
      }
      for (let k = 0; k < c; k++) out[k] = sum === 0 ? 1 / c : p[k] / sum;
      return out;
    }
  }
}

/** Index of the first maximum. */
export function argmaxFirst(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

/** Index of the maximum, ties going to the first or the last one. */
export function argmax(values: ArrayLike<number>, ties: 'first' | 'last'): number {
  if (ties === 'first') return argmaxFirst(values);
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] >= values[best]) best = k;
  return best;
}

/** Whether the maximum of `values` is reached more than once. */
export function hasTiedMaximum(values: ArrayLike<number>): boolean {
  const best = argmaxFirst(values);
  for (let k = best + 1; k < values.length; k++) if (values[k] === values[best]) return true;
  return false;
}

export interface ColumnContribution {
  column: number;
  contribution: number;
}

/**
 * value × coefficient of every non-zero feature toward `classIndex`: the `n` largest positive ones
 * (largest first) and the `n` most negative ones (most negative first).
 */
export function contributions(
  layer: LinearLayer,
  row: SparseRow,
  classIndex: number,
  n: number,
): { toward: ColumnContribution[]; against: ColumnContribution[] } {
  const c = layer.classes;
  const scored: ColumnContribution[] = [];
  for (let i = 0; i < row.indices.length; i++) {
    const column = row.indices[i];
    scored.push({ column, contribution: row.values[i] * layer.weightsByColumn[column * c + classIndex] });
  }
  return rankContributions(scored, n);
}

/**
 * The `n` largest positive contributions (largest first) and the `n` most negative ones (most
 * negative first); zeros are dropped, ties ordered by column.
 */
export function rankContributions(
  scored: readonly ColumnContribution[],
  n: number,
): { toward: ColumnContribution[]; against: ColumnContribution[] } {
  const toward = scored
    .filter((s) => s.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution || a.column - b.column);
  const against = scored
    .filter((s) => s.contribution < 0)
    .sort((a, b) => a.contribution - b.contribution || a.column - b.column);
  return { toward: toward.slice(0, n), against: against.slice(0, n) };
}
