/**
 * The card's golden examples through every execution path a request can take: each row alone and
 * the rows as a batch in-process, the rows as one ONNX call, and a batch above the ONNX threshold
 * that spans several dense chunks (the golden rows repeated). A value more than 1e-5 away from
 * sklearn's or a different label and the model is not served. Readiness reports the first failure.
 *
 * Golden rows only reach the features they contain, so a model with both paths is also checked
 * for agreement between them on probe rows that together touch every column: an ONNX graph or a
 * classifier.json whose weights were changed anywhere fails, not only where the golden texts look.
 */
import type { VectorizedRow } from '../features/vectorizer';
import type { InputRow, LabelValue, ModelStatus } from './types';
import type { ModelCard } from './schema';

export const GOLDEN_TOLERANCE = 1e-5;

/**
 * Probabilities are compared absolutely; scores (unbounded decision values, float32 in the graph)
 * relative to their size.
 */
export function goldenTolerance(output: 'probabilities' | 'scores', expected: number): number {
  return output === 'scores' ? GOLDEN_TOLERANCE * Math.max(1, Math.abs(expected)) : GOLDEN_TOLERANCE;
}

export type InferencePath = 'linear' | 'onnx';

/** What one inference path yields for a row, before a tuned threshold is applied. */
export interface PathPrediction {
  values: ArrayLike<number>;
  /** sklearn's predict: the first maximum of the raw scores. */
  argmaxIndex: number;
  /** Multi-label: every label with z > 0; single-label: [argmaxIndex]. */
  positives: number[];
}

export interface SelfTestSubject {
  readonly card: ModelCard;
  readonly output: 'probabilities' | 'scores';
  predictVia(path: InferencePath, rows: readonly InputRow[]): Promise<PathPrediction[]>;
  /** Batches of at least this many rows go through ONNX (the golden rows are repeated to reach it). */
  readonly onnxMinRows?: number;
  /** Rows per dense ONNX chunk: the large batch spans more than one. */
  readonly chunkRows?: number;
  /** With predictFeatures: probe rows over every column compare the two paths. */
  readonly vectorizer?: { readonly width: number };
  predictFeatures?(path: InferencePath, rows: readonly VectorizedRow[]): Promise<PathPrediction[]>;
  /**
   * ONNX rows answered in-process because their output was implausible: on the moderate probe
   * rows that means a broken graph, which the fallback would otherwise hide.
   */
  readonly onnxFallbacks?: number;
}

/** The large batch stays small enough to keep start-up quick on a model with a tiny width. */
const MAX_SELFTEST_BATCH = 2048;
/** Probe rows compare the paths to each other: float32 accumulation differs, tampering far more. */
const PROBE_TOLERANCE = 1e-4;

interface Run {
  name: string;
  path: InferencePath;
  /** Golden row indices in call order; each call gets one group. */
  calls: number[][];
}

/** Every way a request's rows reach a path (see SiftModel.predict). */
function runsFor(subject: SelfTestSubject, paths: readonly InferencePath[], count: number): Run[] {
  const all = Array.from({ length: count }, (_, i) => i);
  const runs: Run[] = [];
  for (const path of paths) {
    if (path === 'linear') {
      runs.push({ name: 'linear, one row per call', path, calls: all.map((i) => [i]) });
      runs.push({ name: 'linear', path, calls: [all] });
      continue;
    }
    runs.push({ name: path, path, calls: [all] });
    // A finite onnxMinRows is where requests switch to ONNX: the large batch reaches it.
    const minRows = Number.isFinite(subject.onnxMinRows) ? (subject.onnxMinRows ?? 0) : 0;
    const wanted = Math.max(minRows, (subject.chunkRows ?? 0) + 1, count + 1);
    const size = Math.min(MAX_SELFTEST_BATCH, wanted);
    if (size > count) {
      runs.push({
        name: `${path}, batch of ${size}`,
        path,
        calls: [Array.from({ length: size }, (_, i) => i % count)],
      });
    }
  }
  return runs;
}

export interface SelfTestReport extends ModelStatus {
  /** Largest |Δ| between our values and sklearn's over all golden rows and paths. */
  maxDifference: number;
  checked: number;
}

function sameLabels(expected: LabelValue | LabelValue[], actual: LabelValue[], multilabel: boolean): boolean {
  if (!multilabel) return !Array.isArray(expected) && actual.length === 1 && actual[0] === expected;
  const want = (Array.isArray(expected) ? expected : [expected]).map(String).sort();
  const got = actual.map(String).sort();
  return want.length === got.length && want.every((v, i) => v === got[i]);
}

