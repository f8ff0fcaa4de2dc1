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

const SECRET_TEXT = 'my very private tweet about a forest fire';

describe('access logs', () => {
  it('write one JSON line per request with id, route, status and latency, and no submitted text', async () => {
    const t = buildTestApp(registry, { logLevel: 'debug' });
    await request(t.app).post('/predict').set('X-Request-Id', 'req-1').send({ text: SECRET_TEXT });
    await request(t.app).post('/predict').set('X-Request-Id', 'req-2').send({ text: SECRET_TEXT, nope: 1 });
    const lines = t.log.lines();
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      level: 'info',
      reqId: 'req-1',
      method: 'POST',
      path: '/predict',
      route: '/predict',
      status: 200,
      service: 'sift',
    });
    expect(typeof access[0].ms).toBe('number');
    expect(access[1]).toMatchObject({ reqId: 'req-2', status: 400, errorCode: 'invalid_input' });
    expect(t.log.text()).not.toContain('private tweet');
  });

  it('keep successful probes at debug level, so they do not drown the traffic', async () => {
    const t = buildTestApp(registry, { logLevel: 'info' });
    await request(t.app).get('/health');
    await request(t.app).get('/ready');
    await request(t.app).get('/models');
    expect(t.log.lines().map((l) => l.path)).toEqual(['/models']);
  });

  it('log the inputs only with LOG_INPUTS, and show what the model received', async () => {
    const t = buildTestApp(registry, { logInputs: true });
    const bytes = Buffer.concat([
      Buffer.from(`{"text": "${SECRET_TEXT} `),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const res = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .serialize(() => bytes as unknown as string)
      .send({});
    expect(res.status).toBe(200);
    const inputs = t.log.lines().find((l) => l.msg === 'prediction inputs');
    // Invalid UTF-8 (0xC3 0x28) is decoded with a replacement character, deliberately.
    expect(inputs).toMatchObject({
      model: 'tweets-mini',
      rows: [{ text: `${SECRET_TEXT} \ufffd(`, keyword: '', location: '' }],
    });
  });

  it('redact credentials', async () => {
    const t = buildTestApp(registry, { apiKeys: ['s'.repeat(32)] });
    await request(t.app)
      .get('/models')
      .set('Authorization', `Bearer ${'s'.repeat(32)}`);
    t.log.logger.info({ authorization: 'Bearer x', headers: { authorization: 'Bearer y' } }, 'probe');
    expect(t.log.text()).not.toContain('s'.repeat(32));
    expect(t.log.text()).not.toContain('Bearer');
  });
});
