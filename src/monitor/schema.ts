/**
 * The prediction log's schema, as numbered migrations applied in order at open() and recorded in
 * schema_migrations. One text serves SQLite and PostgreSQL (only types both read the same way:
 * TEXT, BIGINT, INTEGER, DOUBLE PRECISION); a migration that cannot be written so gives the two
 * texts. Never edit a released migration: add the next number. docs/prediction-log.md explains
 * every table.
 */
import type { SqlDatabase } from './sql';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string | { readonly sqlite: string; readonly postgres: string };
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'predictions, feedback, hourly aggregates',
    sql: `
CREATE TABLE predictions (
  id TEXT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  model TEXT NOT NULL,
  model_version TEXT,
  request_id TEXT,
  route TEXT NOT NULL,
  labels TEXT NOT NULL,
  probabilities TEXT NOT NULL,
  coverage_total INTEGER NOT NULL,
  coverage_known INTEGER NOT NULL,
  latency_ms DOUBLE PRECISION NOT NULL,
  inputs TEXT,
  terms TEXT NOT NULL
);
CREATE INDEX predictions_model_at ON predictions (model, at_ms);
CREATE INDEX predictions_at ON predictions (at_ms);

CREATE TABLE feedback (
  prediction_id TEXT PRIMARY KEY REFERENCES predictions (id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  prediction_at_ms BIGINT NOT NULL,
  labels TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  source TEXT NOT NULL,
  correct INTEGER NOT NULL
);
CREATE INDEX feedback_model_prediction_at ON feedback (model, prediction_at_ms, prediction_id);

CREATE TABLE hourly_stats (
  model TEXT NOT NULL,
  hour_start BIGINT NOT NULL,
  predictions BIGINT NOT NULL,
  low_signal BIGINT NOT NULL,
  coverage_sum DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (model, hour_start)
);
CREATE TABLE hourly_classes (
  model TEXT NOT NULL,
  hour_start BIGINT NOT NULL,
  class_name TEXT NOT NULL,
  predictions BIGINT NOT NULL,
  PRIMARY KEY (model, hour_start, class_name)
);
CREATE TABLE hourly_terms (
  model TEXT NOT NULL,
  hour_start BIGINT NOT NULL,
  term TEXT NOT NULL,
  row_count BIGINT NOT NULL,
  PRIMARY KEY (model, hour_start, term)
);
CREATE INDEX hourly_stats_hour ON hourly_stats (hour_start);
CREATE INDEX hourly_classes_hour ON hourly_classes (hour_start);
CREATE INDEX hourly_terms_hour ON hourly_terms (hour_start);
`,
  },
];

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at_ms BIGINT NOT NULL
)`;

/** Statements of one migration text, split on `;` at line ends (the schema has none elsewhere). */
function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Applies the pending migrations in one transaction, after taking the dialect's migration lock, so
 * that several workers or replicas opening the same database at once apply each migration once.
 * Returns the versions applied. A database newer than this code (a version it does not know) is
 * refused rather than written with an old idea of the schema.
 */
export async function migrate(db: SqlDatabase, migrations = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (db.migrationLock !== undefined) await tx.query(db.migrationLock);
    await tx.run(CREATE_MIGRATIONS_TABLE);
    const rows = await tx.query<{ version: unknown }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0)
      throw new Error(
        `the prediction log database has schema version ${Math.max(...unknown)}, newer than this Sift knows (${Math.max(...known)}): upgrade Sift or use another database`,
      );
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      const text = typeof migration.sql === 'string' ? migration.sql : migration.sql[db.kind];
      for (const statement of statements(text)) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      done.push(migration.version);
    }
    return done;
  });
}
