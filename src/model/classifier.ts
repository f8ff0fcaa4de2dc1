/**
 * A served model: the bundle's vectorizer + its classifier. Linear classifiers (classifier.json
 * kind `linear`, every version-1 bundle) run in-process for small batches and explanations and
 * through their ONNX session for large batches, in chunks whose dense input stays under a byte
 * budget; both paths give the same labels and values within float32 rounding and the card's golden
 * examples are checked through both at load. Every other classifier (kind `onnx`: trees, boosting,
 * neural networks, a user's own graph) runs only through ONNX; its label is the first maximum of the
 * probabilities (scikit-learn's rule), and its explanations are leave-one-term-out occlusions.
 */
import { serviceUnavailable } from '../errors';
import {
  createVectorizer,
  rowsPerChunk,
  toDense,
  type SparseRow,
  type VectorizedRow,
  type Vectorizer,
} from '../features/vectorizer';
import { buildTermTable, rowTerms, type TermTable } from '../features/terms';
import { compileUnicode } from '../text/unicode';
import { ServedModelLifetime } from './lifetime';
import { BUNDLE_FILES, BundleError, bundleHash, onnxProblem, readBundle, type Bundle } from './bundle';
import {
  applyPostTransform,
  argmax,
  argmaxFirst,
  contributions,
  createLinearLayer,
  decisionScores,
  hasTiedMaximum,
  type LinearLayer,
} from './linear';
import { decideLabels, multilabelPositives, numberArray } from './labels';
import type { ModelCard } from './schema';
import { describeRanked, occlusionExplanations } from './occlusion';
import { runSelfTest, type InferencePath, type PathPrediction, type SelfTestReport } from './selftest';
import { openClassifierSession, type ClassifierSession, type OnnxThreadOptions } from './session';
import type {
  Explanation,
  InputRow,
  LoadedModel,
  ModelStatus,
  PredictOptions,
  RowPrediction,
  TrainingTerm,
} from './types';

export interface ModelOptions {
  onnxThreads?: OnnxThreadOptions;
  /**
   * Batches of at least this many rows of a linear model run through ONNX, smaller ones in process
   * (default: none, every batch in process). Models without a linear layer always use ONNX.
   */
  onnxMinRows?: number;
  /** Upper bound for one dense ONNX input chunk, in bytes (default 4 MiB). */
  maxChunkBytes?: number;
}

/**
 * Linear models answer every batch in process (sparse dot products): batches of 1,000 rows at 8
 * connections, one worker, both paths in one run: 32 batches/s in process against 24 through ONNX,
 * and 137 MB resident 15 s after the load against 182 MB (onnxruntime's runs on dense chunks leave
 * ~50 MB of freed memory in glibc's main heap, which malloc_trim(0) gives back; the process cannot
 * call it). `npm run bench -- --tail` prints the same comparison for a build with another value.
 */
export const DEFAULT_ONNX_MIN_ROWS = Number.POSITIVE_INFINITY;
export const DEFAULT_MAX_CHUNK_BYTES = 4 * 1024 * 1024;
const DEFAULT_TOP_TERMS = 10;
/** Probabilities this close to 0.5 do not decide a multi-label z > 0 on their own (float32 rounding). */
const HALF_AMBIGUITY = 1e-6;

interface RowResult extends PathPrediction {
  values: Float32Array;
}

export class SiftModel extends ServedModelLifetime implements LoadedModel {
  readonly name: string;
  readonly card: ModelCard;
  readonly output: 'probabilities' | 'scores';
  readonly vectorizer: Vectorizer;
  /** The in-process linear layer; null for a classifier that only ONNX computes. */
  readonly layer: LinearLayer | null;
  readonly kind: 'linear' | 'onnx';
  /** The paths this model answers through (the self-test checks every one of them). */
  readonly paths: readonly InferencePath[];
  readonly width: number;
  readonly classes: number;
  readonly multilabel: boolean;
  /** kind onnx: the columns the graph can read (null: all); occlusion skips the others. */
  readonly usedFeatures: Int32Array | null;
  readonly dir: string;
  private session: ClassifierSession | null;
  private state: ModelStatus = { ready: false, reason: 'not self-tested yet' };
  readonly onnxMinRows: number;
  readonly chunkRows: number;
  private denseInput: Float32Array | null = null;
  private onnxTurn: Promise<unknown> = Promise.resolve();
  private readonly threshold: { positive: number; value: number } | null;
  selfTest: SelfTestReport | null = null;
  /** ONNX rows whose output was implausible and that were answered in-process instead. */
  onnxFallbacks = 0;
  /** Column → term key, built on the first request that asks for terms (the prediction log is on). */
  private termTable: TermTable | null = null;

