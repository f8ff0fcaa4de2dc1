/**
 * /openapi.json lists every route, and every route it lists is served: each operation is called
 * and must not answer 404-for-the-route or 405. /docs renders it without any inline script or style.
 */
import request from 'supertest';
import type { SiftRegistry } from '../../src/model/registry';
import { buildDocsView } from '../../src/ops/docs';
import { OPERATIONS, allowedMethods, buildOpenApi } from '../../src/ops/openapi';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { buildTestApp, captureLogger, loadFixtureRegistry, type TestApp } from '../helpers/app';

let registry: SiftRegistry;
/** A logged prediction's id: the feedback route's {id}. */
let predictionId = '';
/** A route template with the fixture model's name, served version and a logged prediction. */
const concrete = (path: string) =>
  path
    .replace('{name}', 'tweets-mini')
    .replace('{version}', registry.get('tweets-mini')!.version)
    .replace('{id}', predictionId);
let t: TestApp;
let log: ManagedPredictionLog;
beforeAll(async () => {
  registry = await loadFixtureRegistry();
  // The prediction log on (SQLite in memory), so its routes answer what their examples say.
  log = createPredictionLog(createSqliteStore({ path: ':memory:' }), {
    logger: captureLogger('silent').logger,
    retentionMs: 1e12,
    maxRows: 1e9,
  });
  await log.opened;
  t = buildTestApp(registry, {}, { predictionLog: log });
  predictionId = (await request(t.app).post('/predict').send({ text: 'fire' })).body.prediction_id as string;
});
afterAll(async () => {
  await log.close();
  await registry.close();
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with every operation', async () => {
    const res = await request(t.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const op of OPERATIONS) {
      expect(res.body.paths[op.path][op.method]).toMatchObject({ summary: op.summary });
    }
    expect(res.body.info.description).toContain('tweets-mini (default: tweets-mini)');
    const refs = JSON.stringify(res.body).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of new Set(refs))
      expect(res.body.components.schemas).toHaveProperty(ref.split('/').pop()!);
  });

  it('marks secured operations only when API_KEYS is set', () => {
    const open = buildOpenApi({ apiKeys: [] });
    expect(JSON.stringify(open.paths)).not.toContain('"security"');
    const keyed = buildOpenApi({ apiKeys: ['k'.repeat(16)] });
    expect(keyed.paths['/predict'].post).toHaveProperty('security');
    expect(keyed.paths['/health'].get).not.toHaveProperty('security');
  });

  const bodies: Record<string, unknown> = {
    '/predict': { text: 'fire' },
    '/models/{name}/predict': { text: 'fire' },
    '/invocations': { instances: [{ text: 'fire' }] },
    '/v1/models/{name}:predict': { instances: [{ text: 'fire' }] },
    '/v1/models/{name}:explain': { instances: [{ text: 'fire' }] },
    '/v2/models/{name}/infer': { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['fire'] }] },
  };

  it.each(OPERATIONS.map((op) => [op.method.toUpperCase(), op.path] as const))(
    '%s %s is served',
    async (method, path) => {
      const url = concrete(path);
      const res =
        method === 'GET'
          ? await request(t.app).get(url)
          : await request(t.app)
              .post(url)
              .send(bodies[path] as object);
      expect(res.status).not.toBe(405);
      expect(res.status).not.toBe(404);
      expect(res.status).toBeLessThan(500);
    },
  );

  it('drives the 405 table from the same list', () => {
    expect(allowedMethods('/predict')).toEqual(['POST']);
    expect(allowedMethods('/models/abc')).toEqual(['GET', 'HEAD']);
    expect(allowedMethods('/v1/models/abc:predict')).toEqual(['POST']);
    expect(allowedMethods('/v1/models/abc')).toEqual(['GET', 'HEAD']);
    expect(allowedMethods('/nope')).toBeUndefined();
  });
});

describe('GET /docs', () => {
  it('renders every operation and schema, escaped, with no inline script or style', async () => {
    const res = await request(t.app).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    for (const op of OPERATIONS) {
      const method = op.method.toUpperCase();
      expect(res.text).toContain(`>${method}</span> <code>${op.path}</code>`);
    }
    expect(res.text).toContain('id="schema-PredictRequest"');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/<style/);
    expect(res.text).not.toMatch(/\sstyle=/);
    expect(res.text).not.toMatch(/\son[a-z]+=/);
    expect(res.text).toContain('&#34;');
  });

  it('renders Markdown (no stray backticks) and schemas as tables of their fields', async () => {
    const res = await request(t.app).get('/docs');
    const prose = res.text.replace(/<pre[\s\S]*?<\/pre>/g, '');
    expect(prose).not.toContain('`');
    expect(res.text).toContain('<code>{&quot;instances&quot;: [...]}</code>');
    expect(res.text).toMatch(/<td><code>label_name<\/code><\/td><td>string or null<\/td>/);
  });

  it('gives every operation a curl example, and every example body is answered', async () => {
    const doc = buildOpenApi(t.config, registry);
    const view = buildDocsView(doc);
    const operations = view.groups.flatMap((g) => g.operations);
    expect(operations).toHaveLength(OPERATIONS.length);
    for (const op of operations) {
      expect(op.examples.length).toBeGreaterThan(0);
      for (const example of op.examples) expect(example.command).toContain('curl -s ');
    }
    // The bodies behind the examples, sent for real: none is refused.
    for (const op of OPERATIONS) {
      if (op.requestBody === undefined) continue;
      const url = concrete(op.path);
      for (const [type, media] of Object.entries(op.requestBody)) {
        if (media.example === undefined) continue;
        let call = request(t.app).post(url);
        if (type === 'multipart/form-data') {
          const file = (media.example as { file: string }).file;
          call = call.attach('file', Buffer.from(file), { filename: 'rows.csv', contentType: 'text/csv' });
        } else if (type === 'application/x-www-form-urlencoded') {
          call = call.type('form').send(media.example as Record<string, string>);
        } else {
          const body = typeof media.example === 'string' ? media.example : JSON.stringify(media.example);
          call = call.set('Content-Type', type).send(body);
        }
        const res = await call;
        expect([`${op.method} ${op.path} ${type}`, res.status]).toEqual([
          `${op.method} ${op.path} ${type}`,
          200,
        ]);
      }
    }
  });
});
