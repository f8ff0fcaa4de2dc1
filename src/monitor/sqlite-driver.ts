/**
 * One thin adapter over the two synchronous SQLite drivers Sift runs on: Node's built-in
 * `node:sqlite` (DatabaseSync; Node 22.13+ and the image's Node 24 without a flag) and
 * `better-sqlite3` (an optional dependency, for Node 20). Both offer exec() and
 * prepare().run/get/all with positional `?` parameters, which is all the store uses.
 */
import { createRequire } from 'node:module';

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number | bigint };
  all(...params: unknown[]): unknown[];
}

export interface SqliteConnection {
  readonly driver: SqliteDriverName;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

type Constructor = new (path: string) => Omit<SqliteConnection, 'driver'>;

// Node's own require, not the caller's module system: under jest a sandboxed require may not know
// `node:sqlite` as a built-in, and a native addon is loaded once per process anyway.
const nodeRequire = createRequire(__filename);

function load(driver: SqliteDriverName): Constructor {
  if (driver === 'node:sqlite')
    return (nodeRequire('node:sqlite') as { DatabaseSync: Constructor }).DatabaseSync;
  return nodeRequire('better-sqlite3') as Constructor;
}

/**
 * The driver to use: `node:sqlite` when this Node has it unflagged (trying to load it is the test:
 * Node 22.5–22.12 only has it behind --experimental-sqlite), else better-sqlite3.
 */
export function availableDriver(): SqliteDriverName {
  try {
    load('node:sqlite');
    return 'node:sqlite';
  } catch {
    try {
      load('better-sqlite3');
      return 'better-sqlite3';
    } catch (error) {
      throw new Error(
        `no SQLite driver: this Node (${process.version}) has no node:sqlite and better-sqlite3 is not installed (${error instanceof Error ? error.message : String(error)}); use Node 22.13+ or run npm install with optional dependencies`,
        { cause: error },
      );
    }
  }
}

export function openSqlite(path: string, driver: SqliteDriverName = availableDriver()): SqliteConnection {
  const Database = load(driver);
  const db = new Database(path);
  return {
    driver,
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    close: () => db.close(),
  };
}
