/**
 * Retraining on production data is one command: predictions with feedback, exported by
 * GET /feedback.csv, are a CSV scripts/train.py accepts as --data. Runs the real train.py with
 * /usr/bin/python3 (skipped when Python or scikit-learn is missing on this machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { defaultConfig } from '../../src/config';
import type { SiftRegistry } from '../../src/model/registry';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { createMetrics } from '../../src/ops/metrics';
import { captureLogger, loadFixtureRegistry } from '../helpers/app';

const PYTHON = '/usr/bin/python3';
const REPO = path.resolve(__dirname, '..', '..');
const hasSklearn =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ['-c', 'import sklearn, onnx, pandas'], { stdio: 'ignore' }).status === 0;
const maybe = hasSklearn ? it : it.skip;

// Made-up texts (never rows of ../shared/data): two kinds the quick grid can tell apart.
const DISASTERS = [
  'forest fire near the town',
  'flood waters rising fast',
  'earthquake shakes the city',
  'wildfire spreads, evacuation ordered',
  'storm destroys houses near the river',
];
const CALM = [
  'what a lovely sunny day',
  'just had the best pizza',
  'i love my new shoes',
  'watching a movie tonight',
  'coffee with friends this morning',
];

let dir: string;
let registry: SiftRegistry;
let log: ManagedPredictionLog;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sift-retrain-'));
  registry = await loadFixtureRegistry();
  log = createPredictionLog(createSqliteStore({ path: path.join(dir, 'log.sqlite') }), {
    logger: captureLogger('silent').logger,
    flushIntervalMs: 10,
    retentionMs: 1e12,
    maxRows: 1e9,
  });
  await log.opened;
});
afterAll(async () => {
  await log.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

maybe(
  'train.py --data accepts the feedback export',
  async () => {
    const app = createApp({
      config: defaultConfig({ logLevel: 'silent' }),
      registry,
      logger: captureLogger('silent').logger,
      metrics: createMetrics({ processMetrics: false }),
      predictionLog: log,
    });
    const rows = Array.from({ length: 40 }, (_v, i) =>
      i % 2 === 0
        ? { text: `${DISASTERS[i % 5]} ${i}`, keyword: 'fire', location: '', target: 'Real disaster' }
        : { text: `${CALM[i % 5]} ${i}`, keyword: '', location: 'London', target: 'Not a disaster' },
    );
    const batch = await request(app)
      .post('/models/tweets-mini/predict')
      .send({ instances: rows.map(({ target: _target, ...inputs }) => inputs) })
      .expect(200);
    const ids = (batch.body.predictions as { prediction_id: string }[]).map((p) => p.prediction_id);
    for (const [i, id] of ids.entries()) {
      await request(app).post(`/predictions/${id}/feedback`).send({ label: rows[i].target }).expect(200);
    }

    const exported = await request(app).get('/feedback.csv?model=tweets-mini').expect(200);
    const data = path.join(dir, 'feedback.csv');
    writeFileSync(data, exported.text);

    const out = path.join(dir, 'bundle');
    const run = spawnSync(
      PYTHON,
      [
        'scripts/train.py',
        '--task',
        'disaster-tweets',
        '--quick',
        '--stem',
        'none',
        '--jobs',
        '1',
        '--data',
        data,
        '--out',
        out,
      ],
      { cwd: REPO, encoding: 'utf8', timeout: 170_000 },
    );
    expect({ status: run.status, stderr: run.stderr.slice(-2000) }).toEqual({
      status: 0,
      stderr: expect.any(String),
    });
    const card = JSON.parse(readFileSync(path.join(out, 'card.json'), 'utf8')) as {
      data: { rows: number };
      metrics: { train_size: number; test_size: number };
    };
    // Every corrected row reached training: 40 rows, split 32 / 8.
    expect(card.data.rows).toBe(40);
    expect(card.metrics.train_size + card.metrics.test_size).toBe(40);
  },
  180_000,
);
