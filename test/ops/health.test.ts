import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { BUNDLES_DIR, buildTestApp, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;
beforeAll(async () => {
  registry = await loadFixtureRegistry();
});
afterAll(async () => {
  await registry.close();
});

describe('GET /health', () => {
  it('answers while the process runs', async () => {
    const res = await request(buildTestApp(registry).app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(typeof res.body.uptime_seconds).toBe('number');
  });
});

const state = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  state: 'ready',
  ready: true,
  default: name === 'tweets-mini',
  required: name === 'tweets-mini',
  version: expect.stringMatching(/^[0-9a-f]{12}$/),
  ...extra,
});

describe('GET /ready', () => {
  it('is 200 when the default model passed its self-test, listing every model', async () => {
    const res = await request(buildTestApp(registry).app).get('/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      required: ['tweets-mini'],
      models: [state('sentiment-mini'), state('toxic-mini'), state('tweets-mini')],
      reasons: [],
    });
  });

  it('stays 200 when another model is not ready, and says so; 503 when a required one is not', async () => {
    const own = await loadFixtureRegistry();
    try {
      await own.get('toxic-mini')!.close();
      const res = await request(buildTestApp(own).app).get('/ready');
      expect(res.status).toBe(200);
      expect(res.body.models).toContainEqual(
        state('toxic-mini', { state: 'not_ready', ready: false, reason: 'closed' }),
      );
      const one = await request(buildTestApp(own).app).get('/models/toxic-mini/ready');
      expect(one.status).toBe(503);
      expect(one.body).toEqual(state('toxic-mini', { state: 'not_ready', ready: false, reason: 'closed' }));
      expect((await request(buildTestApp(own).app).get('/models/tweets-mini/ready')).body).toEqual(
        state('tweets-mini'),
      );
      expect((await request(buildTestApp(own).app).get('/models/nope/ready')).status).toBe(404);

      const strict = buildTestApp(own, { requiredModels: ['tweets-mini', 'toxic-mini'] }).app;
      const required = await request(strict).get('/ready');
      expect(required.status).toBe(503);
      expect(required.body.status).toBe('not_ready');
      expect(required.body.required).toEqual(['tweets-mini', 'toxic-mini']);
      expect(required.body.reasons).toEqual(['model "toxic-mini" is not ready: closed']);
    } finally {
      await own.close();
    }
  });
});

describe('GET /ready with a broken bundle', () => {
  it('stays ready with the default, and lists the broken model as failed with its reason', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sift-ready-'));
    try {
      cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), path.join(dir, 'tweets-mini'), { recursive: true });
      cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), path.join(dir, 'broken'), { recursive: true });
      writeFileSync(path.join(dir, 'broken', 'card.json'), '{"format_version": 1');
      const own = await loadRegistry(dir, { defaultModel: 'tweets-mini' });
      try {
        const app = buildTestApp(own).app;
        const res = await request(app).get('/ready');
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          status: 'ready',
          required: ['tweets-mini'],
          models: [
            {
              name: 'broken',
              state: 'failed',
              ready: false,
              default: false,
              required: false,
              reason: expect.stringMatching(/^could not be loaded: card\.json: /),
            },
            state('tweets-mini'),
          ],
          reasons: [],
          skipped: ['broken'],
        });
        const failed = await request(app).post('/models/broken/predict').send({ text: 'fire' });
        expect(failed.status).toBe(503);
        expect(failed.body.error.message).toMatch(
          /^model "broken" is not available: it could not be loaded: card\.json/,
        );
        expect((await request(app).get('/models/broken/ready')).status).toBe(503);
        expect((await request(app).post('/predict').send({ text: 'fire' })).status).toBe(200);

        // The broken model as the default: /ready, /ping and /v2/health/ready say so, and /predict
        // answers 503 with the reason instead of another model's labels.
        const own2 = await loadRegistry(dir, { defaultModel: 'broken' });
        try {
          const down = buildTestApp(own2).app;
          const ready = await request(down).get('/ready');
          expect(ready.status).toBe(503);
          expect(ready.body.reasons).toEqual([
            expect.stringMatching(/^model "broken" is not ready: could not be loaded/),
          ]);
          const predict = await request(down).post('/predict').send({ text: 'fire' });
          expect(predict.status).toBe(503);
          expect(predict.body.error.code).toBe('model_unavailable');
          expect((await request(down).get('/ping')).status).toBe(503);
          expect((await request(down).get('/v2/health/ready')).status).toBe(503);
          expect((await request(down).get('/index').set('Accept', 'text/html')).status).toBe(503);
          expect(
            (await request(down).post('/models/tweets-mini/predict').send({ text: 'fire' })).status,
          ).toBe(200);
          expect((await request(down).get('/models')).body.failed).toEqual([
            { name: 'broken', default: true, reason: expect.stringMatching(/^card\.json: /) },
          ]);
        } finally {
          await own2.close();
        }
      } finally {
        await own.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
