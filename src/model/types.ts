/**
 * What the web layer sees of a model. The inference core (text/, features/, model/) implements
 * these; routes and protocols depend only on them.
 */
import type { ModelCard } from './schema';

/** One request row: input field name → text. Missing optional fields are absent or ''. */
export type InputRow = Readonly<Record<string, string>>;

/** A class label as sklearn knows it (int or string). */
export type LabelValue = number | string;

export interface TermContribution {
  /** The vocabulary term (a word, an n-gram or a character n-gram). */
  term: string;
  /** The input field whose block produced it. */
  field: string;
  /**
   * The analyzer of that block, when the core reports it: the result page marks word terms on the
   * echoed text and lists character n-grams instead.
   */
  analyzer?: 'word' | 'char' | 'char_wb';
  /**
   * Toward the explained class (positive pushes toward it): feature value × coefficient (exact), or
   * how much its probability drops when the term is left out (occlusion).
   */
  contribution: number;
}

export interface Explanation {
  /**
   * `exact`: linear models, contribution = feature value × coefficient (plus the intercept).
   * `occlusion`: every other model, contribution = p(class) − p(class without that term), from one
   * batched ONNX run; `intercept` is then p(class) of a row without any known term.
   */
  method: 'exact' | 'occlusion';
  /** The class the contributions are measured toward (index into card.classes). */
  classIndex: number;
  /** Largest positive contributions first. */
  toward: TermContribution[];
  /** Most negative contributions first. */
  against: TermContribution[];
  intercept: number;
}

export interface Coverage {
  /** Tokens (word analyzers) or n-grams (char analyzers) the vectorizer produced from the row. */
  total: number;
  /** How many of them are in the vocabulary. */
  known: number;
  /** known / total, 0 when total is 0. */
  ratio: number;
}

export interface RowPrediction {
  /** Predicted class index (first maximum); for multi-label, the first positive label or -1. */
  classIndex: number;
  /** Multi-label models: indices of every positive label. Single-label: [classIndex]. */
  positives: number[];
  /** Probabilities (or scores) in card.classes order. */
  values: number[];
  coverage: Coverage;
  explanation?: Explanation;
  /** The row's distinct vocabulary terms (PredictOptions.terms asked for them): the prediction log's drift input. */
  terms?: string[];
  /** The prediction log's id of this row (set by predictRows when the log is on): `prediction_id`. */
  predictionId?: string;
}

export interface PredictOptions {
  explain?: boolean;
  /** How many terms each side of an explanation (default 10). */
  topTerms?: number;
  /** Report up to this many distinct vocabulary terms per row (RowPrediction.terms); 0 or absent: none. */
  terms?: number;
}

/** A vocabulary term as the prediction log keys it, with its idf when the bundle has one. */
export interface TrainingTerm {
  readonly key: string;
  readonly idf: number;
}

export interface ModelStatus {
  /** Loaded and its golden self-test passed. */
  ready: boolean;
  /** Why it is not ready (self-test difference, runtime failure...). */
  reason?: string;
}

export interface LoadedModel {
  readonly name: string;
  readonly card: ModelCard;
  readonly output: 'probabilities' | 'scores';
  /** The bundle's content hash (12 hex digits): what answered, in responses, logs and metrics. */
  readonly version?: string;
  /** The version folder's name (artifacts/NAME/VERSION/) or the card's version string. */
  readonly versionLabel?: string;
  status(): ModelStatus;
  /**
   * Counts one user of the model until the returned function is called: a reload closes a replaced
   * model only once nobody uses it. Absent: the model is never replaced.
   */
  retain?(): () => void;
  /**
   * Rows must already be validated (strings only). Rejects with an error whose `status` is 503
   * when the model is not ready or the runtime fails.
   */
  predict(rows: readonly InputRow[], options?: PredictOptions): Promise<RowPrediction[]>;
  /**
   * The terms RowPrediction.terms can hold, with their training idf (absent: the model has no idf,
   * so no training term frequencies): the baseline drift is measured against.
   */
  trainingTerms?(): readonly TrainingTerm[];
  /** Release native resources (ONNX session). */
  close(): Promise<void>;
}

/**
 * A bundle that could not be loaded, registered under its name (the card's when readable, else the
 * folder's) so requests for it get a 503 with the reason instead of falling through to another
 * model, and readiness can name it.
 */
export interface FailedModel {
  readonly name: string;
  readonly folder: string;
  readonly reason: string;
}

export interface VersionInfo {
  /** Content hash of the bundle. */
  version: string;
  /** Version folder name, or the card's version string. */
  label?: string;
  /** The bundle folder, relative to ARTIFACTS_DIR. */
  folder: string;
  ready: boolean;
  /** Served at the model's own routes. */
  default: boolean;
}

export interface ModelRegistry {
  /** Always a registered model: loaded, or failed to load (then it answers 503). */
  readonly defaultModel: string;
  /** Loaded models (ready or not). */
  list(): readonly LoadedModel[];
  get(name: string): LoadedModel | undefined;
  /** Models whose bundle failed to load; absent means none. */
  readonly failed?: readonly FailedModel[];
  /** One version of a model (content hash or version label); absent: only the served one is known. */
  getVersion?(name: string, version: string): LoadedModel | undefined;
  /** Every loaded version of a model, the served one marked default. */
  versions?(name: string): VersionInfo[];
  close(): Promise<void>;
}
