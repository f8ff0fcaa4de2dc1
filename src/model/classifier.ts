/**
 * A served model: the bundle's vectorizer + linear layer (in-process, for small batches and for
 * explanations) + its ONNX session (large batches, in chunks whose dense input stays under a byte
 * budget). Both paths produce the same labels and values within float32 rounding; the card's golden
 * examples are checked through both at load.
 */
import { serviceUnavailable } from '../errors';
import {
  createVectorizer,
  rowsPerChunk,
  toDense,
  type VectorizedRow,
  type Vectorizer,
} from '../features/vectorizer';
import { compileUnicode } from '../text/unicode';
import { BUNDLE_FILES, BundleError, readBundle, type Bundle } from './bundle';
import {
  applyPostTransform,
  argmax,
  contributions,
  createLinearLayer,
  decisionScores,
  hasTiedMaximum,
  type LinearLayer,
} from './linear';
import type { ModelCard } from './schema';
import { runSelfTest, type InferencePath, type PathPrediction, type SelfTestReport } from './selftest';
import { openClassifierSession, type ClassifierSession, type OnnxThreadOptions } from './session';
import type {
  Explanation,
  InputRow,
  LoadedModel,
  ModelStatus,
  PredictOptions,
  RowPrediction,
  TermContribution,
} from './types';

export interface ModelOptions {
  onnxThreads?: OnnxThreadOptions;
  /** Batches of at least this many rows run through ONNX; smaller ones in-process (default 256). */
  onnxMinRows?: number;
  /** Upper bound for one dense ONNX input chunk, in bytes (default 4 MiB). */
  maxChunkBytes?: number;
}

export const DEFAULT_ONNX_MIN_ROWS = 256;
export const DEFAULT_MAX_CHUNK_BYTES = 4 * 1024 * 1024;
const DEFAULT_TOP_TERMS = 10;
/** Probabilities this close to 0.5 do not decide a multi-label z > 0 on their own (float32 rounding). */
const HALF_AMBIGUITY = 1e-6;

interface RowResult extends PathPrediction {
  values: Float32Array;
}

export class SiftModel implements LoadedModel {
  readonly name: string;
  readonly card: ModelCard;
  readonly output: 'probabilities' | 'scores';
  readonly vectorizer: Vectorizer;
  readonly layer: LinearLayer;
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

