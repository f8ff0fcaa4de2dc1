/**
 * The store on a worker thread (what the server uses from compiled code): the same contract over a
 * real SQLite file, and a full disk and its recovery through the thread. Under jest the thread gets
 * the TypeScript hook explicitly (the server's own runs inherit it or run compiled JavaScript).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPredictionLog } from '../../src/monitor/log';
import { createStore } from '../../src/monitor/store-thread';
import { serverStartCommand } from '../../bench/servers';
import { captureLogger } from '../helpers/app';
import { record } from '../helpers/prediction-records';
import { storeContract } from '../helpers/store-contract';
import { waitUntil } from '../helpers/wait';

const THREAD = { execArgv: ['-r', path.resolve(__dirname, '..', 'helpers', 'ts-register.js')] };
let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sift-thread-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite prediction store on a worker thread', () => {
  storeContract(async () => {
    const store = createStore(
      { kind: 'sqlite', options: { path: path.join(dir, `c-${++n}.sqlite`) } },
      { thread: THREAD },
    );
    expect(store.threaded).toBe(true);
    await store.open();
    return store;
  });
});

describe('store thread', () => {
  it('runs on the main thread where no thread can load the sources (jest without a hook)', async () => {
    const store = createStore({ kind: 'sqlite', options: { path: ':memory:' } });
    expect(store.threaded).toBe(false);
    await store.open();
    await store.close();
  });

  it('reports open errors from the thread, and a full disk and its recovery through the log', async () => {
    // Its folder cannot be made: a regular file stands where it should be.
    writeFileSync(path.join(dir, 'a-file'), '');
    const bad = createStore(
      { kind: 'sqlite', options: { path: path.join(dir, 'a-file', 'x.sqlite') } },
      { thread: THREAD },
    );
    await expect(bad.open()).rejects.toThrow(
      /a-file \(PREDICTION_LOG_PATH\) is not writable.*\((ENOTDIR|EEXIST)\).*mount a volume/,
    );
    await bad.close();

    const store = createStore(
      { kind: 'sqlite', options: { path: path.join(dir, 'full.sqlite') } },
      { thread: THREAD },
    );
    const log = createPredictionLog(store, {
      logger: captureLogger('silent').logger,
      retryMinMs: 20,
      retryMaxMs: 100,
      maxAttempts: 1000,
      retentionMs: 1e12,
      maxRows: 1e9,
    });
    try {
      expect(await log.opened).toBe(true);
      const pragma = (store as unknown as { pragma(s: string): Promise<void> }).pragma.bind(store);
      await pragma('max_page_count = 1');
      for (let i = 0; i < 50; i++) log.record(record({ inputs: { text: 'z'.repeat(3000) } }));
      await waitUntil(() => log.status().failedWrites >= 2);
      expect(log.status().lastError).toMatch(/full/i);
      await pragma('max_page_count = 1073741823');
      await waitUntil(() => log.status().healthy && log.status().written === 50);
    } finally {
      await log.close();
    }
  });
});

describe('store thread under the production node flags', () => {
  it('opens from a process started with `npm start` and the image flags', () => {
    // V8 flags in execArgv that a thread may not take (--max-semi-space-size): the 'auto' thread must still start.
    const script = `
      const { createStore } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'src', 'monitor', 'store-thread.ts'))});
      const store = createStore({ kind: 'sqlite', options: { path: ${JSON.stringify(path.join(dir, 'flags.sqlite'))} } });
      store.open().then(() => store.close()).then(
        () => console.log('opened threaded=' + store.threaded),
        (error) => { console.log('failed: ' + error.message); process.exitCode = 1; },
      );`;
    const output = execFileSync(
      process.execPath,
      [
        ...serverStartCommand(path.resolve(__dirname, '..', '..')).flags,
        '-r',
        THREAD.execArgv[1],
        '-e',
        script,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(output.trim()).toBe('opened threaded=true');
  });
});

describe('store thread restarts', () => {
  it('a thread that died is started again and the store reopened on the next call', async () => {
    const store = createStore(
      { kind: 'sqlite', options: { path: path.join(dir, 'restart.sqlite') } },
      { thread: THREAD },
    );
    await store.open();
    const r = record();
    await store.insertPredictions([r]);
    // Internals on purpose: nothing public kills the thread.
    await (store as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect(await store.getPrediction(r.id)).toEqual(r);
    await store.close();
    await expect(store.getPrediction(r.id)).rejects.toThrow(/not open/);
  });
});