  private constructor(
    bundle: Bundle,
    parts: { vectorizer: Vectorizer; layer: LinearLayer | null; session: ClassifierSession },
    options: ModelOptions,
  ) {
    super();
    const spec = bundle.classifier;
    this.dir = bundle.dir;
    this.card = bundle.card;
    this.name = bundle.card.name;
    this.output = spec.output;
    this.vectorizer = parts.vectorizer;
    this.layer = parts.layer;
    this.kind = spec.kind === 'onnx' ? 'onnx' : 'linear';
    this.paths = this.kind === 'onnx' ? ['onnx'] : ['linear', 'onnx'];
    this.width = spec.width;
    this.classes = bundle.card.classes.length;
    this.multilabel = spec.multilabel;
    this.usedFeatures =
      spec.kind === 'onnx' && spec.used_features !== null ? Int32Array.from(spec.used_features) : null;
    this.session = parts.session;
    this.onnxMinRows = options.onnxMinRows ?? DEFAULT_ONNX_MIN_ROWS;
    this.chunkRows = rowsPerChunk(this.width, options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES);
    const { positive_class: positive, threshold } = bundle.card;
    this.threshold =
      bundle.card.task === 'binary' &&
      this.output === 'probabilities' &&
      positive !== undefined &&
      threshold !== undefined &&
      threshold !== 0.5
        ? { positive, value: threshold }
        : null;
  }

  /** Reads, validates and opens a bundle, then runs its golden self-test. */
  static async load(bundle: Bundle, options: ModelOptions = {}): Promise<SiftModel> {
    // Pure parts first (a token_pattern JavaScript cannot reproduce fails here), then the session.
    const inFile = <T>(file: string, build: () => T): T => {
      try {
        return build();
      } catch (error) {
        throw new BundleError(bundle.dir, [`${file}: ${(error as Error).message}`]);
      }
    };
    const vectorizer = inFile(BUNDLE_FILES.vectorizer, () =>
      createVectorizer(bundle.vectorizer, compileUnicode(bundle.unicode)),
    );
    const spec = bundle.classifier;
    const layer =
      spec.kind === 'onnx' ? null : inFile(BUNDLE_FILES.classifier, () => createLinearLayer(spec));
    let session: ClassifierSession;
    try {
      session = await openClassifierSession(
        bundle.onnxPath,
        { width: spec.width, classes: bundle.card.classes.length, valuesOutput: spec.output },
        options.onnxThreads,
      );
    } catch (error) {
      throw onnxProblem(bundle.dir, error);
    }
    const model = new SiftModel(bundle, { vectorizer, layer, session }, options);
    const report = await runSelfTest(model, model.paths);
    model.selfTest = report;
    model.state = report.ready ? { ready: true } : { ready: false, reason: report.reason };
    return model;
  }

  status(): ModelStatus {
    return { ...this.state };
  }

  async predict(rows: readonly InputRow[], options: PredictOptions = {}): Promise<RowPrediction[]> {
    if (!this.state.ready) {
      throw serviceUnavailable(`model ${this.name} is not ready: ${this.state.reason}`);
    }
    if (rows.length === 0) return [];
    const path: InferencePath = this.layer === null || rows.length >= this.onnxMinRows ? 'onnx' : 'linear';
    try {
      const vectorized = this.vectorizer.transform(rows);
      const results = await this.infer(path, vectorized);
      const predictions = results.map((result, i) => this.toRowPrediction(vectorized[i], result, options));
      if (options.explain && this.layer === null) {
        const explanations = await occlusionExplanations(
          { usedFeatures: this.usedFeatures, describeColumn: (c) => this.vectorizer.describeColumn(c) },
          vectorized,
          predictions.map((p) => p.classIndex),
          results.map((r) => r.values),
          (perturbed) => this.inferOnnx(perturbed),
          options.topTerms ?? DEFAULT_TOP_TERMS,
        );
        predictions.forEach((p, i) => (p.explanation = explanations[i]));
      }
      return predictions;
    } catch (error) {
      const message = (error as Error).message;
      this.state = { ready: false, reason: `runtime failure (${path}): ${message}` };
      const failure = serviceUnavailable(`model ${this.name} failed and is no longer served`);
      (failure as Error & { cause?: unknown }).cause = error;
      throw failure;
    }
  }

