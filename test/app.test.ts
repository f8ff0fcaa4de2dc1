/**
 * The request flow createApp builds: security headers, request ids, CORS, API keys, rate limiting,
 * trust proxy, 404/405/OPTIONS, the error handler (JSON vs HTML, no stack, hidden 5xx), draining.
 */
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../src/http/errors';
import type { SiftRegistry } from '../src/model/registry';
import { buildTestApp, captureLogger, loadFixtureRegistry, type TestApp } from './helpers/app';

let registry: SiftRegistry;
let t: TestApp;

beforeAll(async () => {
  registry = await loadFixtureRegistry();
  t = buildTestApp(registry);
});
afterAll(async () => {
  await registry.close();
});

const KEY = 'k'.repeat(16) + '-first';
const OTHER_KEY = 'z'.repeat(20);
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('security headers', () => {
  it('sends a strict CSP, no X-Powered-By, no HSTS and no upgrade on plain HTTP', async () => {
    const res = await request(t.app).get('/health');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("style-src-attr 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('adds HSTS and upgrade-insecure-requests when HTTPS_ONLY', async () => {
    const https = buildTestApp(registry, { httpsOnly: true });
    const res = await request(https.app).get('/health');
    expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });

  it('marks dynamic answers no-store and lets static files be cached', async () => {
    expect((await request(t.app).get('/models')).headers['cache-control']).toBe('no-store');
    const css = await request(t.app).get('/static/css/site.css');
    expect(css.status).toBe(200);
    expect(css.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('escapes <, > and & in JSON answers', async () => {
    const res = await request(t.app).post('/predict').send({ text: 'x', model: '<b>&' });
    expect(res.status).toBe(404);
    expect(res.text).not.toMatch(/[<>]/);
    expect(res.text).toContain('\\u003c');
  });
});

describe('request ids', () => {
  it('echoes a sane X-Request-Id and generates one otherwise', async () => {
    const given = await request(t.app).get('/health').set('X-Request-Id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const generated = await request(t.app).get('/health');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await request(t.app).get('/health').set('X-Request-Id', 'a b<script>');
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('404, 405 and OPTIONS', () => {
  it('404s unknown paths as JSON for API clients and as a page for browsers', async () => {
    const json = await request(t.app).get('/nothing-here');
    expect(json.status).toBe(404);
    expect(json.body).toEqual({
      error: {
        status: 404,
        code: 'not_found',
        message: 'there is no GET /nothing-here; see /docs for the API',
      },
    });
    const html = await request(t.app).get('/nothing-here').set('Accept', BROWSER_ACCEPT);
    expect(html.status).toBe(404);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.text).toContain('<h1');
  });

  it.each([
    ['GET', '/predict', 'POST, OPTIONS'],
    ['PUT', '/predict', 'POST, OPTIONS'],
    ['DELETE', '/models/tweets-mini', 'GET, HEAD, OPTIONS'],
    ['POST', '/models', 'GET, HEAD, OPTIONS'],
    ['GET', '/models/tweets-mini/predict', 'POST, OPTIONS'],
    ['POST', '/health', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/metrics', 'GET, HEAD, OPTIONS'],
  ])('405s %s %s with Allow: %s', async (method, path, allow) => {
    const res = await request(t.app)[method.toLowerCase() as 'get'](path);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body.error.code).toBe('method_not_allowed');
  });

  it('answers OPTIONS on a known path with Allow', async () => {
    const res = await request(t.app).options('/models');
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('answers HEAD where GET is served', async () => {
    const res = await request(t.app).head('/health');
    expect(res.status).toBe(200);
  });
});

describe('the error handler', () => {
  function boomApp(error: unknown) {
    const log = captureLogger('debug');
    const app = express();
    app.use((req, _res, next) => {
      req.log = log.logger;
      next();
    });
    app.get('/boom', () => {
      throw error;
    });
    app.use(errorHandler());
    return { app, log };
  }

  it('hides 5xx messages and never sends a stack, but logs it', async () => {
    const { app, log } = boomApp(new Error('database password is hunter2'));
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toMatch(/\.ts:\d+/);
    expect(log.text()).toContain('hunter2');
    expect(log.lines().find((l) => l.msg === 'request error')).toMatchObject({ level: 'error' });

    const html = await request(app).get('/boom').set('Accept', BROWSER_ACCEPT);
    expect(html.status).toBe(500);
    expect(html.text).not.toContain('hunter2');
    expect(html.text).not.toMatch(/\.ts:\d+/);
  });

  it('keeps the status of library errors but not their message', async () => {
    const { app } = boomApp(Object.assign(new Error('raw library text'), { status: 408 }));
    const res = await request(app).get('/boom');
    expect(res.status).toBe(408);
    expect(res.body.error).toEqual({
      status: 408,
      code: 'request_timeout',
      message: 'Request failed (408 request timeout).',
    });
  });

  it('turns thrown non-errors into 500s', async () => {
    const { app } = boomApp('a string');
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
  });
});

describe('API keys', () => {
  let keyed: TestApp;
  beforeAll(() => {
    keyed = buildTestApp(registry, { apiKeys: [KEY, OTHER_KEY] });
  });

  it('401s the JSON API without a key, with a Bearer challenge', async () => {
    const res = await request(keyed.app).post('/predict').send({ text: 'fire' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Sift"');
    expect(res.body.error.code).toBe('unauthorized');
    expect((await request(keyed.app).get('/models')).status).toBe(401);
  });

  it('accepts Authorization: Bearer and X-API-Key with any configured key', async () => {
    const bearer = await request(keyed.app)
      .post('/predict')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ text: 'fire' });
    expect(bearer.status).toBe(200);
    const header = await request(keyed.app).get('/models').set('X-API-Key', OTHER_KEY);
    expect(header.status).toBe(200);
  });

  it('401s a wrong key, a key prefix and an empty bearer', async () => {
    for (const value of [`Bearer ${KEY}x`, `Bearer ${KEY.slice(0, -1)}`, 'Bearer', 'Basic Zm9vOmJhcg==']) {
      const res = await request(keyed.app).get('/models').set('Authorization', value);
      expect(res.status).toBe(401);
    }
  });

  it('keeps probes, docs, static files and the HTML form public', async () => {
    for (const path of ['/health', '/ready', '/metrics', '/openapi.json', '/docs', '/static/css/site.css']) {
      expect((await request(keyed.app).get(path)).status).toBe(200);
    }
    expect((await request(keyed.app).get('/index').set('Accept', BROWSER_ACCEPT)).status).toBe(200);
    const form = await request(keyed.app)
      .post('/predict')
      .set('Accept', BROWSER_ACCEPT)
      .type('form')
      .send({ text: 'Forest fire near La Ronge' });
    expect(form.status).toBe(200);
    expect(form.headers['content-type']).toMatch(/^text\/html/);
  });

  it('cannot be skipped by asking for HTML on the JSON API or the protocols', async () => {
    const accept = 'text/html, application/json;q=0.9, */*;q=0.1';
    const attempts = [
      request(keyed.app)
        .post('/predict')
        .set('Accept', accept)
        .send({ instances: ['fire', 'flood'] }),
      request(keyed.app).post('/predict').set('Accept', accept).send({ text: 'fire' }),
      request(keyed.app)
        .post('/predict')
        .set('Accept', accept)
        .set('Content-Type', 'text/csv')
        .send('text\nfire\n'),
      request(keyed.app)
        .post('/invocations')
        .set('Accept', accept)
        .send({ instances: [{ text: 'fire' }] }),
      request(keyed.app).post('/v2/models/tweets-mini/infer').set('Accept', accept).send({ inputs: [] }),
      request(keyed.app).get('/models/tweets-mini').set('Accept', accept),
      request(keyed.app).get('/v1/models').set('Accept', accept),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(401);
  });

  it('protects the pages too with PROTECT_FORM, asking browsers for Basic auth', async () => {
    const strict = buildTestApp(registry, { apiKeys: [KEY], protectForm: true });
    const page = await request(strict.app).get('/index').set('Accept', BROWSER_ACCEPT);
    expect(page.status).toBe(401);
    expect(page.headers['www-authenticate']).toMatch(/^Basic realm="Sift"/);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const basic = Buffer.from(`anyone:${KEY}`).toString('base64');
    const ok = await request(strict.app)
      .get('/index')
      .set('Accept', BROWSER_ACCEPT)
      .set('Authorization', `Basic ${basic}`);
    expect(ok.status).toBe(200);
    expect((await request(strict.app).get('/health')).status).toBe(200);
  });
});

describe('rate limiting', () => {
  it('is off by default', async () => {
    for (let i = 0; i < 5; i++) expect((await request(t.app).get('/models')).status).toBe(200);
  });

  it('429s past RATE_LIMIT_PER_MINUTE, and a forged X-Forwarded-For does not reset it', async () => {
    const limited = buildTestApp(registry, { rateLimitPerMinute: 2 });
    expect((await request(limited.app).get('/models')).status).toBe(200);
    expect((await request(limited.app).get('/models').set('X-Forwarded-For', '1.2.3.4')).status).toBe(200);
    const third = await request(limited.app).get('/models').set('X-Forwarded-For', '5.6.7.8');
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('too_many_requests');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.headers.ratelimit).toBeDefined();
    // Probes are never limited: an orchestrator must always see the truth.
    expect((await request(limited.app).get('/health')).status).toBe(200);
    expect((await request(limited.app).get('/ready')).status).toBe(200);
  });

  it('keys on the forwarded client address when TRUST_PROXY says to believe one hop', async () => {
    const proxied = buildTestApp(registry, { rateLimitPerMinute: 1, trustProxy: 1 });
    expect((await request(proxied.app).get('/models').set('X-Forwarded-For', '1.1.1.1')).status).toBe(200);
    expect((await request(proxied.app).get('/models').set('X-Forwarded-For', '2.2.2.2')).status).toBe(200);
    expect((await request(proxied.app).get('/models').set('X-Forwarded-For', '1.1.1.1')).status).toBe(429);
    // Only the last hop is believed: a client cannot prepend addresses to escape.
    expect(
      (await request(proxied.app).get('/models').set('X-Forwarded-For', '9.9.9.9, 1.1.1.1')).status,
    ).toBe(429);
  });
});

describe('CORS', () => {
  it('is off by default: no CORS headers', async () => {
    const res = await request(t.app).get('/models').set('Origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers preflights and requests from configured origins only', async () => {
    const cors = buildTestApp(registry, { corsOrigins: ['https://app.example'] });
    const preflight = await request(cors.app)
      .options('/predict')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,authorization');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, POST');
    expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
    expect(preflight.headers.vary).toContain('Origin');

    const actual = await request(cors.app)
      .post('/predict')
      .set('Origin', 'https://app.example')
      .send({ text: 'fire' });
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(actual.headers['access-control-expose-headers']).toContain('X-Request-Id');

    const other = await request(cors.app)
      .post('/predict')
      .set('Origin', 'https://evil.example')
      .send({ text: 'fire' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows any origin with *', async () => {
    const any = buildTestApp(registry, { corsOrigins: ['*'] });
    const res = await request(any.app).get('/models').set('Origin', 'https://whoever.example');
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('draining', () => {
  it('answers not ready and closes connections once shutdown starts', async () => {
    const lifecycle = { draining: false };
    const app = buildTestApp(registry, {}, { lifecycle }).app;
    expect((await request(app).get('/ready')).status).toBe(200);
    lifecycle.draining = true;
    const ready = await request(app).get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.reasons).toContain('the server is shutting down');
    expect(ready.headers.connection).toBe('close');
    expect((await request(app).post('/predict').send({ text: 'fire' })).status).toBe(200);
  });
});
