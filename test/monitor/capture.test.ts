/**
 * What a logged prediction holds: the row's vocabulary terms from both model kinds, its inputs as
 * PREDICTION_LOG_INPUTS says (on, off, redact), and the prediction_id column of CSV downloads.
 * Real models and a real SQLite log through createApp.
 */
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { type Config, defaultConfig } from '../../src/config';
import { loadServedModel } from '../../src/model/load';
import type { LoadedModel } from '../../src/model/types';
import type { SiftRegistry } from '../../src/model/registry';
import { TERMS_PER_ROW, inputsPolicy } from '../../src/monitor/capture';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { createMetrics } from '../../src/ops/metrics';
import { BUNDLES_DIR, captureLogger, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;
const logs: ManagedPredictionLog[] = [];
beforeAll(async () => {
  registry = await loadFixtureRegistry();
});
afterAll(async () => {
  await Promise.all(logs.map((l) => l.close()));
  await registry.close();
});

async function appWithLog(overrides: Partial<Config> = {}) {
  const log = createPredictionLog(createSqliteStore({ path: ':memory:' }), {
    logger: captureLogger('silent').logger,
    flushIntervalMs: 10,
    retentionMs: 1e12,
    maxRows: 1e9,
  });
  logs.push(log);
  await log.opened;
  const app = createApp({
    config: defaultConfig({ logLevel: 'silent', ...overrides }),
    registry,
    logger: captureLogger('silent').logger,
    metrics: createMetrics({ processMetrics: false }),
    predictionLog: log,
  });
  return { app, log };
}

describe('row terms', () => {
  it('are the distinct word-block terms, keyed by field beyond the first, most common kept when cut', async () => {
    const model = await loadServedModel(join(BUNDLES_DIR, 'tweets-mini'));
    try {
      const [p] = await model.predict(
        [{ text: 'fire fire near the town', keyword: 'wildfire', location: '' }],
        {
          terms: TERMS_PER_ROW,
        },
      );
      expect(new Set(p.terms).size).toBe(p.terms?.length);
      expect(p.terms).toContain('fire');
      expect(p.terms?.some((t) => t.startsWith('keyword:'))).toBe(true);
      // Not asked: not computed.
      const [plain] = await model.predict([{ text: 'fire', keyword: '', location: '' }]);
      expect(plain.terms).toBeUndefined();
      // A row with more terms than asked keeps the most common in training (lowest idf).
      const row = {
        text: 'Forest fire near our town, evacuation ordered for everyone east of the river',
        keyword: '',
        location: '',
      };
      const [all] = await model.predict([row], { terms: 1000 });
      const [cut] = await model.predict([row], { terms: 3 });
      const served: LoadedModel = model;
      const idf = new Map((served.trainingTerms?.() ?? []).map((t) => [t.key, t.idf]));
      const ranked = [...(all.terms ?? [])].sort((a, b) => (idf.get(a) ?? 0) - (idf.get(b) ?? 0));
      expect(ranked.length).toBeGreaterThan(3);
      expect(cut.terms).toHaveLength(3);
      expect(Math.max(...(cut.terms ?? []).map((t) => idf.get(t) ?? 0))).toBe(idf.get(ranked[2]));
    } finally {
      await model.close();
    }
  });

  it('are the known tokens for a sequence model', async () => {
    const model = await loadServedModel(
      join(__dirname, '..', 'fixtures', 'sequence', 'bundles', 'sequence-mini'),
    );
    try {
      const input = model.card.inputs[0].name;
      const [p] = await model.predict([{ [input]: 'fire fire in the zzzunknownzzz town' }], { terms: 32 });
      expect(p.terms).not.toContain('zzzunknownzzz');
      expect(new Set(p.terms).size).toBe(p.terms?.length);
      expect(p.terms?.length).toBeLessThanOrEqual(p.coverage.known);
    } finally {
      await model.close();
    }
  });
});

describe('inputs kept with a prediction (PREDICTION_LOG_INPUTS)', () => {
  const text = 'Mail me at ann@example.com, fire at www.example.com';

  it('on: as given; redact: e-mail and URLs taken out; off: none, and the export leaves the row out', async () => {
    expect(inputsPolicy({ predictionLogInputs: 'on' })({ text })).toEqual({ text });

    const redacting = await appWithLog({ predictionLogInputs: 'redact' });
    const r = await request(redacting.app).post('/predict').send({ text }).expect(200);
    await redacting.log.flush();
    const redacted = await redacting.log.store.getPrediction(r.body.prediction_id);
    expect(redacted?.inputs?.text).toBe('Mail me at [email], fire at [url]');

    const off = await appWithLog({ predictionLogInputs: 'off' });
    const o = await request(off.app).post('/predict').send({ text }).expect(200);
    await request(off.app)
      .post(`/predictions/${o.body.prediction_id}/feedback`)
      .send({ label: 'Real disaster' })
      .expect(200);
    expect((await off.log.store.getPrediction(o.body.prediction_id))?.inputs).toBeNull();
    const csv = await request(off.app).get('/feedback.csv').expect(200);
    expect(csv.text.trim()).toBe('text,keyword,location,target');
  });
});

describe('CSV downloads', () => {
  it('get a prediction_id column when the log is on', async () => {
    const { app, log } = await appWithLog();
    const res = await request(app)
      .post('/predict')
      .set('Content-Type', 'text/csv')
      .send('text\nForest fire near La Ronge\nWhat a lovely day\n')
      .expect(200);
    const [header, ...rows] = res.text.trim().split(/\r\n/);
    expect(header.split(',').at(-1)).toBe('prediction_id');
    const ids = rows.map((row) => row.split(',').at(-1) as string);
    await log.flush();
    for (const id of ids) expect((await log.store.getPrediction(id))?.inputs?.text).toBeDefined();
  });

  it('and SageMaker CSV answers get one too, last, with or without the header row', async () => {
    const { app, log } = await appWithLog();
    const body = 'Forest fire near La Ronge,,\nWhat a lovely day,,\n';
    const withHeader = await request(app)
      .post('/invocations')
      .set('Content-Type', 'text/csv')
      .set('Accept', 'text/csv;header=present')
      .send(body)
      .expect(200);
    const [header, ...rows] = withHeader.text.trim().split('\n');
    expect(header.split(',').at(-1)).toBe('prediction_id');
    expect(rows).toHaveLength(2);
    const bare = await request(app)
      .post('/invocations')
      .set('Content-Type', 'text/csv')
      .set('Accept', 'text/csv')
      .send(body)
      .expect(200);
    const bareRows = bare.text.trim().split('\n');
    expect(bareRows).toHaveLength(2);
    expect(bareRows[0].split(',')).toHaveLength(header.split(',').length);
    await log.flush();
    for (const row of [...rows, ...bareRows]) {
      const id = row.split(',').at(-1) as string;
      expect((await log.store.getPrediction(id))?.model).toBe('tweets-mini');
    }
  });
});
