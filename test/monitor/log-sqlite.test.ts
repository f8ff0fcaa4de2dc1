/**
 * The batched prediction log over real SQLite files, and what happens when the file misbehaves: a
 * full disk (max_page_count caps the file the way a full disk does: SQLITE_FULL), a lock held by
 * another connection, garbage bytes instead of a database, a server started with any of these.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { defaultConfig } from '../../src/config';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { openSqlite } from '../../src/monitor/sqlite-driver';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { startServer } from '../../src/server';
import { BUNDLES_DIR, captureLogger } from '../helpers/app';
import { record } from '../helpers/prediction-records';
import { waitUntil } from '../helpers/wait';

let dir: string;
let n = 0;
const file = () => path.join(dir, `log-${++n}.sqlite`);
const FAST = { retryMinMs: 20, retryMaxMs: 100, retentionMs: 1e12, maxRows: 1e9, maxAttempts: 1000 };

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sift-log-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs: ManagedPredictionLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
});
function track(log: ManagedPredictionLog): ManagedPredictionLog {
  logs.push(log);
  return log;
}

describe('prediction log over SQLite', () => {
  it('writes what is recorded in batches and survives a restart', async () => {
    const target = file();
    const log = createPredictionLog(createSqliteStore({ path: target }), {
      logger: captureLogger('silent').logger,
      batchSize: 50,
      ...FAST,
    });
    expect(await log.opened).toBe(true);
    const records = Array.from({ length: 120 }, () => record());
    for (const r of records) log.record(r);
    await log.flush();
    expect(log.status()).toEqual({ queued: 0, dropped: 0, written: 120, failedWrites: 0, healthy: true });
    await log.close();

    const reopened = createSqliteStore({ path: target });
    await reopened.open();
    expect(await reopened.getPrediction(records[119].id)).toEqual(records[119]);
    expect((await reopened.termCounts('tweets-mini', { since: 0, limit: 1 })).rows).toBe(120);
    await reopened.close();
  });

  it('drops and counts what does not fit in the queue; record() never throws, even after close', async () => {
    const log = track(
      createPredictionLog(createSqliteStore({ path: file() }), {
        logger: captureLogger('silent').logger,
        maxQueued: 5,
        batchSize: 1000,
        ...FAST,
      }),
    );
    await log.opened;
    for (let i = 0; i < 8; i++) log.record(record());
    expect(log.status()).toMatchObject({ queued: 5, dropped: 3 });
    await log.close();
    expect(() => log.record(record())).not.toThrow();
    expect(log.status()).toMatchObject({ queued: 0, written: 5, dropped: 4 });
  });

  it('retention deletes by age and by rows', async () => {
    const now = Date.UTC(2026, 5, 1);
    const log = track(
      createPredictionLog(createSqliteStore({ path: file() }), {
        logger: captureLogger('silent').logger,
        ...FAST,
        retentionMs: 24 * 3_600_000,
        maxRows: 3,
        now: () => now,
      }),
    );
    await log.opened;
    const old = record({ time: now - 2 * 24 * 3_600_000 });
    const recent = Array.from({ length: 5 }, (_, i) => record({ time: now - 1000 + i }));
    for (const r of [old, ...recent]) log.record(r);
    await log.flush();
    expect(await log.prune()).toBe(3);
    expect(await log.store.getPrediction(old.id)).toBeUndefined();
    expect(await log.store.getPrediction(recent[1].id)).toBeUndefined();
    expect(await log.store.getPrediction(recent[2].id)).toBeDefined();
  });

  it('full disk: batches fail whole, the error is logged once, the log recovers when there is room', async () => {
    const captured = captureLogger('info');
    const store = createSqliteStore({ path: file() });
    const log = track(createPredictionLog(store, { logger: captured.logger, batchSize: 100, ...FAST }));
    await log.opened;
    log.record(record());
    await log.flush();
    // Cap the file at its current size: the next pages cannot be allocated (SQLITE_FULL).
    await store.pragma('max_page_count = 1');
    const big = Array.from({ length: 300 }, () => record({ inputs: { text: 'x'.repeat(2000) } }));
    for (const r of big) log.record(r);
    await waitUntil(() => log.status().failedWrites >= 3);
    expect(log.status()).toMatchObject({ healthy: false, written: 1, queued: 300 });
    expect(log.status().lastError).toMatch(/full/i);
    // Nothing of a failed batch is visible.
    expect(await store.getPrediction(big[0].id)).toBeUndefined();
    const errors = captured.lines().filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);

    await store.pragma('max_page_count = 1073741823');
    await waitUntil(() => log.status().healthy && log.status().queued === 0);
    expect(log.status()).toMatchObject({ written: 301, dropped: 0 });
    expect(await store.getPrediction(big[299].id)).toBeDefined();
    expect(captured.lines().filter((l) => l.level === 'error')).toHaveLength(1);
    expect(captured.text()).toContain('the store works again');
  });

  it('a batch the store keeps refusing is dropped after maxAttempts, and the rest goes on', async () => {
    const store = createSqliteStore({ path: file() });
    const log = track(
      createPredictionLog(store, {
        logger: captureLogger('silent').logger,
        ...FAST,
        maxAttempts: 2,
        batchSize: 10,
      }),
    );
    await log.opened;
    await store.pragma('max_page_count = 1');
    for (let i = 0; i < 10; i++) log.record(record({ inputs: { text: 'y'.repeat(5000) } }));
    await waitUntil(() => log.status().dropped === 10);
    await store.pragma('max_page_count = 1073741823');
    log.record(record());
    await log.flush();
    expect(log.status()).toMatchObject({ written: 1, dropped: 10, queued: 0, healthy: true });
  });

  it('locked database: writes wait in the queue while another connection holds the lock, then go through', async () => {
    const target = file();
    const store = createSqliteStore({ path: target });
    const log = track(createPredictionLog(store, { logger: captureLogger('silent').logger, ...FAST }));
    await log.opened;
    const other = openSqlite(target);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const records = Array.from({ length: 20 }, () => record());
      for (const r of records) log.record(r);
      await waitUntil(() => log.status().failedWrites >= 2);
      expect(log.status()).toMatchObject({ healthy: false, queued: 20, written: 0 });
      expect(log.status().lastError).toMatch(/locked|busy/i);
      other.exec('COMMIT');
      await waitUntil(() => log.status().healthy && log.status().written === 20);
      expect(await store.getPrediction(records[19].id)).toBeDefined();
    } finally {
      other.close();
    }
  });

  it('corrupt file at start: not opened, says why, retries, and opens once the file is replaced', async () => {
    const target = file();
    writeFileSync(target, Buffer.alloc(8192, 0x5a));
    const captured = captureLogger('info');
    const log = track(
      createPredictionLog(createSqliteStore({ path: target }), { logger: captured.logger, ...FAST }),
    );
    expect(await log.opened).toBe(false);
    expect(log.status()).toMatchObject({ healthy: false });
    expect(log.status().lastError).toMatch(/not a database/i);
    log.record(record());
    await expect(log.store.getPrediction('x')).rejects.toThrow(/not open/);
    await waitUntil(() => log.status().failedWrites >= 3);
    expect(captured.lines().filter((l) => l.level === 'error')).toHaveLength(1);
    rmSync(target);
    await waitUntil(() => log.status().healthy && log.status().written === 1);
  });
});

describe('server with PREDICTION_LOG=on over a corrupt SQLite file', () => {
  it('starts, stays ready and serves predictions; the log says what happened', async () => {
    const target = file();
    writeFileSync(target, 'this is not a database, just bytes '.repeat(200));
    const captured = captureLogger('info');
    const running = await startServer(
      defaultConfig({
        artifactsDir: BUNDLES_DIR,
        defaultModel: 'tweets-mini',
        port: 0,
        host: '127.0.0.1',
        predictionLog: true,
        predictionLogPath: target,
      }),
      captured.logger,
    );
    try {
      await request(running.url).get('/ready').expect(200);
      await request(running.url).post('/predict').send({ text: 'Forest fire near La Ronge' }).expect(200);
      expect(captured.text()).toMatch(/prediction log not open; predictions are served without it/);
      expect(captured.text()).toMatch(/not a database/);
    } finally {
      expect(await running.shutdown('test')).toBe(0);
    }
  });

  it('opens a good file, and closes the log after the requests on shutdown', async () => {
    const captured = captureLogger('info');
    const running = await startServer(
      defaultConfig({
        artifactsDir: BUNDLES_DIR,
        defaultModel: 'tweets-mini',
        port: 0,
        host: '127.0.0.1',
        predictionLog: true,
        predictionLogPath: path.join(dir, 'nested', 'folder', 'p.sqlite'),
      }),
      captured.logger,
    );
    await request(running.url).get('/ready').expect(200);
    expect(await running.shutdown('test')).toBe(0);
    const messages = captured.lines().map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['prediction log open', 'prediction log closed']));
    expect(messages.indexOf('prediction log closed')).toBeGreaterThan(
      messages.indexOf('shutting down: draining in-flight requests'),
    );
  });
});
