/**
 * The prediction log over a real PostgreSQL server that is down at start, stopped mid-run and
 * started again: predictions are served throughout, the log recovers by itself.
 */
import request from 'supertest';
import { defaultConfig } from '../../src/config';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { createPostgresStore } from '../../src/monitor/store-postgres';
import { startServer } from '../../src/server';
import { BUNDLES_DIR, captureLogger } from '../helpers/app';
import { describePostgres, startPostgres, type TestPostgres } from '../helpers/postgres';
import { record } from '../helpers/prediction-records';
import { waitUntil } from '../helpers/wait';

const FAST = { retryMinMs: 50, retryMaxMs: 200, retentionMs: 1e12, maxRows: 1e9, maxAttempts: 1000 };

describePostgres('prediction log over PostgreSQL', () => {
  let pg: TestPostgres;
  let n = 0;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.destroy();
  });

  const logs: ManagedPredictionLog[] = [];
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((l) => l.close()));
  });

  it('down at start: not opened, retries in the background, writes the queue once the server is up', async () => {
    const url = await pg.createDatabase(`down_${++n}`);
    await pg.stop();
    const captured = captureLogger('info');
    try {
      const log = createPredictionLog(
        createPostgresStore({ connectionString: url, connectTimeoutMs: 1000 }),
        {
          logger: captured.logger,
          ...FAST,
        },
      );
      logs.push(log);
      expect(await log.opened).toBe(false);
      expect(log.status().lastError).toMatch(/ECONNREFUSED|connect/i);
      const records = Array.from({ length: 30 }, () => record());
      for (const r of records) log.record(r);
      await waitUntil(() => log.status().failedWrites >= 3);
      expect(captured.lines().filter((l) => l.level === 'error')).toHaveLength(1);
    } finally {
      await pg.start();
    }
    const log = logs[0];
    await waitUntil(() => log.status().healthy && log.status().written === 30);
    expect(captured.text()).toContain('the store works again');
  });

  it('stopped mid-run and restarted: the failed batches are retried, nothing is half-written', async () => {
    const url = await pg.createDatabase(`midrun_${++n}`);
    const log = createPredictionLog(createPostgresStore({ connectionString: url, connectTimeoutMs: 1000 }), {
      logger: captureLogger('silent').logger,
      ...FAST,
    });
    logs.push(log);
    expect(await log.opened).toBe(true);
    const before = Array.from({ length: 50 }, () => record());
    for (const r of before) log.record(r);
    await log.flush();
    expect(log.status().written).toBe(50);

    await pg.stop();
    const during = Array.from({ length: 50 }, () => record());
    try {
      for (const r of during) log.record(r);
      await waitUntil(() => log.status().failedWrites >= 2);
      expect(log.status()).toMatchObject({ healthy: false, written: 50, queued: 50 });
    } finally {
      await pg.start();
    }
    await waitUntil(() => log.status().healthy && log.status().written === 100);
    expect(await log.store.getPrediction(during[49].id)).toEqual(during[49]);
    expect((await log.store.termCounts('tweets-mini', { since: 0, limit: 1 })).rows).toBe(100);
  });

  it('server with DATABASE_URL down at start: ready and serving, and the log opens when PostgreSQL is back', async () => {
    const url = await pg.createDatabase(`server_${++n}`);
    await pg.stop();
    const captured = captureLogger('info');
    let running: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      running = await startServer(
        defaultConfig({
          artifactsDir: BUNDLES_DIR,
          defaultModel: 'tweets-mini',
          port: 0,
          host: '127.0.0.1',
          predictionLog: true,
          databaseUrl: url,
        }),
        captured.logger,
      );
      await request(running.url).get('/ready').expect(200);
      await request(running.url).post('/predict').send({ text: 'Forest fire near La Ronge' }).expect(200);
      expect(captured.text()).toMatch(/prediction log not open; predictions are served without it/);
      expect(captured.text()).not.toContain('password');
    } finally {
      await pg.start();
    }
    await waitUntil(() => captured.text().includes('the store works again'), 60_000);
    expect(await running.shutdown('test')).toBe(0);
  }, 90_000);
});
