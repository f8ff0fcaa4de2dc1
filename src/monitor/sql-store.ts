/**
 * The prediction store over a SQL database (sql.ts): one implementation for SQLite and PostgreSQL;
 * store-sqlite.ts and store-postgres.ts only connect. Every write is one transaction (a batch of
 * predictions and its hourly aggregates, or one feedback), so a reader never sees half of one.
 */
import type {
  BucketStats,
  FeedbackOutcome,
  FeedbackRecord,
  LabeledRow,
  PredictionRecord,
  PredictionStore,
  TermCount,
} from './types';
import { migrate } from './schema';
import { type SqlDatabase, type SqlExecutor, type SqlRow, type SqlValue, valuesList } from './sql';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Rows per DELETE when pruning: each chunk is its own short transaction (other writers wait less). */
const PRUNE_CHUNK = 5000;
/** Rows per page read by labeledRows. */
const PAGE = 500;

const PREDICTION_COLUMNS = [
  'id',
  'at_ms',
  'model',
  'model_version',
  'request_id',
  'route',
  'labels',
  'probabilities',
  'coverage_total',
  'coverage_known',
  'latency_ms',
  'inputs',
  'terms',
] as const;

export function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

/** Feedback is right when it names exactly the predicted classes (multi-label: the same set). */
export function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  const other = new Set(b);
  return set.size === other.size && [...set].every((label) => other.has(label));
}

