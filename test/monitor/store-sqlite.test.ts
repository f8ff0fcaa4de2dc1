/** The SQLite store against real SQLite files (node:sqlite or better-sqlite3, whichever this Node runs). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