  /** Runs rows through one path without readiness checks or thresholds (self-test, parity tests). */
  async predictVia(path: InferencePath, rows: readonly InputRow[]): Promise<RowResult[]> {
    return this.infer(path, this.vectorizer.transform(rows));
  }

  /** Runs already vectorized rows through one path (the self-test's probe rows). */
  async predictFeatures(path: InferencePath, rows: readonly VectorizedRow[]): Promise<RowResult[]> {
    return this.infer(path, rows);
  }

  /** The prediction the web layer sees, for an already vectorized row and its path result. */
  toRowPrediction(row: VectorizedRow, result: RowResult, options: PredictOptions = {}): RowPrediction {
    const { classIndex, positives } = decideLabels(result, {
      multilabel: this.multilabel,
      threshold: this.threshold,
      labelThresholds: this.card.label_thresholds,
    });
    const prediction: RowPrediction = {
      classIndex,
      positives,
      values: numberArray(result.values),
      coverage: { total: row.total, known: row.known, ratio: row.total === 0 ? 0 : row.known / row.total },
    };
    if (options.terms !== undefined && options.terms > 0) {
      prediction.terms = rowTerms(this.terms(), row, options.terms);
    }
    // Occlusion explanations (no linear layer) need a batched ONNX run: predict() adds them.
    if (options.explain && this.layer !== null) {
      prediction.explanation = this.explain(
        row,
        classIndex >= 0 ? classIndex : result.argmaxIndex,
        options.topTerms,
      );
    }
    return prediction;
  }

  trainingTerms(): readonly TrainingTerm[] {
    const table = this.terms();
    // Count blocks (CountVectorizer, use_idf off) keep no document frequencies: their terms are left out.
    const out: TrainingTerm[] = [];
    for (const b of table.blocks) {
      const { spec, idf } = this.vectorizer.blocks[b];
      if (idf === null) continue;
      for (let j = 0; j < spec.width; j++) {
        const key = table.keys[spec.offset + j];
        if (key !== undefined) out.push({ key, idf: idf[j] });
      }
    }
    return out;
  }

  private terms(): TermTable {
    this.termTable ??= buildTermTable(this.vectorizer);
    return this.termTable;
  }

  /** Exact contributions of a linear model (value × coefficient). */
  explain(row: VectorizedRow, classIndex: number, topTerms = DEFAULT_TOP_TERMS): Explanation {
    const layer = this.linear();
    const n = Math.max(0, Math.floor(topTerms));
    return {
      method: 'exact',
      classIndex,
      ...describeRanked((c) => this.vectorizer.describeColumn(c), contributions(layer, row, classIndex, n)),
      intercept: layer.intercepts[classIndex],
    };
  }

  private linear(): LinearLayer {
    if (this.layer === null) {
      throw new Error(
        `model ${this.name} (${this.kind}) has no in-process linear layer; it runs only through ONNX`,
      );
    }
    return this.layer;
  }

  private async infer(path: InferencePath, rows: readonly VectorizedRow[]): Promise<RowResult[]> {
    return path === 'linear' ? rows.map((row) => this.inferLinear(row)) : this.inferOnnx(rows);
  }

  private inferLinear(row: SparseRow): RowResult {
    const layer = this.linear();
    const z = decisionScores(layer, row);
    return {
      values: applyPostTransform(layer.postTransform, z, layer.multilabel),
      ...this.labelsFromScores(z),
    };
  }

  private labelsFromScores(z: Float32Array): { argmaxIndex: number; positives: number[] } {
    const layer = this.linear();
    const argmaxIndex = argmax(z, layer.ties);
    if (!layer.multilabel) return { argmaxIndex, positives: [argmaxIndex] };
    const positives: number[] = [];
    for (let k = 0; k < z.length; k++) if (z[k] > 0) positives.push(k);
    return { argmaxIndex, positives };
  }

