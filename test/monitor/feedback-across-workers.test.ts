/**
 * Feedback that reaches another process than the one that answered (cluster workers, replicas on
 * PostgreSQL): the record is still in the other process's queue for up to its flush interval, and
 * the feedback route waits for it instead of answering 404. Two real logs on one SQLite file,
 * each behind its own app, as two cluster workers are.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { SiftRegistry } from '../../src/model/registry';
import { type ManagedPredictionLog, createPredictionLog } from '../../src/monitor/log';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { buildTestApp, captureLogger, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;
let dir: string;
const logs: ManagedPredictionLog[] = [];
beforeAll(async () => {
  registry = await loadFixtureRegistry();
  dir = mkdtempSync(path.join(os.tmpdir(), 'sift-workers-'));
});
afterAll(async () => {
  await Promise.all(logs.map((l) => l.close()));
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

async function worker(file: string) {
  const log = createPredictionLog(createSqliteStore({ path: file }), {
    logger: captureLogger('silent').logger,
    // Long enough that the answering worker has not written the record when the feedback arrives.
    flushIntervalMs: 300,
    retentionMs: 1e12,
    maxRows: 1e9,
  });
  logs.push(log);
  expect(await log.opened).toBe(true);
  return buildTestApp(registry, { logLevel: 'silent' }, { predictionLog: log }).app;
}

it('feedback sent at once to another worker finds the prediction; an unknown id is still a 404', async () => {
  const file = path.join(dir, 'shared.sqlite');
  const answering = await worker(file);
  const other = await worker(file);
  const predicted = await request(answering)
    .post('/predict')
    .set('Accept', 'application/json')
    .send({ text: 'Forest fire near La Ronge' })
    .expect(200);
  const id = predicted.body.prediction_id as string;
  const feedback = await request(other)
    .post(`/predictions/${id}/feedback`)
    .set('Accept', 'application/json')
    .send({ label: predicted.body.label_name })
    .expect(200);
  expect(feedback.body).toMatchObject({ prediction_id: id, correct: true });
  await request(other)
    .post('/predictions/00000000-0000-4000-8000-000000000000/feedback')
    .set('Accept', 'application/json')
    .send({ label: predicted.body.label_name })
    .expect(404);
});
