/**
 * The prediction store in PostgreSQL (DATABASE_URL), for several replicas sharing one log. `pg` is
 * pure JavaScript; its pool reconnects by itself once the server is back, so a failed query is all
 * a restart of PostgreSQL costs (the log retries the batch).
 */
import { Pool, type PoolClient } from 'pg';
import { SqlPredictionStore } from './sql-store';
import { type SqlDatabase, type SqlExecutor, type SqlRow, type SqlValue, numberPlaceholders } from './sql';

export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** Connections per process (each cluster worker has its own pool). */
  readonly maxConnections?: number;
  /** Longest wait for a connection, and for one statement, in ms. */
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  /** Told when the pool loses an idle connection (the server restarted); default: ignored. */
  readonly onIdleError?: (error: Error) => void;
}

/** Any constant: the key of the advisory lock that serialises migrations across replicas. */
const MIGRATION_LOCK_KEY = 5_170_312;

function executor(client: Pool | PoolClient): SqlExecutor {
  return {
    async query<R extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
      const result = await client.query<R>(numberPlaceholders(sql), [...params]);
      return result.rows;
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      const result = await client.query(numberPlaceholders(sql), [...params]);
      return result.rowCount ?? 0;
    },
  };
}

class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  /** Well under PostgreSQL's 65535 parameters per statement (13 columns × 500). */
  readonly rowsPerInsert = 500;
  readonly migrationLock = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
  private readonly direct: SqlExecutor;

  constructor(private readonly pool: Pool) {
    this.direct = executor(pool);
  }

  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    return this.direct.query<R>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection is gone; the server has rolled back. Do not give it back to the pool.
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export function createPostgresStore(options: PostgresStoreOptions): SqlPredictionStore {
  return new SqlPredictionStore('postgres', async () => {
    const pool = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      query_timeout: (options.statementTimeoutMs ?? 10_000) + 2000,
      idleTimeoutMillis: 30_000,
      application_name: 'sift',
    });
    // Without a listener an idle connection dropped by the server (restart, failover) would be an
    // uncaught 'error' event and end the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    try {
      // Fail here, not on the first write, when the server is unreachable or refuses us.
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return new PostgresDatabase(pool);
  });
}