  /**
   * ONNX calls take turns (session.run works on the main thread anyway), so they can share one
   * dense input buffer for the model's life: a fresh multi-MB buffer per request left ~40 MB more
   * resident after a burst of large batches (npm run bench).
   */
  private inferOnnx(rows: readonly SparseRow[]): Promise<RowResult[]> {
    const turn = this.onnxTurn.then(() => this.inferOnnxNow(rows));
    this.onnxTurn = turn.catch(() => undefined);
    return turn;
  }

  private async inferOnnxNow(rows: readonly SparseRow[]): Promise<RowResult[]> {
    const session = this.session;
    if (session === null) throw new Error('the ONNX session is closed');
    const classes = this.classes;
    const width = this.width;
    const results: RowResult[] = [];
    // Zero between calls: each chunk clears the cells it set once its run is over.
    this.denseInput ??= new Float32Array(this.chunkRows * width);
    const buffer = this.denseInput;
    for (let start = 0; start < rows.length; start += this.chunkRows) {
      const end = Math.min(rows.length, start + this.chunkRows);
      const dense = toDense(rows, width, start, end, buffer, false);
      let values: Float32Array;
      try {
        values = await session.run(dense, end - start);
      } finally {
        for (let r = start; r < end; r++) {
          const base = (r - start) * width;
          for (const column of rows[r].indices) dense[base + column] = 0;
        }
      }
      for (let r = start; r < end; r++) {
        const rowValues = values.slice((r - start) * classes, (r - start + 1) * classes);
        if (!this.plausible(rowValues)) {
          if (this.layer === null) {
            throw new Error(
              `model.onnx returned implausible probabilities [${Array.from(rowValues).join(', ')}]`,
            );
          }
          // A float32 graph can saturate where float64 does not (e.g. σ of very negative scores
          // before an L1 normalisation gives 0/0); that row gets the in-process answer instead.
          this.onnxFallbacks++;
          results.push(this.inferLinear(rows[r]));
          continue;
        }
        results.push({ values: rowValues, ...this.labelsFromValues(rows[r], rowValues) });
      }
    }
    return results;
  }

  /** Finite values; single-label probabilities that sum to 1. */
  private plausible(values: Float32Array): boolean {
    let sum = 0;
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) return false;
      sum += values[k];
    }
    return this.output !== 'probabilities' || this.multilabel || Math.abs(sum - 1) <= 1e-4;
  }

  /**
   * Labels from the ONNX output. The post-transforms are monotone, so a strict maximum of the values
   * is the maximum of z; only ties (float32 saturation, clipping) and probabilities within rounding
   * of 0.5 need the raw scores, which are recomputed from the sparse row.
   */
  private labelsFromValues(
    row: SparseRow,
    values: Float32Array,
  ): { argmaxIndex: number; positives: number[] } {
    const layer = this.layer;
    if (layer === null) {
      // scikit-learn's predict for every non-linear family: the first maximum of predict_proba.
      const argmaxIndex = argmaxFirst(values);
      if (this.multilabel) return { argmaxIndex, positives: multilabelPositives(values, undefined) };
      return { argmaxIndex, positives: [argmaxIndex] };
    }
    const post = layer.postTransform;
    if (!layer.multilabel) {
      if (post === 'none' || !hasTiedMaximum(values)) {
        const argmaxIndex = argmax(values, layer.ties);
        return { argmaxIndex, positives: [argmaxIndex] };
      }
      return this.labelsFromScores(decisionScores(layer, row));
    }
    if (post === 'none') return this.labelsFromScores(values);
    if (
      post === 'logistic' &&
      !values.some((v) => Math.abs(v - 0.5) <= HALF_AMBIGUITY) &&
      !hasTiedMaximum(values)
    ) {
      const positives: number[] = [];
      for (let k = 0; k < values.length; k++) if (values[k] > 0.5) positives.push(k);
      return { argmaxIndex: argmax(values, layer.ties), positives };
    }
    return this.labelsFromScores(decisionScores(layer, row));
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.denseInput = null;
    this.state = { ready: false, reason: 'closed' };
    if (session !== null) await session.release();
  }
}

/** Reads, validates and loads one bundle folder. Throws BundleError for an invalid bundle. */
export async function loadModel(dir: string, options: ModelOptions = {}): Promise<SiftModel> {
  const [bundle, version] = await Promise.all([readBundle(dir), bundleHash(dir).catch(() => '')]);
  const model = await SiftModel.load(bundle, options);
  model.version = version;
  model.versionLabel = bundle.card.version;
  return model;
}
