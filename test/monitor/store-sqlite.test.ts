/** The SQLite store against real SQLite files (node:sqlite or better-sqlite3, whichever this Node runs). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from '../../src/monitor/sqlite-driver';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { storeContract } from '../helpers/store-contract';

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sift-sqlite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite prediction store', () => {
  storeContract(async () => {
    const store = createSqliteStore({ path: path.join(dir, `contract-${++n}`, 'p.sqlite') });
    await store.open();
    return store;
  });
});

describe('SQLite migrations', () => {
  it('applies them once, reopens without change, and refuses a database newer than this code', async () => {
    const file = path.join(dir, 'migrations.sqlite');
    const first = createSqliteStore({ path: file });
    await first.open();
    await first.open();
    await first.close();
    const other = openSqlite(file);
    expect(other.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }]);
    other
      .prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (99, ?, 0)')
      .run('future');
    other.close();
    await expect(createSqliteStore({ path: file }).open()).rejects.toThrow(/schema version 99, newer/);
  });
});
