/**
 * The prediction log end to end through createApp and a real SQLite file: a prediction answers a
 * prediction_id, feedback on it is checked against the card, the export holds the corrected row in
 * train.py's shape, the monitor shows live accuracy; with the log off nothing changes in answers;
 * with the store down predictions are served all the same.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { type Config, defaultConfig } from '../../src/config';
import type { SiftRegistry } from '../../src/model/registry';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { baselineOf } from '../../src/monitor/report';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import type { PredictionLog } from '../../src/monitor/types';
import { createMetrics } from '../../src/ops/metrics';
import { captureLogger, loadFixtureRegistry } from '../helpers/app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FAST = { flushIntervalMs: 10, retryMinMs: 20, retryMaxMs: 100, retentionMs: 1e12, maxRows: 1e9 };

let dir: string;
let registry: SiftRegistry;
const logs: ManagedPredictionLog[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sift-monitor-'));
  registry = await loadFixtureRegistry();
});
afterAll(async () => {
  await Promise.all(logs.map((l) => l.close()));
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function sqliteLog(file = path.join(dir, `log-${++n}.sqlite`)): Promise<ManagedPredictionLog> {
  const log = createPredictionLog(createSqliteStore({ path: file }), {
    logger: captureLogger('silent').logger,
    ...FAST,
  });
  logs.push(log);
  await log.opened;
  return log;
}

function appWith(predictionLog: PredictionLog | undefined, overrides: Partial<Config> = {}) {
  const config = defaultConfig({ logLevel: 'silent', ...overrides });
  const metrics = createMetrics({ processMetrics: false });
  const app = createApp({
    config,
    registry,
    logger: captureLogger('silent').logger,
    metrics,
    ...(predictionLog === undefined ? {} : { predictionLog }),
  });
  return { app, metrics };
}

const TWEET = { text: 'Forest fire near the town, evacuation ordered', keyword: 'fire', location: 'Kelowna' };

describe('with the prediction log on (SQLite)', () => {
  let log: ManagedPredictionLog;
  let app: ReturnType<typeof appWith>['app'];
  let metrics: ReturnType<typeof appWith>['metrics'];
  beforeAll(async () => {
    log = await sqliteLog();
    ({ app, metrics } = appWith(log));
  });

  it('predict → prediction_id → feedback → export → monitor accuracy', async () => {
    const predicted = await request(app).post('/models/tweets-mini/predict').send(TWEET).expect(200);
    const id = predicted.body.prediction_id as string;
    expect(id).toMatch(UUID);
    const wrong = predicted.body.label_name === 'Real disaster' ? 'Not a disaster' : 'Real disaster';

    // Sent at once: the record may still be in the writer's queue; the route writes it first.
    const feedback = await request(app)
      .post(`/predictions/${id}/feedback`)
      .send({ label: wrong })
      .expect(200);
    expect(feedback.body).toEqual({
      prediction_id: id,
      model: 'tweets-mini',
      labels: [wrong],
      predicted: [predicted.body.label_name],
      correct: false,
    });

    const stored = await log.store.getPrediction(id);
    expect(stored).toMatchObject({
      model: 'tweets-mini',
      route: '/models/:name/predict',
      labels: [predicted.body.label_name],
      inputs: TWEET,
      coverageTotal: predicted.body.coverage.total,
      coverageKnown: predicted.body.coverage.known,
    });
    expect(stored?.requestId).toBe(predicted.headers['x-request-id']);
    expect(stored?.terms.length).toBeGreaterThan(0);
    expect(stored?.terms.length).toBeLessThanOrEqual(32);
    expect(Object.keys(stored?.probabilities ?? {})).toEqual(['Not a disaster', 'Real disaster']);

    const csv = await request(app).get('/feedback.csv?model=tweets-mini').expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split(/\r\n/);
    expect(lines[0]).toBe('text,keyword,location,target');
    // The class value train.py reads (0/1), not the display name.
    const value = wrong === 'Real disaster' ? '1' : '0';
    expect(lines).toContain(`"Forest fire near the town, evacuation ordered",fire,Kelowna,${value}`);

    const jsonl = await request(app).get('/feedback.jsonl?model=tweets-mini').expect(200);
    const rows = jsonl.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toContainEqual(
      expect.objectContaining({ prediction_id: id, labels: [wrong], inputs: TWEET }),
    );

    const monitor = await request(app).get('/models/tweets-mini/monitor.json').expect(200);
    expect(monitor.body.summary.predictions).toBeGreaterThanOrEqual(1);
    expect(monitor.body.summary.with_feedback).toBe(1);
    expect(monitor.body.summary.accuracy).toBe(0);
    expect(monitor.body.buckets).toHaveLength(48);
    expect(monitor.body.training.class_shares).toEqual({
      'Not a disaster': expect.any(Number),
      'Real disaster': expect.any(Number),
    });
    // tweets-mini was trained on 983 rows with smooth idf: the drift baseline is there.
    expect(monitor.body.training.rows).toBe(983);
    expect(typeof monitor.body.drift.psi).toBe('number');
    expect(monitor.body.log).toMatchObject({ store: 'sqlite', healthy: true });

    // A right answer afterwards: the latest feedback wins.
    await request(app)
      .post(`/predictions/${id}/feedback`)
      .send({ labels: [predicted.body.label_name] })
      .expect(200);
    const after = await request(app).get('/models/tweets-mini/monitor.json?bucket=day').expect(200);
    expect(after.body.summary.accuracy).toBe(1);
    expect(after.body.buckets).toHaveLength(30);
  });

  it('refuses labels that are not classes of the model, and ids it never logged', async () => {
    const { body } = await request(app).post('/models/tweets-mini/predict').send(TWEET).expect(200);
    const bad = await request(app)
      .post(`/predictions/${body.prediction_id}/feedback`)
      .send({ label: 'Maybe' })
      .expect(400);
    expect(bad.body.error.message).toContain('"Maybe" is not a class of this model');
    expect(bad.body.error.message).toContain('"Real disaster"');
    await request(app).post(`/predictions/${body.prediction_id}/feedback`).send({}).expect(400);
    await request(app)
      .post(`/predictions/${body.prediction_id}/feedback`)
      .send({ labels: ['Real disaster', 'Not a disaster'] })
      .expect(400);
    // By class value works as well.
    await request(app).post(`/predictions/${body.prediction_id}/feedback`).send({ label: 1 }).expect(200);

    const unknown = await request(app)
      .post('/predictions/00000000-0000-4000-8000-000000000000/feedback')
      .send({ label: 'Real disaster' })
      .expect(404);
    expect(unknown.body.error.message).toContain('no logged prediction');
    await request(app).post('/predictions/not-an-id/feedback').send({ label: 'Real disaster' }).expect(404);
  });

  it('takes multi-label feedback as a list (none applies = [])', async () => {
    const { body } = await request(app)
      .post('/models/toxic-mini/predict')
      .send({ text: 'you idiot' })
      .expect(200);
    const ok = await request(app)
      .post(`/predictions/${body.prediction_id}/feedback`)
      .send({ labels: [] })
      .expect(200);
    expect(ok.body.labels).toEqual([]);
    await request(app)
      .post(`/predictions/${body.prediction_id}/feedback`)
      .send({ labels: ['Insult', 'Toxic'] })
      .expect(200)
      .expect((res) => expect(res.body.labels).toEqual(['Toxic', 'Insult']));
  });

  it('gives every row of a batch its own id, and OIP v2 answers carry them in X-Prediction-Ids', async () => {
    const batch = await request(app)
      .post('/predict')
      .send({ instances: ['flood in the city', 'lovely sunny day'] })
      .expect(200);
    const ids = batch.body.predictions.map((p: { prediction_id: string }) => p.prediction_id);
    expect(new Set(ids).size).toBe(2);

    const oip = await request(app)
      .post('/v2/models/tweets-mini/infer')
      .send({ inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['flood', 'pizza'] }] })
      .expect(200);
    const header = String(oip.headers['x-prediction-ids']).split(',');
    expect(header).toHaveLength(2);
    await log.flush();
    const stored = await Promise.all(header.map((id) => log.store.getPrediction(id)));
    expect(stored.map((r) => r?.inputs)).toEqual([
      { text: 'flood', keyword: '', location: '' },
      { text: 'pizza', keyword: '', location: '' },
    ]);
    expect(stored.map((r) => r?.route)).toEqual(['/v2/models/:name/infer', '/v2/models/:name/infer']);
  });

  it('shows "Was this right?" on the result page; the form records feedback and answers a page', async () => {
    const page = await request(app)
      .post('/predict')
      .type('form')
      .set('Accept', 'text/html')
      .send({ model: 'tweets-mini', ...TWEET })
      .expect(200);
    expect(page.text).toContain('Was this right?');
    const action = /<form method="post" action="(\/predictions\/[0-9a-f-]{36}\/feedback)">/.exec(
      page.text,
    )?.[1];
    expect(action).toBeDefined();

    const yes = await request(app)
      .post(action as string)
      .type('form')
      .set('Accept', 'text/html')
      .send({ verdict: 'yes' })
      .expect(200);
    expect(yes.headers['content-type']).toMatch(/^text\/html/);
    expect(yes.text).toContain('Thank you');
    expect(yes.text).toContain('was right');

    const no = await request(app)
      .post(action as string)
      .type('form')
      .set('Accept', 'text/html')
      .send({ verdict: 'no' })
      .expect(400);
    expect(no.headers['content-type']).toMatch(/^text\/html/);

    // Another site's page posting in a visitor's name.
    await request(app)
      .post(action as string)
      .type('form')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ verdict: 'yes' })
      .expect(403);
  });

  it('renders the monitor page with its charts', async () => {
    const page = await request(app).get('/models/tweets-mini/monitor').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('in production');
    expect(page.text).toContain('class="column-chart"');
    expect(page.text).toContain('Term drift (PSI)');
    await request(app).get('/models/no-such-model/monitor.json').expect(404);
    await request(app).get('/models/tweets-mini/monitor.json?bucket=week').expect(400);
  });

  it('links the model card to the monitor page when PREDICTION_LOG is on', async () => {
    const on = appWith(log, { predictionLog: true }).app;
    expect((await request(on).get('/index?model=tweets-mini').expect(200)).text).toContain(
      'href="/models/tweets-mini/monitor"',
    );
    expect((await request(app).get('/index').expect(200)).text).not.toContain('/monitor"');
  });

  it('reports the log and the monitor numbers in /metrics', async () => {
    await request(app).post('/models/tweets-mini/predict').send(TWEET).expect(200);
    await log.flush();
    const text = (await request(app).get('/metrics').expect(200)).text;
    expect(text).toMatch(/^sift_prediction_log_written_total \d+/m);
    expect(text).toMatch(/^sift_prediction_log_queued 0/m);
    expect(text).toMatch(/^sift_prediction_log_healthy 1/m);
    expect(text).toMatch(/^sift_monitor_predictions\{model="tweets-mini"\} [1-9]/m);
    expect(text).toMatch(/^sift_monitor_class_share\{model="tweets-mini",class="Real disaster"\} /m);
    expect(text).toMatch(/^sift_monitor_mean_coverage\{model="tweets-mini"\} /m);
    expect(text).toMatch(
      /^sift_monitor_training_class_share\{model="tweets-mini",class="Not a disaster"\} 0\.\d+/m,
    );
    // Fewer than 100 rows: the PSI is noise and left out; silent models have no ratios.
    expect(text).not.toMatch(/^sift_monitor_term_psi\{model="tweets-mini"\} /m);
    expect(text).not.toMatch(/^sift_monitor_mean_coverage\{model="sentiment-mini"\} /m);
    expect(metrics).toBeDefined();
  });
});

describe('the export', () => {
  it('streams every corrected row, oldest first, across chunks', async () => {
    const log = await sqliteLog();
    const { app } = appWith(log);
    const base = Date.now() - 60_000;
    // Rows with the training's two most common terms: a drift the index can measure.
    const top = (baselineOf(registry.get('sentiment-mini')!)?.terms ?? []).slice(0, 2).map((t) => t.term);
    expect(top).toHaveLength(2);
    const records = Array.from({ length: 1203 }, (_v, i) => ({
      id: randomUUID(),
      time: base + i,
      model: 'sentiment-mini',
      version: null,
      requestId: null,
      route: '/predict',
      labels: ['Negative'],
      probabilities: { Negative: 0.6, Neutral: 0.3, Positive: 0.1 },
      coverageTotal: 3,
      coverageKnown: 2,
      latencyMs: 1,
      inputs: { text: `row ${i}, "quoted" =1+1` },
      terms: top,
    }));
    await log.store.insertPredictions(records);
    for (const r of records) {
      await log.store.recordFeedback({
        predictionId: r.id,
        labels: ['Positive'],
        time: Date.now(),
        source: 'api',
      });
    }
    const csv = await request(app)
      .get('/feedback.csv?model=sentiment-mini&label_column=sentiment')
      .expect(200);
    const lines = csv.text.trim().split(/\r\n/);
    expect(lines[0]).toBe('text,sentiment');
    expect(lines).toHaveLength(1204);
    // Verbatim by default (training data); quotes doubled as CSV wants.
    expect(lines[1]).toBe('"row 0, ""quoted"" =1+1",positive');
    expect(lines[1203]).toBe('"row 1202, ""quoted"" =1+1",positive');
    await request(app).get('/feedback.csv?model=sentiment-mini&label_column=text').expect(400);
    await request(app).get('/feedback.csv?model=sentiment-mini&label_column=a%2Cb').expect(400);

    // Enough rows for the PSI to count: in /metrics, and reliable in the report.
    const monitor = await request(app).get('/models/sentiment-mini/monitor.json').expect(200);
    expect(monitor.body.drift).toMatchObject({ rows: 1203, reliable: true, level: expect.any(String) });
    expect(monitor.body.drift.psi).toBeGreaterThan(0.25);
    const text = (await request(app).get('/metrics').expect(200)).text;
    expect(text).toMatch(/^sift_monitor_term_psi\{model="sentiment-mini"\} \d/m);
    expect(text).toMatch(/^sift_monitor_accuracy\{model="sentiment-mini"\} 0$/m);
  });
});

describe('with API keys', () => {
  it('needs the key for JSON feedback, export and monitor; the open form may post its own feedback', async () => {
    const log = await sqliteLog();
    const { app } = appWith(log, { apiKeys: ['k-123'] });
    const { body } = await request(app)
      .post('/predict')
      .set('Authorization', 'Bearer k-123')
      .send(TWEET)
      .expect(200);
    const url = `/predictions/${body.prediction_id}/feedback`;
    await request(app).post(url).send({ label: 'Real disaster' }).expect(401);
    await request(app).post(url).set('X-API-Key', 'k-123').send({ label: 'Real disaster' }).expect(200);
    await request(app).get('/feedback.csv').expect(401);
    await request(app).get('/models/tweets-mini/monitor.json').expect(401);
    await request(app).get('/models/tweets-mini/monitor.json').set('X-API-Key', 'k-123').expect(200);
    await request(app).post(url).type('form').set('Accept', 'text/html').send({ verdict: 'yes' }).expect(200);
  });
});

describe('with the prediction log off', () => {
  it('answers exactly as before and says why feedback cannot be kept', async () => {
    const { app } = appWith(undefined);
    const { body } = await request(app).post('/predict').send(TWEET).expect(200);
    expect(body).not.toHaveProperty('prediction_id');
    const page = await request(app)
      .post('/predict')
      .type('form')
      .set('Accept', 'text/html')
      .send(TWEET)
      .expect(200);
    expect(page.text).not.toContain('Was this right?');

    const off = await request(app)
      .post('/predictions/00000000-0000-4000-8000-000000000000/feedback')
      .send({ label: 'Real disaster' })
      .expect(503);
    expect(off.body.error.code).toBe('prediction_log_off');
    expect(off.body.error.message).toContain('PREDICTION_LOG');
    await request(app).get('/feedback.csv').expect(503);
    await request(app).get('/models/tweets-mini/monitor.json').expect(503);
    const html = await request(app).get('/models/tweets-mini/monitor').set('Accept', 'text/html').expect(503);
    expect(html.text).toContain('PREDICTION_LOG');
  });
});

describe('with the store down', () => {
  it('still serves predictions; feedback and the monitor answer 503', async () => {
    // A path under a regular file can never be opened: the store stays down, the log keeps retrying.
    const log = await sqliteLog(path.join(__filename, 'cannot', 'be.sqlite'));
    const { app } = appWith(log);
    const { body } = await request(app).post('/predict').send(TWEET).expect(200);
    expect(body.label_name).toEqual(expect.any(String));
    const down = await request(app)
      .post(`/predictions/${body.prediction_id}/feedback`)
      .send({ label: 'Real disaster' })
      .expect(503);
    expect(down.body.error.code).toBe('prediction_log_unavailable');
    await request(app).get('/models/tweets-mini/monitor.json').expect(503);
    await request(app).get('/feedback.csv').expect(503);
    // /ready does not depend on the log.
    await request(app).get('/ready').expect(200);
    expect(log.status().healthy).toBe(false);
  });
});
