/**
 * The real entry point with PREDICTION_LOG=on and two cluster workers on one SQLite file: each
 * worker opens its own log (the migrations run once between them) on a writer thread, serves, and
 * closes it on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { listeningUrl, spawnServer } from '../helpers/process';
import { waitUntil } from '../helpers/wait';

it('two workers share one SQLite log', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sift-cluster-log-'));
  const file = path.join(dir, 'predictions.sqlite');
  const server = spawnServer({
    ARTIFACTS_DIR: 'test/fixtures/bundles',
    WEB_CONCURRENCY: '2',
    PREDICTION_LOG: 'on',
    PREDICTION_LOG_PATH: file,
  });
  try {
    const url = listeningUrl(await server.waitFor(/sift listening on/, 80_000));
    const status = await fetch(`${url}/ready`).then((r) => r.status);
    expect(status).toBe(200);
    // Each worker writes its log in batches (at most LOG_FLUSH_MS late): wait for both lines.
    const opened = () => server.stdout().match(/"msg":"prediction log open"/g)?.length ?? 0;
    await waitUntil(() => opened() >= 2);
    expect(opened()).toBe(2);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(server.stdout().match(/"msg":"prediction log closed"/g)).toHaveLength(2);
    const store = createSqliteStore({ path: file });
    await store.open();
    expect(await store.termCounts('tweets-mini', { since: 0, limit: 1 })).toEqual({ rows: 0, terms: [] });
    await store.close();
  } finally {
    server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
