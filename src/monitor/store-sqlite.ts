/**
 * The prediction store in one SQLite file (the default): WAL journal, so that readers never wait for
 * the writer and several cluster workers can write the same file; short busy timeout, because both
 * drivers are synchronous and a wait for the lock blocks the event loop (the log retries instead).
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqlPredictionStore } from './sql-store';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from './sql';
import {
  type SqliteConnection,
  type SqliteDriverName,
  type SqliteStatement,
  openSqlite,
} from './sqlite-driver';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` (tests). */
  readonly path: string;
  /** Default: node:sqlite where this Node has it, else better-sqlite3. */
  readonly driver?: SqliteDriverName;
  /** Longest wait for another connection's write lock, in ms (the event loop waits with it). */
  readonly busyTimeoutMs?: number;
  /** Extra PRAGMAs run after the standard ones (tests: `max_page_count` stands in for a full disk). */
  readonly pragmas?: readonly string[];
}

const STATEMENT_CACHE = 64;

class SqliteDatabase implements SqlDatabase {
  readonly kind = 'sqlite' as const;
  readonly rowsPerInsert = 1;
  private readonly statements = new Map<string, SqliteStatement>();
  /** Serialises this connection's work: a transaction's awaits must not let another caller in. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(readonly connection: SqliteConnection) {}

  private statement(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private readonly direct: SqlExecutor = {
    query: <R extends SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
      Promise.resolve(this.statement(sql).all(...params) as R[]),
    run: (sql: string, params: readonly SqlValue[] = []) =>
      Promise.resolve(Number(this.statement(sql).run(...params).changes)),
  };

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.lock.then(fn, fn);
    this.lock = result.catch(() => undefined);
    return result;
  }

  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.serialised(() => this.direct.query<R>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.serialised(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      // IMMEDIATE takes the write lock up front: a deferred transaction that reads first and then
      // writes can fail with SQLITE_BUSY in WAL mode, which no busy timeout resolves.
      this.connection.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.connection.exec('COMMIT');
        return result;
      } catch (error) {
        try {
          this.connection.exec('ROLLBACK');
        } catch {
          // SQLite already rolled back (e.g. SQLITE_FULL); nothing is left to undo.
        }
        throw error;
      }
    });
  }

  /** Statements without parameters or rows (PRAGMAs), in turn with the rest. */
  exec(sql: string): Promise<void> {
    return this.serialised(async () => this.connection.exec(sql));
  }

  close(): Promise<void> {
    return this.serialised(async () => {
      this.statements.clear();
      this.connection.close();
    });
  }
}

export class SqliteStore extends SqlPredictionStore {
  /**
   * Runs `PRAGMA statement` on the open connection: an operator's (and the tests') handle on
   * settings such as max_page_count (a size cap, which the failure tests use as a full disk).
   */
  async pragma(statement: string): Promise<void> {
    await (this.database as SqliteDatabase).exec(`PRAGMA ${statement}`);
  }
}

/**
 * SQLite writes the file and, in WAL mode, its -wal and -shm files beside it: the folder must be
 * writable. Checked first so that the log says what to do instead of SQLite's "unable to open
 * database file" (a read-only container, a host folder owned by another user).
 */
function ensureWritableFolder(file: string): void {
  const folder = path.dirname(path.resolve(file));
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const uid = typeof process.getuid === 'function' ? ` by uid ${process.getuid()}` : '';
    throw new Error(
      `the folder ${folder} (PREDICTION_LOG_PATH) is not writable${uid} (${code}): make it writable, or in the Docker image mount a volume there (docker run -v sift-data:/app/data; docs/deploy.md)`,
      { cause: error },
    );
  }
}

export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore('sqlite', async () => {
    if (options.path !== ':memory:') ensureWritableFolder(options.path);
    const connection = openSqlite(options.path, options.driver);
    try {
      // journal_mode first: on a file that is not a database this is where SQLite says so.
      connection.exec('PRAGMA journal_mode = WAL');
      connection.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 50))}`);
      // NORMAL in WAL mode: durable across a crash of the process; a power cut may lose the last
      // transactions, which a log accepts for the fsync it saves per batch.
      connection.exec('PRAGMA synchronous = NORMAL');
      connection.exec('PRAGMA foreign_keys = ON');
      for (const pragma of options.pragmas ?? []) connection.exec(`PRAGMA ${pragma}`);
    } catch (error) {
      connection.close();
      throw error;
    }
    return new SqliteDatabase(connection);
  });
}
