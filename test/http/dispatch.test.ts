/**
 * Which path a request takes (src/http/dispatch.ts), and that the JSON and direct paths answer
 * exactly as Express does: the same status, body, headers, access-log line and metrics. Express
 * is reached for comparison through another spelling of the same route (`/Predict`: Express
 * matches paths case-insensitively, the dispatch only the exact spelling).
 */
import type express from 'express';
import type { Config } from '../../src/config';
import request from 'supertest';
import { Admission } from '../../src/http/admission';
import { createApp } from '../../src/app';
import { defaultConfig } from '../../src/config';
import { directRoute, isJsonContentType } from '../../src/http/dispatch';
import { prefersHtml } from '../../src/http/security';
import { createMetrics } from '../../src/ops/metrics';
import type { SiftRegistry } from '../../src/model/registry';
import { buildTestApp, captureLogger, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;

beforeAll(async () => {
  registry = await loadFixtureRegistry();
});

afterAll(async () => {
  await registry.close();
});

/** Counts the requests that reach Express's router. */
function watchRouter(app: express.Express): () => number {
  const router = (app as unknown as { router: { handle: (...args: unknown[]) => unknown } }).router;
  const original = router.handle.bind(router);
  let calls = 0;
  router.handle = (...args: unknown[]) => {
    calls++;
    return original(...args);
  };
  return () => calls;
}

/** Response headers without the ones that differ per request. */
function stableHeaders(res: request.Response): Record<string, string> {
  const headers = { ...(res.headers as Record<string, string>) };
  for (const name of ['x-request-id', 'date', 'connection', 'keep-alive', 'content-length'])
    delete headers[name];
  return headers;
}

const TEXT = { text: 'flood waters rising downtown, evacuate now' };

/** A log line without what differs per request or per spelling of the path. */
function stableLine(line: Record<string, unknown>): Record<string, unknown> {
  const { time: _t, pid: _p, hostname: _h, reqId: _r, ms: _m, path: _path, ...rest } = line;
  return rest;
}

/** The request counters of an app, as /metrics shows them. */
async function requestCounters(t: ReturnType<typeof buildTestApp>): Promise<string[]> {
  const text = await t.metrics.registry.metrics();
  return text.split('\n').filter((line) => line.startsWith('sift_http_requests_total{'));
}

interface Probe {
  readonly path: string;
  /** The same route, spelt so the dispatch leaves it to Express. */
  readonly viaExpress: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: object;
}

/**
 * One request on two apps of the same configuration, one through the dispatch and one through
 * Express's router: the same status, body, headers, log lines and request counters.
 */
async function samePath(
  overrides: Partial<Config>,
  probe: Probe,
  expectPath: 'json' | 'direct',
): Promise<request.Response> {
  const viaDispatch = buildTestApp(registry, overrides);
  const viaExpress = buildTestApp(registry, overrides);
  const dispatchCalls = watchRouter(viaDispatch.app);
  const expressCalls = watchRouter(viaExpress.app);
  const jsonAnswers = watchJsonPath(viaDispatch.app);
  const send = (app: express.Express, path: string) => {
    let pending = request(app).post(path);
    for (const [name, value] of Object.entries(probe.headers ?? {})) pending = pending.set(name, value);
    return pending.send(probe.body);
  };
  const a = await send(viaDispatch.app, probe.path);
  const b = await send(viaExpress.app, probe.viaExpress);
  expect([dispatchCalls(), expressCalls()]).toEqual([0, 1]);
  expect(jsonAnswers()).toBe(expectPath === 'json' ? 1 : 0);
  expect([a.status, a.body, a.text]).toEqual([b.status, b.body, b.text]);
  expect(stableHeaders(a)).toEqual(stableHeaders(b));
  const linesA = viaDispatch.log.lines();
  const linesB = viaExpress.log.lines();
  expect(linesA.map(stableLine)).toEqual(linesB.map(stableLine));
  expect(linesA.find((line) => line.msg === 'request')?.path).toBe(probe.path.split('?')[0]);
  expect(await requestCounters(viaDispatch)).toEqual(await requestCounters(viaExpress));
  return a;
}

/** Counts the requests the JSON path took: Express and the direct path give req Express's prototype at once. */
function watchJsonPath(app: express.Express): () => number {
  let taken = 0;
  const internals = app as unknown as { handle: (req: object, res: object, next?: unknown) => void };
  const handle = internals.handle;
  internals.handle = (req, res, next) => {
    handle(req, res, next);
    if (Object.getPrototypeOf(req) !== app.request) taken++;
  };
  return () => taken;
}

describe('the JSON path', () => {
  it('answers JSON prediction posts without Express, exactly as Express does', async () => {
    const t = buildTestApp(registry);
    const routerCalls = watchRouter(t.app);
    const cases: [string, string, unknown][] = [
      ['/predict', '/Predict', TEXT],
      ['/predict?explain=true&top_terms=3', '/Predict?explain=true&top_terms=3', TEXT],
      ['/predict', '/Predict', { instances: [TEXT, 'a second text'] }],
      ['/models/sentiment-mini/predict', '/Models/sentiment-mini/predict', TEXT],
      ['/predict', '/Predict', { text: 7 }],
      ['/predict', '/Predict', { text: 'x', model: 'no-such-model' }],
    ];
    for (const [direct, viaExpress, body] of cases) {
      const before = routerCalls();
      const a = await request(t.app)
        .post(direct)
        .send(body as object);
      expect(routerCalls()).toBe(before);
      const b = await request(t.app)
        .post(viaExpress)
        .send(body as object);
      expect(routerCalls()).toBe(before + 1);
      expect(a.status).toBe(b.status);
      expect(a.body).toEqual(b.body);
      expect(stableHeaders(a)).toEqual(stableHeaders(b));
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers unreadable bodies with the same 4xx as Express', async () => {
    const t = buildTestApp(registry, { maxBodyBytes: 64 });
    const routerCalls = watchRouter(t.app);
    const bodies = ['{"text": ', '{"__proto__": {"text": "x"}}', `{"text": "${'x'.repeat(100)}"}`];
    for (const body of bodies) {
      const a = await request(t.app).post('/predict').set('Content-Type', 'application/json').send(body);
      const b = await request(t.app).post('/Predict').set('Content-Type', 'application/json').send(body);
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
      expect([a.status, a.body]).toEqual([b.status, b.body]);
      expect(stableHeaders(a)).toEqual(stableHeaders(b));
    }
    expect(routerCalls()).toBe(bodies.length);
  });

  it('logs and counts the request as the Express path does', async () => {
    const t = buildTestApp(registry);
    await request(t.app).post('/predict').set('X-Request-Id', 'trace-1').send(TEXT).expect(200);
    await request(t.app).post('/predict').send({ text: 7 }).expect(400);
    const lines = t.log.lines().filter((line) => line.msg === 'request');
    expect(lines[0]).toMatchObject({
      reqId: 'trace-1',
      method: 'POST',
      path: '/predict',
      route: '/predict',
      status: 200,
      modelVersion: registry.get('tweets-mini')?.version,
    });
    expect(lines[1]).toMatchObject({ route: '/predict', status: 400, errorCode: 'invalid_input' });
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/sift_http_requests_total\{[^}]*route="\/predict"[^}]*status="200"[^}]*\} 1/);
  });

  it('goes through admission: a request that can never fit is refused before its body is read', async () => {
    const config = defaultConfig();
    const admission = new Admission({ budgetBytes: 1024, maxInFlight: 2, maxQueued: 0, queueTimeoutMs: 10 });
    const app = createApp({
      config,
      registry,
      logger: captureLogger().logger,
      metrics: createMetrics({ processMetrics: false }),
      admission,
    });
    const routerCalls = watchRouter(app);
    const res = await request(app).post('/predict').send(TEXT);
    const viaExpress = await request(app).post('/Predict').send(TEXT);
    expect(res.status).toBe(413);
    expect([res.status, res.body]).toEqual([viaExpress.status, viaExpress.body]);
    expect(routerCalls()).toBe(1);
    expect(admission.stats().inFlight).toBe(0);
  });

  it('leaves browsers and bodiless posts to the direct path, forms to Express; keyed setups stay off the router', async () => {
    const t = buildTestApp(registry);
    const routerCalls = watchRouter(t.app);
    const page = await request(t.app).post('/predict').set('Accept', 'text/html').send(TEXT);
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html');
    const bodiless = await request(t.app).post('/predict').set('Content-Type', 'application/json');
    expect(bodiless.status).toBe(400);
    expect(bodiless.body.error).toMatchObject({ code: 'empty_body', message: /the request has no body/ });
    expect(routerCalls()).toBe(0);
    await request(t.app).post('/predict').type('form').send({ text: 'hello' }).expect(200);
    expect(routerCalls()).toBe(1);

    const keyed = buildTestApp(registry, { apiKeys: ['k'] });
    const keyedCalls = watchRouter(keyed.app);
    const refused = await request(keyed.app).post('/predict').send(TEXT);
    expect(refused.status).toBe(401);
    await request(keyed.app).post('/predict').set('X-API-Key', 'k').send(TEXT).expect(200);
    expect(keyedCalls()).toBe(0); // the JSON path, API key check included
  });
});

