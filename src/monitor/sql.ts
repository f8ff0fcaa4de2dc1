/**
 * The little the prediction store needs from a SQL database, so that one store implementation
 * (sql-store.ts) serves SQLite and PostgreSQL: queries with `?` placeholders (the PostgreSQL side
 * numbers them), transactions, close. Each dialect is a file of its own (store-sqlite.ts,
 * store-postgres.ts).
 */
export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  /** Statements that return rows (SELECT, INSERT ... RETURNING). */
  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Statements that do not; resolves with the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Rows per INSERT statement: PostgreSQL gains from many (one round trip); SQLite from one, a
   * prepared statement re-run per row (no round trips; a long VALUES list costs a new prepare).
   */
  readonly rowsPerInsert: number;
  /** A statement that serialises migrations between processes, run first in their transaction. */
  readonly migrationLock?: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it rejects. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` → `$1, $2, ...` (PostgreSQL). The store's SQL has no `?` inside string literals. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** `(?, ?, ?), (?, ?, ?)`: the VALUES list of a multi-row INSERT. */
export function valuesList(rows: number, columns: number): string {
  const row = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(row).join(', ');
}
