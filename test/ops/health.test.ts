import request from 'supertest';
import type { SiftRegistry } from '../../src/model/registry';
import { buildTestApp, loadFixtureRegistry } from '../helpers/app';

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

describe('GET /ready', () => {
  it('is 200 when every model passed its self-test', async () => {
    const res = await request(buildTestApp(registry).app).get('/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      models: [
        { name: 'sentiment-mini', ready: true },
        { name: 'tweets-mini', ready: true },
        { name: 'toxic-mini', ready: true },
      ].sort((a, b) => a.name.localeCompare(b.name)),
      reasons: [],
    });
  });

  it('is 503 naming the model when one is not ready', async () => {
    const own = await loadFixtureRegistry();
    try {
      await own.get('toxic-mini')!.close();
      const res = await request(buildTestApp(own).app).get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not_ready');
      expect(res.body.models).toContainEqual({ name: 'toxic-mini', ready: false, reason: 'closed' });
      expect(res.body.reasons).toEqual(['model "toxic-mini" is not ready: closed']);
    } finally {
      await own.close();
    }
  });
});
