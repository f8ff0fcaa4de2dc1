/**
 * The prediction log's contract (issue 12): what one logged prediction holds, the store that keeps
 * predictions and feedback (SQLite by default, PostgreSQL with DATABASE_URL), and the log the request
 * path hands records to. The capture side (routes, feedback, monitor page) and the storage side
 * (src/monitor/store-*.ts, migrations, the batched writer) meet only here.
 */

/** One prediction, one row of a request. */
export interface PredictionRecord {
  /** Random UUID; returned to the client as `prediction_id`, the key feedback refers to. */
  readonly id: string;
  /** Milliseconds since the epoch, when the answer was computed. */
  readonly time: number;
  readonly model: string;
  /** The bundle's content hash (LoadedModel.version); null when the model has none. */
  readonly version: string | null;
  readonly requestId: string | null;
  /** Route label of the request (`/predict`, `/invocations`, `form`, ...). */
  readonly route: string;
  /** Predicted class names: one for single-label models, every positive one for multi-label, [] for none. */
  readonly labels: readonly string[];
  /** Probability (or score) per class name, in the card's class order. */
  readonly probabilities: Readonly<Record<string, number>>;
  /** Tokens / n-grams the vectorizer produced and how many the vocabulary knows (Coverage). */
  readonly coverageTotal: number;
  readonly coverageKnown: number;
  /** Time the model step of the request took, in ms (shared by the rows of one batch). */
  readonly latencyMs: number;
  /** Input fields after redaction; null when inputs are not logged. */
  readonly inputs: Readonly<Record<string, string>> | null;
  /** Distinct vocabulary terms the row contained (at most a few dozen): what drift is measured on. */
  readonly terms: readonly string[];
}

export interface FeedbackRecord {
  readonly predictionId: string;
  /** The true class name(s), already checked against the model's card. */
  readonly labels: readonly string[];
  readonly time: number;
  /** Where it came from: the JSON API or the result page's "Was this right?" control. */
  readonly source: 'api' | 'form';
}

/** A prediction with its latest feedback: one row of the retraining export. */
export interface LabeledRow {
  readonly id: string;
  readonly time: number;
  readonly model: string;
  readonly version: string | null;
  readonly inputs: Readonly<Record<string, string>> | null;
  readonly predicted: readonly string[];
  readonly trueLabels: readonly string[];
}

/** What happened in one hour or day, for one model. */
export interface BucketStats {
  /** Bucket start, ms since the epoch (UTC hour or day). */
  readonly start: number;
  readonly predictions: number;
  /** Predictions per predicted class name. */
  readonly classCounts: Readonly<Record<string, number>>;
  /** Predictions whose row had no known token (coverageKnown = 0). */
  readonly lowSignal: number;
  /** Sum of coverageKnown / coverageTotal over predictions with coverageTotal > 0 (mean = sum / predictions). */
  readonly coverageSum: number;
  /** Predictions that received feedback, and how many of those the model got right. */
  readonly withFeedback: number;
  readonly correct: number;
}

export interface TermCount {
  readonly term: string;
  /** Predictions (rows) that contained the term. */
  readonly rows: number;
}

export type FeedbackOutcome = 'recorded' | 'unknown-prediction';

export interface PredictionStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Opens the database and applies pending migrations; rejects when it cannot. */
  open(): Promise<void>;
  /** One transaction: every record or none. */
  insertPredictions(records: readonly PredictionRecord[]): Promise<void>;
  /** Latest feedback wins; 'unknown-prediction' when no logged prediction has that id. */
  recordFeedback(feedback: FeedbackRecord): Promise<FeedbackOutcome>;
  getPrediction(id: string): Promise<PredictionRecord | undefined>;
  /** Predictions of `model` that have feedback, oldest first. */
  labeledRows(
    model: string | undefined,
    options?: { since?: number; limit?: number },
  ): AsyncIterable<LabeledRow>;
  buckets(model: string, options: { since: number; bucket: 'hour' | 'day' }): Promise<BucketStats[]>;
  /** Rows per term over [since, until), most frequent first, plus the number of rows in that window. */
  termCounts(
    model: string,
    options: { since: number; until?: number; limit: number },
  ): Promise<{ rows: number; terms: TermCount[] }>;
  /** Deletes predictions (and their feedback) older than `olderThan` or beyond the newest `maxRows`. */
  prune(options: { olderThan: number; maxRows: number }): Promise<number>;
  close(): Promise<void>;
}

export interface PredictionLogStatus {
  /** Records waiting to be written. */
  readonly queued: number;
  /** Records given up on (queue full or write failed), since start. */
  readonly dropped: number;
  readonly written: number;
  readonly failedWrites: number;
  /** False while the store is failing; the last error says why. */
  readonly healthy: boolean;
  readonly lastError?: string;
}

/**
 * What the request path holds. `record` never throws and never waits: records are queued and written
 * in batches off the request path; when the queue is full or the store is down they are dropped and
 * counted, and the prediction is served all the same.
 */
export interface PredictionLog {
  record(record: PredictionRecord): void;
  /** Reads (feedback, export, monitor page) go to the store directly; they may reject when it is down. */
  readonly store: PredictionStore;
  status(): PredictionLogStatus;
  /**
   * Longest a record waits in the queue before its batch is written: another process writing the
   * same store (a cluster worker, a replica on PostgreSQL) may take this long to make its record
   * readable.
   */
  readonly flushIntervalMs?: number;
  /** Writes what is queued (tests, shutdown). */
  flush(): Promise<void>;
  /** Flushes, then closes the store. */
  close(): Promise<void>;
}