function predictionValues(r: PredictionRecord): SqlValue[] {
  return [
    r.id,
    r.time,
    r.model,
    r.version,
    r.requestId,
    r.route,
    JSON.stringify(r.labels),
    JSON.stringify(r.probabilities),
    r.coverageTotal,
    r.coverageKnown,
    r.latencyMs,
    r.inputs === null ? null : JSON.stringify(r.inputs),
    JSON.stringify([...new Set(r.terms)]),
  ];
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = <T>(v: unknown): T => JSON.parse(String(v)) as T;

function predictionFromRow(row: SqlRow): PredictionRecord {
  return {
    id: String(row.id),
    time: Number(row.at_ms),
    model: String(row.model),
    version: text(row.model_version),
    requestId: text(row.request_id),
    route: String(row.route),
    labels: json<string[]>(row.labels),
    probabilities: json<Record<string, number>>(row.probabilities),
    coverageTotal: Number(row.coverage_total),
    coverageKnown: Number(row.coverage_known),
    latencyMs: Number(row.latency_ms),
    inputs: row.inputs === null ? null : json<Record<string, string>>(row.inputs),
    terms: json<string[]>(row.terms),
  };
}

interface HourlyAggregates {
  stats: SqlValue[][];
  classes: SqlValue[][];
  terms: SqlValue[][];
}

/**
 * What a batch adds to the hourly tables, one row per key, sorted by key: concurrent writers
 * (PostgreSQL replicas) then lock the same rows in the same order and cannot deadlock.
 */
export function hourlyAggregates(records: readonly PredictionRecord[]): HourlyAggregates {
  const stats = new Map<string, [string, number, number, number, number]>();
  const classes = new Map<string, [string, number, string, number]>();
  const terms = new Map<string, [string, number, string, number]>();
  for (const r of records) {
    const hour = floorTo(r.time, HOUR_MS);
    const key = `${r.model}\u0000${hour}`;
    const s = stats.get(key) ?? [r.model, hour, 0, 0, 0];
    s[2] += 1;
    if (r.coverageKnown === 0) s[3] += 1;
    if (r.coverageTotal > 0) s[4] += r.coverageKnown / r.coverageTotal;
    stats.set(key, s);
    for (const label of new Set(r.labels)) {
      const c = classes.get(`${key}\u0000${label}`) ?? [r.model, hour, label, 0];
      c[3] += 1;
      classes.set(`${key}\u0000${label}`, c);
    }
    for (const term of new Set(r.terms)) {
      const t = terms.get(`${key}\u0000${term}`) ?? [r.model, hour, term, 0];
      t[3] += 1;
      terms.set(`${key}\u0000${term}`, t);
    }
  }
  const sorted = <T extends SqlValue[]>(m: Map<string, T>): T[] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { stats: sorted(stats), classes: sorted(classes), terms: sorted(terms) };
}

async function insertChunked(
  tx: SqlExecutor,
  chunkRows: number,
  head: string,
  columns: number,
  rows: readonly SqlValue[][],
  tail: string,
): Promise<void> {
  const sql = cachedSql((n) => `${head} VALUES ${valuesList(n, columns)} ${tail}`);
  for (let i = 0; i < rows.length; i += chunkRows) {
    if (chunkRows === 1) await tx.run(sql(1), rows[i]);
    else {
      const chunk = rows.slice(i, i + chunkRows);
      await tx.run(sql(chunk.length), chunk.flat());
    }
  }
}

/**
 * The statement text for n rows, built once per n: SQLite's statement cache is keyed by the text,
 * and one string reused (its hash kept) is much cheaper to look up than a new one per row.
 */
function cachedSql(build: (rows: number) => string): (rows: number) => string {
  let rows = -1;
  let sql = '';
  return (n) => {
    if (n !== rows) {
      rows = n;
      sql = build(n);
    }
    return sql;
  };
}

export class SqlPredictionStore implements PredictionStore {
  readonly kind: 'sqlite' | 'postgres';
  private db: SqlDatabase | undefined;
  private opening: Promise<void> | undefined;

  constructor(
    kind: 'sqlite' | 'postgres',
    private readonly connect: () => Promise<SqlDatabase>,
  ) {
    this.kind = kind;
  }

  /** Idempotent: a second call while open (or opening) waits for the same connection. */
  open(): Promise<void> {
    if (this.db !== undefined) return Promise.resolve();
    this.opening ??= (async () => {
      const db = await this.connect();
      try {
        await migrate(db);
      } catch (error) {
        await db.close().catch(() => undefined);
        throw error;
      }
      this.db = db;
    })().finally(() => (this.opening = undefined));
    return this.opening;
  }

  protected get database(): SqlDatabase {
    if (this.db === undefined) throw new Error(`the prediction log (${this.kind}) is not open`);
    return this.db;
  }

  async insertPredictions(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return;
    const db = this.database;
    const chunkRows = db.rowsPerInsert;
    await db.transaction(async (tx) => {
      // A batch retried after a lost COMMIT acknowledgement must not count twice: only the rows
      // actually inserted here feed the aggregates.
      const inserted = new Set<string>();
      const sql = cachedSql(
        (n) =>
          `INSERT INTO predictions (${PREDICTION_COLUMNS.join(', ')}) VALUES ${valuesList(n, PREDICTION_COLUMNS.length)} ON CONFLICT (id) DO NOTHING RETURNING id`,
      );
      for (let i = 0; i < records.length; i += chunkRows) {
        const chunk = records.slice(i, i + chunkRows);
        const rows = await tx.query<{ id: unknown }>(sql(chunk.length), chunk.flatMap(predictionValues));
        for (const row of rows) inserted.add(String(row.id));
      }
      const fresh = inserted.size === records.length ? records : records.filter((r) => inserted.has(r.id));
      const { stats, classes, terms } = hourlyAggregates(fresh);
      await insertChunked(
        tx,
        chunkRows,
        'INSERT INTO hourly_stats (model, hour_start, predictions, low_signal, coverage_sum)',
        5,
        stats,
        `ON CONFLICT (model, hour_start) DO UPDATE SET predictions = hourly_stats.predictions + excluded.predictions,
           low_signal = hourly_stats.low_signal + excluded.low_signal, coverage_sum = hourly_stats.coverage_sum + excluded.coverage_sum`,
      );
      await insertChunked(
        tx,
        chunkRows,
        'INSERT INTO hourly_classes (model, hour_start, class_name, predictions)',
        4,
        classes,
        'ON CONFLICT (model, hour_start, class_name) DO UPDATE SET predictions = hourly_classes.predictions + excluded.predictions',
      );
      await insertChunked(
        tx,
        chunkRows,
        'INSERT INTO hourly_terms (model, hour_start, term, row_count)',
        4,
        terms,
        'ON CONFLICT (model, hour_start, term) DO UPDATE SET row_count = hourly_terms.row_count + excluded.row_count',
      );
    });
  }

  recordFeedback(feedback: FeedbackRecord): Promise<FeedbackOutcome> {
    return this.database.transaction(async (tx) => {
      const [prediction] = await tx.query('SELECT model, at_ms, labels FROM predictions WHERE id = ?', [
        feedback.predictionId,
      ]);
      if (prediction === undefined) return 'unknown-prediction';
      const correct = sameLabels(json<string[]>(prediction.labels), feedback.labels) ? 1 : 0;
      // Latest wins by the feedback's own time; an equal time means the later call.
      await tx.run(
        `INSERT INTO feedback (prediction_id, model, prediction_at_ms, labels, at_ms, source, correct)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (prediction_id) DO UPDATE SET labels = excluded.labels, at_ms = excluded.at_ms,
           source = excluded.source, correct = excluded.correct
         WHERE excluded.at_ms >= feedback.at_ms`,
        [
          feedback.predictionId,
          String(prediction.model),
          Number(prediction.at_ms),
          JSON.stringify(feedback.labels),
          feedback.time,
          feedback.source,
          correct,
        ],
      );
      return 'recorded';
    });
  }

  async getPrediction(id: string): Promise<PredictionRecord | undefined> {
    const [row] = await this.database.query('SELECT * FROM predictions WHERE id = ?', [id]);
    return row === undefined ? undefined : predictionFromRow(row);
  }

  async *labeledRows(
    model: string | undefined,
    options: { since?: number; limit?: number } = {},
  ): AsyncIterable<LabeledRow> {
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    let after: { at: number; id: string } | undefined;
    while (remaining > 0) {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (model !== undefined) {
        where.push('f.model = ?');
        params.push(model);
      }
      if (options.since !== undefined) {
        where.push('f.prediction_at_ms >= ?');
        params.push(options.since);
      }
      if (after !== undefined) {
        where.push('(f.prediction_at_ms > ? OR (f.prediction_at_ms = ? AND f.prediction_id > ?))');
        params.push(after.at, after.at, after.id);
      }
      const size = Math.min(PAGE, remaining);
      const rows = await this.database.query(
        `SELECT p.id, p.at_ms, p.model, p.model_version, p.inputs, p.labels, f.labels AS true_labels
         FROM feedback f JOIN predictions p ON p.id = f.prediction_id
         ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY f.prediction_at_ms, f.prediction_id LIMIT ${size}`,
        params,
      );
      for (const row of rows) {
        yield {
          id: String(row.id),
          time: Number(row.at_ms),
          model: String(row.model),
          version: text(row.model_version),
          inputs: row.inputs === null ? null : json<Record<string, string>>(row.inputs),
          predicted: json<string[]>(row.labels),
          trueLabels: json<string[]>(row.true_labels),
        };
      }
      remaining -= rows.length;
      if (rows.length < size) return;
      const last = rows[rows.length - 1];
      after = { at: Number(last.at_ms), id: String(last.id) };
    }
  }

  async buckets(model: string, options: { since: number; bucket: 'hour' | 'day' }): Promise<BucketStats[]> {
    const unit = options.bucket === 'day' ? DAY_MS : HOUR_MS;
    const since = floorTo(options.since, unit);
    const db = this.database;
    // The unit is written into the SQL as an integer literal: a bound JS number may arrive as a REAL
    // in SQLite, and the division must be an integer one.
    const [stats, classes, feedback] = await Promise.all([
      db.query(
        `SELECT (hour_start / ${unit}) * ${unit} AS start, SUM(predictions) AS predictions, SUM(low_signal) AS low_signal,
           SUM(coverage_sum) AS coverage_sum
         FROM hourly_stats WHERE model = ? AND hour_start >= ? GROUP BY 1 ORDER BY 1`,
        [model, since],
      ),
      db.query(
        `SELECT (hour_start / ${unit}) * ${unit} AS start, class_name, SUM(predictions) AS predictions
         FROM hourly_classes WHERE model = ? AND hour_start >= ? GROUP BY 1, 2`,
        [model, since],
      ),
      db.query(
        `SELECT (prediction_at_ms / ${unit}) * ${unit} AS start, COUNT(*) AS with_feedback, SUM(correct) AS correct
         FROM feedback WHERE model = ? AND prediction_at_ms >= ? GROUP BY 1`,
        [model, since],
      ),
    ]);
    const byStart = new Map<
      number,
      { classCounts: Record<string, number>; withFeedback: number; correct: number }
    >();
    const entry = (start: number) => {
      let e = byStart.get(start);
      if (e === undefined) byStart.set(start, (e = { classCounts: {}, withFeedback: 0, correct: 0 }));
      return e;
    };
    for (const row of classes)
      entry(Number(row.start)).classCounts[String(row.class_name)] = Number(row.predictions);
    for (const row of feedback) {
      const e = entry(Number(row.start));
      e.withFeedback = Number(row.with_feedback);
      e.correct = Number(row.correct);
    }
    return stats.map((row) => {
      const start = Number(row.start);
      const e = entry(start);
      return {
        start,
        predictions: Number(row.predictions),
        classCounts: e.classCounts,
        lowSignal: Number(row.low_signal),
        coverageSum: Number(row.coverage_sum),
        withFeedback: e.withFeedback,
        correct: e.correct,
      };
    });
  }

  async termCounts(
    model: string,
    options: { since: number; until?: number; limit: number },
  ): Promise<{ rows: number; terms: TermCount[] }> {
    // Hour granularity: the window covers the hours that start in [since floored to the hour, until).
    const since = floorTo(options.since, HOUR_MS);
    const until = options.until ?? Number.MAX_SAFE_INTEGER;
    const limit = Math.max(0, Math.floor(options.limit));
    const db = this.database;
    const [total, terms] = await Promise.all([
      db.query(
        'SELECT SUM(predictions) AS n FROM hourly_stats WHERE model = ? AND hour_start >= ? AND hour_start < ?',
        [model, since, until],
      ),
      db.query(
        `SELECT term, SUM(row_count) AS n FROM hourly_terms WHERE model = ? AND hour_start >= ? AND hour_start < ?
         GROUP BY term ORDER BY n DESC, term LIMIT ${limit}`,
        [model, since, until],
      ),
    ]);
    return {
      rows: Number(total[0]?.n ?? 0),
      terms: terms.map((row) => ({ term: String(row.term), rows: Number(row.n) })),
    };
  }

  async prune(options: { olderThan: number; maxRows: number }): Promise<number> {
    const db = this.database;
    let deleted = 0;
    // Feedback goes with its prediction (ON DELETE CASCADE).
    for (;;) {
      const n = await db.run(
        `DELETE FROM predictions WHERE id IN (SELECT id FROM predictions WHERE at_ms < ? LIMIT ${PRUNE_CHUNK})`,
        [options.olderThan],
      );
      deleted += n;
      if (n < PRUNE_CHUNK) break;
    }
    const [count] = await db.query('SELECT COUNT(*) AS n FROM predictions');
    let excess = Number(count?.n ?? 0) - options.maxRows;
    while (excess > 0) {
      const n = await db.run(
        `DELETE FROM predictions WHERE id IN (SELECT id FROM predictions ORDER BY at_ms, id LIMIT ${Math.min(PRUNE_CHUNK, excess)})`,
      );
      if (n === 0) break;
      deleted += n;
      excess -= n;
    }
    // The hourly aggregates are kept for the same age as the rows (not cut by maxRows: they are
    // counts, small, and the monitor page's history should not shrink with traffic).
    const hour = floorTo(options.olderThan, HOUR_MS);
    for (const table of ['hourly_stats', 'hourly_classes', 'hourly_terms'])
      await db.run(`DELETE FROM ${table} WHERE hour_start < ?`, [hour]);
    return deleted;
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    const db = this.db;
    this.db = undefined;
    await db?.close();
  }
}