  private constructor(
    bundle: Bundle,
    parts: { vectorizer: Vectorizer; layer: LinearLayer; session: ClassifierSession },
    options: ModelOptions,
  ) {
    this.dir = bundle.dir;
    this.card = bundle.card;
    this.name = bundle.card.name;
    this.output = bundle.classifier.output;
    this.vectorizer = parts.vectorizer;
    this.layer = parts.layer;
    this.session = parts.session;
    this.onnxMinRows = options.onnxMinRows ?? DEFAULT_ONNX_MIN_ROWS;
    this.chunkRows = rowsPerChunk(this.layer.width, options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES);
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
    const layer = inFile(BUNDLE_FILES.classifier, () => createLinearLayer(bundle.classifier));
    let session: ClassifierSession;
    try {
      session = await openClassifierSession(
        bundle.onnxPath,
        { width: layer.width, classes: layer.classes, valuesOutput: bundle.classifier.output },
        options.onnxThreads,
      );
    } catch (error) {
      const message = (error as Error).message;
      throw new BundleError(bundle.dir, [
        message.startsWith(BUNDLE_FILES.onnx) ? message : `${BUNDLE_FILES.onnx}: ${message}`,
      ]);
    }
    const model = new SiftModel(bundle, { vectorizer, layer, session }, options);
    const report = await runSelfTest(model);
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
    const path: InferencePath = rows.length >= this.onnxMinRows ? 'onnx' : 'linear';
    try {
      const vectorized = this.vectorizer.transform(rows);
      const results = await this.infer(path, vectorized);
      return results.map((result, i) => this.toRowPrediction(vectorized[i], result, options));
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
    let classIndex: number;
    let positives: number[];
    if (this.layer.multilabel) {
      positives = result.positives;
      classIndex = positives.length > 0 ? positives[0] : -1;
    } else {
      classIndex =
        this.threshold === null
          ? result.argmaxIndex
          : result.values[this.threshold.positive] > this.threshold.value
            ? this.threshold.positive
            : 1 - this.threshold.positive;
      positives = [classIndex];
    }
    const prediction: RowPrediction = {
      classIndex,
      positives,
      values: Array.from(result.values),
      coverage: { total: row.total, known: row.known, ratio: row.total === 0 ? 0 : row.known / row.total },
    };
    if (options.explain) {
      prediction.explanation = this.explain(
        row,
        classIndex >= 0 ? classIndex : result.argmaxIndex,
        options.topTerms,
      );
    }
    return prediction;
  }

  explain(row: VectorizedRow, classIndex: number, topTerms = DEFAULT_TOP_TERMS): Explanation {
    const n = Math.max(0, Math.floor(topTerms));
    const { toward, against } = contributions(this.layer, row, classIndex, n);
    const describe = ({
      column,
      contribution,
    }: {
      column: number;
      contribution: number;
    }): TermContribution => ({
      ...this.vectorizer.describeColumn(column),
      contribution,
    });
    return {
      classIndex,
      toward: toward.map(describe),
      against: against.map(describe),
      intercept: this.layer.intercepts[classIndex],
    };
  }

  private async infer(path: InferencePath, rows: readonly VectorizedRow[]): Promise<RowResult[]> {
    return path === 'linear' ? rows.map((row) => this.inferLinear(row)) : this.inferOnnx(rows);
  }

  private inferLinear(row: VectorizedRow): RowResult {
    const z = decisionScores(this.layer, row);
    return {
      values: applyPostTransform(this.layer.postTransform, z, this.layer.multilabel),
      ...this.labelsFromScores(z),
    };
  }

  private labelsFromScores(z: Float32Array): { argmaxIndex: number; positives: number[] } {
    const argmaxIndex = argmax(z, this.layer.ties);
    if (!this.layer.multilabel) return { argmaxIndex, positives: [argmaxIndex] };
    const positives: number[] = [];
    for (let k = 0; k < z.length; k++) if (z[k] > 0) positives.push(k);
    return { argmaxIndex, positives };
  }

  /**
   * ONNX calls take turns (session.run works on the main thread anyway), so they can share one
   * dense input buffer for the model's life: a fresh multi-MB buffer per request left ~40 MB more
   * resident after a burst of large batches (npm run bench).
   */
  private inferOnnx(rows: readonly VectorizedRow[]): Promise<RowResult[]> {
    const turn = this.onnxTurn.then(() => this.inferOnnxNow(rows));
    this.onnxTurn = turn.catch(() => undefined);
    return turn;
  }

  private async inferOnnxNow(rows: readonly VectorizedRow[]): Promise<RowResult[]> {
    const session = this.session;
    if (session === null) throw new Error('the ONNX session is closed');
    const classes = this.layer.classes;
    const width = this.layer.width;
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
    return this.output !== 'probabilities' || this.layer.multilabel || Math.abs(sum - 1) <= 1e-4;
  }

  /**
   * Labels from the ONNX output. The post-transforms are monotone, so a strict maximum of the values
   * is the maximum of z; only ties (float32 saturation, clipping) and probabilities within rounding
   * of 0.5 need the raw scores, which are recomputed from the sparse row.
   */
  private labelsFromValues(
    row: VectorizedRow,
    values: Float32Array,
  ): { argmaxIndex: number; positives: number[] } {
    const post = this.layer.postTransform;
    if (!this.layer.multilabel) {
      if (post === 'none' || !hasTiedMaximum(values)) {
        const argmaxIndex = argmax(values, this.layer.ties);
        return { argmaxIndex, positives: [argmaxIndex] };
      }
      return this.labelsFromScores(decisionScores(this.layer, row));
    }
    if (post === 'none') return this.labelsFromScores(values);
    if (
      post === 'logistic' &&
      !values.some((v) => Math.abs(v - 0.5) <= HALF_AMBIGUITY) &&
      !hasTiedMaximum(values)
    ) {
      const positives: number[] = [];
      for (let k = 0; k < values.length; k++) if (values[k] > 0.5) positives.push(k);
      return { argmaxIndex: argmax(values, this.layer.ties), positives };
    }
    return this.labelsFromScores(decisionScores(this.layer, row));
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
  return SiftModel.load(await readBundle(dir), options);
}