describe('production settings', () => {
  const KEY = 'a-production-key-0123456789';
  const keyed: Partial<Config> = { apiKeys: [KEY], formRateLimitPerMinute: 20 };
  const predict = (headers: Record<string, string>, body: object = TEXT): Probe => ({
    path: '/predict',
    viaExpress: '/Predict',
    headers,
    body,
  });

  it('API keys: the JSON path refuses and admits exactly as Express does', async () => {
    await samePath(keyed, predict({}), 'json');
    await samePath(keyed, predict({ 'X-API-Key': 'not-the-key-at-all' }), 'json');
    const ok = await samePath(keyed, predict({ 'X-API-Key': KEY }), 'json');
    expect(ok.status).toBe(200);
    await samePath(keyed, predict({ Authorization: `Bearer ${KEY}` }, { instances: [TEXT, 'two'] }), 'json');
    const refused = await samePath(keyed, predict({ Authorization: 'Bearer nope' }), 'json');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="Sift"');
  });

  it('TRUST_PROXY: the client address comes from X-Forwarded-For as req.ip has it', async () => {
    const overrides: Partial<Config> = { trustProxy: 1 };
    await samePath(overrides, predict({ 'X-Forwarded-For': '203.0.113.7' }), 'json');
    const t = buildTestApp(registry, overrides);
    await request(t.app).post('/predict').set('X-Forwarded-For', '198.51.100.1, 203.0.113.9').send(TEXT);
    expect(t.log.lines().find((line) => line.msg === 'request')?.ip).toBe('203.0.113.9');
  });

  it('CORS: allowed and other origins get the headers Express gives them', async () => {
    const overrides: Partial<Config> = { corsOrigins: ['https://app.example'] };
    const allowed = await samePath(overrides, predict({ Origin: 'https://app.example' }), 'json');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await samePath(overrides, predict({ Origin: 'https://evil.example' }), 'json');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await samePath({ corsOrigins: ['*'] }, predict({ Origin: 'https://any.example' }), 'json');
  });

  it('everything at once, on the protocol routes and /invocations too', async () => {
    const all: Partial<Config> = { ...keyed, trustProxy: 1, corsOrigins: ['https://app.example'] };
    const headers = { 'X-API-Key': KEY, Origin: 'https://app.example', 'X-Forwarded-For': '203.0.113.7' };
    await samePath(all, predict(headers), 'json');
    await samePath(
      all,
      {
        path: '/v1/models/tweets-mini:predict',
        viaExpress: '/V1/models/tweets-mini:predict',
        headers,
        body: { instances: [TEXT] },
      },
      'json',
    );
    await samePath(all, { path: '/invocations', viaExpress: '/Invocations', headers, body: TEXT }, 'json');
    await samePath(
      all,
      { path: '/invocations', viaExpress: '/Invocations', headers: {}, body: TEXT },
      'json',
    );
  });

  it('RATE_LIMIT_PER_MINUTE keeps express-rate-limit on the direct path, answering as Express does', async () => {
    const limited: Partial<Config> = { rateLimitPerMinute: 1 };
    const first = await samePath(limited, predict({}), 'direct');
    expect(first.headers.ratelimit).toBeDefined();
    const t = buildTestApp(registry, limited);
    await request(t.app).post('/predict').send(TEXT).expect(200);
    await request(t.app).post('/predict').send(TEXT).expect(429);
  });
});

