/**
 * Two replicas over one real PostgreSQL database (DATABASE_URL): a prediction answered by one gets
 * its feedback through the other, and both export and monitor the same rows.
 */
import request from 'supertest';
import type { SiftRegistry } from '../../src/model/registry';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { createPostgresStore } from '../../src/monitor/store-postgres';
import { buildTestApp, captureLogger, loadFixtureRegistry } from '../helpers/app';
import { describePostgres, startPostgres, type TestPostgres } from '../helpers/postgres';

describePostgres('feedback and monitor across replicas (PostgreSQL)', () => {
  let pg: TestPostgres;
  let registry: SiftRegistry;
  const logs: ManagedPredictionLog[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    registry = await loadFixtureRegistry();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close()));
    await registry?.close();
    await pg?.destroy();
  });

  async function replica(url: string) {
    const log = createPredictionLog(createPostgresStore({ connectionString: url }), {
      logger: captureLogger('silent').logger,
      flushIntervalMs: 10,
      retentionMs: 1e12,
      maxRows: 1e9,
    });
    logs.push(log);
    expect(await log.opened).toBe(true);
    return buildTestApp(registry, { logLevel: 'silent' }, { predictionLog: log }).app;
  }

  it('predict on one, feedback on the other, the same export and accuracy on both', async () => {
    const url = await pg.createDatabase('replicas');
    const [a, b] = [await replica(url), await replica(url)];
    const tweet = { text: 'Flood warning for the valley tonight', keyword: 'flood', location: '' };
    const { body } = await request(a).post('/models/tweets-mini/predict').send(tweet).expect(200);
    // Replica B never saw the prediction: it reads it from the shared database once A has written it.
    await logs[0].flush();
    const feedback = await request(b)
      .post(`/predictions/${body.prediction_id}/feedback`)
      .send({ label: body.label_name })
      .expect(200);
    expect(feedback.body.correct).toBe(true);

    for (const app of [a, b]) {
      const csv = await request(app).get('/feedback.csv?model=tweets-mini').expect(200);
      expect(csv.text).toContain(`Flood warning for the valley tonight,flood,,${body.label}`);
      const monitor = await request(app).get('/models/tweets-mini/monitor.json').expect(200);
      expect(monitor.body.summary).toMatchObject({ predictions: 1, with_feedback: 1, accuracy: 1 });
      expect(monitor.body.log.store).toBe('postgres');
      expect(typeof monitor.body.drift.psi).toBe('number');
    }
  });
});