export async function runSelfTest(
  subject: SelfTestSubject,
  paths: readonly InferencePath[] = ['linear', 'onnx'],
): Promise<SelfTestReport> {
  const { card } = subject;
  const golden = card.golden;
  let maxDifference = 0;
  if (golden.length === 0) return { ready: true, maxDifference, checked: 0 };
  const multilabel = card.task === 'multilabel';
  const fail = (reason: string, difference: number, checked: number): SelfTestReport => ({
    ready: false,
    reason,
    maxDifference: difference,
    checked,
  });
  for (const run of runsFor(subject, paths, golden.length)) {
    const { path } = run;
    for (const call of run.calls) {
      let predictions: PathPrediction[];
      try {
        predictions = await subject.predictVia(
          path,
          call.map((i) => golden[i].inputs),
        );
        if (predictions.length !== call.length)
          throw new Error(`${predictions.length} answers for ${call.length} rows`);
      } catch (error) {
        return fail(`self-test failed on the ${run.name} path: ${(error as Error).message}`, Infinity, 0);
      }
      for (let n = 0; n < call.length; n++) {
        const i = call[n];
        const expected = golden[i];
        const got = predictions[n];
        const where = `golden example ${i} (${run.name}${call.length > golden.length ? `, row ${n}` : ''})`;
        for (let k = 0; k < expected.values.length; k++) {
          const d = Math.abs(got.values[k] - expected.values[k]);
          const tolerance = goldenTolerance(subject.output, expected.values[k]);
          if (!(d <= tolerance)) {
            return fail(
              `self-test: ${where}: value ${k} is ${got.values[k]}, sklearn says ${expected.values[k]} (|Δ| ${d.toExponential(2)} > ${tolerance})`,
              Number.isNaN(d) ? Infinity : d,
              i,
            );
          }
          maxDifference = Math.max(maxDifference, d);
        }
        // sklearn's predict is the argmax (or z > 0 per label); a tuned threshold is applied on top of it.
        const labels = (multilabel ? got.positives : [got.argmaxIndex]).map(
          (index) => card.classes[index]?.value,
        );
        if (
          labels.some((l) => l === undefined) ||
          !sameLabels(expected.label, labels as LabelValue[], multilabel)
        ) {
          return fail(
            `self-test: ${where}: label ${JSON.stringify(labels)}, sklearn says ${JSON.stringify(expected.label)}`,
            maxDifference,
            i,
          );
        }
      }
    }
  }
  const disagreement = await comparePathsOnProbes(subject, paths);
  if (disagreement !== undefined) return fail(disagreement, Infinity, golden.length);
  return { ready: true, maxDifference, checked: golden.length };
}

/**
 * Probe rows that together set every column once, with deterministic values in [0.05, 0.1] (small
 * enough that scores stay in the range where probabilities still move), through both paths.
 */
async function comparePathsOnProbes(
  subject: SelfTestSubject,
  paths: readonly InferencePath[],
): Promise<string | undefined> {
  const width = subject.vectorizer?.width;
  if (
    subject.predictFeatures === undefined ||
    width === undefined ||
    width === 0 ||
    !paths.includes('linear') ||
    !paths.includes('onnx')
  )
    return undefined;
  const count = Math.max(1, Math.min(subject.chunkRows ?? 32, 32, width));
  const rows: VectorizedRow[] = [];
  for (let r = 0; r < count; r++) {
    const columns = Math.ceil((width - r) / count);
    const indices = new Int32Array(columns);
    const values = new Float32Array(columns);
    for (let n = 0; n < columns; n++) {
      const column = r + n * count;
      indices[n] = column;
      // Alternating signs keep the sum of many terms near zero; a fixed hash spreads the sizes.
      const size = 0.05 + (((column * 2654435761) >>> 0) % 1000) / 20000;
      values[n] = (column % 2 === 0 ? size : -size) / Math.sqrt(Math.max(1, columns / 100));
    }
    rows.push({ indices, values, total: 0, known: 0 });
  }
  let linear: PathPrediction[];
  let onnx: PathPrediction[];
  try {
    linear = await subject.predictFeatures('linear', rows);
    const fallbacks = subject.onnxFallbacks ?? 0;
    onnx = await subject.predictFeatures('onnx', rows);
    const implausible = (subject.onnxFallbacks ?? 0) - fallbacks;
    if (implausible > 0)
      return `self-test: model.onnx gave implausible values (not finite, or probabilities not summing to 1) for ${implausible} of ${count} probe rows`;
  } catch (error) {
    return `self-test failed on the probe rows: ${(error as Error).message}`;
  }
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < linear[r].values.length; k++) {
      const a = linear[r].values[k];
      const b = onnx[r].values[k];
      const d = Math.abs(a - b);
      const tolerance = PROBE_TOLERANCE * Math.max(1, Math.abs(a));
      if (!(d <= tolerance)) {
        return `self-test: probe row ${r} (columns ≡ ${r} mod ${count}): value ${k} is ${b} through ONNX and ${a} in-process (|Δ| ${d.toExponential(2)} > ${tolerance}); model.onnx and classifier.json disagree`;
      }
    }
  }
  return undefined;
}