describe('/invocations', () => {
  it('takes the JSON path for JSON answers, the direct path for CSV and JSON Lines ones', async () => {
    const invoke = (headers: Record<string, string>, body: object): Probe => ({
      path: '/invocations',
      viaExpress: '/Invocations',
      headers,
      body,
    });
    await samePath({}, invoke({}, TEXT), 'json');
    await samePath({}, invoke({ Accept: 'application/json' }, { instances: [TEXT, 'two'] }), 'json');
    await samePath({}, invoke({}, { input: [{ text: 'a flood' }] }), 'json');
    await samePath({}, invoke({}, { dataframe_records: [{ text: 'a flood' }] }), 'json');
    await samePath({}, invoke({ 'X-Amzn-SageMaker-Custom-Attributes': 'explain=true' }, TEXT), 'json');
    await samePath({}, invoke({}, { text: 5 }), 'json');
    const csv = await samePath({}, invoke({ Accept: 'text/csv' }, { instances: [TEXT] }), 'direct');
    expect(csv.type).toBe('text/csv');
    await samePath({}, invoke({ Accept: 'application/jsonlines' }, { instances: [TEXT] }), 'direct');
    await samePath({}, invoke({ Accept: 'image/png' }, TEXT), 'direct');
  });
});

describe('the protocol routes', () => {
  it('answer and fail on the JSON path exactly as through Express, in their own error shape', async () => {
    const t = buildTestApp(registry);
    const routerCalls = watchRouter(t.app);
    const cases: [string, string, unknown][] = [
      ['/v1/models/tweets-mini:predict', '/V1/models/tweets-mini:predict', { instances: [TEXT] }],
      ['/v1/models/tweets-mini:explain', '/V1/models/tweets-mini:explain', { instances: [TEXT] }],
      ['/v1/models/tweets-mini:predict', '/V1/models/tweets-mini:predict', { instances: 'no' }],
      ['/v1/models/nope:predict', '/V1/models/nope:predict', { instances: [TEXT] }],
      [
        '/v2/models/tweets-mini/infer',
        '/V2/models/tweets-mini/infer',
        { id: 'r1', inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['a flood'] }] },
      ],
      ['/v2/models/tweets-mini/infer', '/V2/models/tweets-mini/infer', { inputs: 3 }],
    ];
    for (const [direct, viaExpress, body] of cases) {
      const a = await request(t.app)
        .post(direct)
        .send(body as object);
      const b = await request(t.app)
        .post(viaExpress)
        .send(body as object);
      expect([a.status, a.body]).toEqual([b.status, b.body]);
      expect(stableHeaders(a)).toEqual(stableHeaders(b));
    }
    expect(routerCalls()).toBe(cases.length);
  });

  it('serve the protocol routes with their own error shape', async () => {
    const t = buildTestApp(registry);
    const routerCalls = watchRouter(t.app);
    const ok = await request(t.app)
      .post('/v1/models/tweets-mini:predict')
      .send({ instances: [TEXT] })
      .expect(200);
    expect(ok.body.predictions).toHaveLength(1);
    const bad = await request(t.app).post('/v1/models/tweets-mini:predict').send({ nothing: 1 });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body)).toEqual(['error']);
    expect(typeof bad.body.error).toBe('string');
    const missing = await request(t.app).post('/v2/models/no-such/infer').send({ inputs: [] });
    expect(missing.status).toBe(404);
    expect(typeof missing.body.error).toBe('string');
    await request(t.app).post('/invocations').send(TEXT).expect(200);
    expect(routerCalls()).toBe(0);
  });
});

describe('route matching', () => {
  it('matches the exact spelling only, with parameters', () => {
    const route = directRoute('/v1/models/:name\\:predict', []);
    expect(route.match('/v1/models/tweets-mini:predict')).toEqual({ name: 'tweets-mini' });
    expect(route.match('/v1/models/tweets-mini:explain')).toBeUndefined();
    expect(route.match('/v1/models/a%20b:predict')).toBeUndefined();
    expect(route.match('/v1/models/tweets-mini:predict/')).toBeUndefined();
    expect(directRoute('/predict', []).match('/predict.json')).toBeUndefined();
  });

  it('tells browsers from API clients as req.accepts does', () => {
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    expect(prefersHtml(browser)).toBe(true);
    expect(prefersHtml(browser)).toBe(true);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('application/json, text/html')).toBe(false);
    expect(prefersHtml('text/html;q=0.5, application/json;q=0.4')).toBe(true);
    expect(prefersHtml(undefined)).toBe(false);
  });

  it('takes JSON content types only', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/jsonlines')).toBe(false);
    expect(isJsonContentType('text/csv')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
