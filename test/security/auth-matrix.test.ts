/**
 * API keys over the whole surface, generated from the route table (src/ops/openapi.ts OPERATIONS):
 * every route × method × Accept × content type × key absent / wrong / valid, with the HTML form open
 * and with PROTECT_FORM. Nothing here lists routes by hand: a route added to the table is covered,
 * and a route served but missing from the table fails the first test.
 *
 * What must hold with API_KEYS set:
 *  - without a valid key, no answer carries machine-readable predictions: a secured route is 401,
 *    except the open form (PROTECT_FORM off, no key sent), which answers HTML for one urlencoded
 *    text and pages; open routes (probes, metrics, docs) never predict;
 *  - with a valid key (Bearer, X-API-Key or Basic), no route answers 401;
 *  - nothing answers 5xx.
 */
import type { Express } from 'express';
import { OPERATIONS, type Operation } from '../../src/ops/openapi';
import type { SiftRegistry } from '../../src/model/registry';
import { keyMatches } from '../../src/http/security';
import { createPredictionLog, type ManagedPredictionLog } from '../../src/monitor/log';
import { createSqliteStore } from '../../src/monitor/store-sqlite';
import { buildTestApp, captureLogger, loadFixtureRegistry, DEFAULT_TEST_MODEL } from '../helpers/app';
import { type LiveServer, startLive } from './harness';

const KEY = 'matrix-key-0123456789abcdef';
const OTHER_KEY = 'matrix-other-key-9876543210';
/** Same length as KEY, one character off: a wrong key, not a malformed one. */
const WRONG_KEY = `${KEY.slice(0, -1)}X`;
const MODEL = DEFAULT_TEST_MODEL;

let registry: SiftRegistry;
beforeAll(async () => {
  registry = await loadFixtureRegistry();
});
afterAll(async () => {
  await registry.close();
});

// ---- the route table ----------------------------------------------------------------------------

/** `/models/{name}/predict` → `/models/:name/predict`, as Express spells it (`\:` for a literal colon). */
const expressPath = (template: string) => template.replace(/\}:/g, '}\\:').replace(/\{(\w+)\}/g, ':$1');

/** Every route the app's routers declare, with the methods it answers (not counting 405 catch-alls). */
function servedRoutes(app: Express): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  interface Layer {
    route?: { path: string | string[]; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const walk = (stack: readonly Layer[]) => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
        // A route with only .all(): an error answer (404 or 405) for paths nothing serves.
        if (methods.length === 0) continue;
        for (const path of [layer.route.path].flat()) {
          const known = routes.get(path) ?? new Set<string>();
          methods.forEach((m) => known.add(m));
          routes.set(path, known);
        }
      } else if (layer.handle?.stack !== undefined) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return routes;
}

it('the route table lists every route the app serves, and nothing it does not', () => {
  const served = servedRoutes(buildTestApp(registry).app);
  const table = new Map<string, Set<string>>();
  for (const op of OPERATIONS) {
    const path = expressPath(op.path);
    table.set(path, (table.get(path) ?? new Set<string>()).add(op.method));
  }
  const listing = (m: Map<string, Set<string>>) =>
    Object.fromEntries([...m].map(([path, methods]) => [path, [...methods].sort()]).sort());
  expect(listing(served)).toEqual(listing(table));
});

// ---- the requests -------------------------------------------------------------------------------

const concrete = (template: string) => template.replace('{name}', MODEL);

interface Target {
  path: string;
  /** The table's operations at this path (empty: no route has it). */
  ops: readonly Operation[];
}

/** Every path of the table, and variants the router also matches or that no route has. */
function targets(): Target[] {
  const byPath = new Map<string, Operation[]>();
  for (const op of OPERATIONS) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op]);
  const list: Target[] = [...byPath].map(([template, ops]) => ({ path: concrete(template), ops }));
  // Express matches paths case-insensitively and with a trailing slash: so must the key check.
  list.push({ path: '/PREDICT', ops: byPath.get('/predict')! });
  list.push({ path: `/models/${MODEL}/predict/`, ops: byPath.get('/models/{name}/predict')! });
  list.push({ path: '/Invocations', ops: byPath.get('/invocations')! });
  for (const path of [
    '/no-such-route',
    `/v1/models/${MODEL}:bogus`,
    `/v2/models/${MODEL}/versions/1/infer`,
  ]) {
    list.push({ path, ops: [] });
  }
  return list;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'] as const;
const ACCEPTS = [
  undefined,
  '*/*',
  'application/json',
  'text/html',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'text/csv',
  'application/jsonlines',
] as const;

interface Body {
  name: string;
  contentType?: string;
  body?: (path: string) => string;
}

const BOUNDARY = 'matrixboundary';
const multipart = (parts: string[]) =>
  `${parts.map((p) => `--${BOUNDARY}\r\n${p}\r\n`).join('')}--${BOUNDARY}--\r\n`;

/** A JSON body each kind of route would accept. */
function jsonFor(path: string): string {
  if (/infer$/.test(path)) {
    return JSON.stringify({
      inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['fire', 'flood'] }],
    });
  }
  return JSON.stringify({ instances: ['fire', 'flood'] });
}

const BODIES: readonly Body[] = [
  { name: 'no body' },
  { name: 'json', contentType: 'application/json', body: jsonFor },
  { name: 'json single', contentType: 'application/json', body: () => JSON.stringify({ text: 'fire' }) },
  { name: 'urlencoded', contentType: 'application/x-www-form-urlencoded', body: () => 'text=fire' },
  {
    name: 'multipart upload',
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
    body: () =>
      multipart([
        'Content-Disposition: form-data; name="file"; filename="x.csv"\r\nContent-Type: text/csv\r\n\r\ntext\nfire\nflood',
      ]),
  },
  {
    name: 'multipart fields',
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
    body: () => multipart(['Content-Disposition: form-data; name="text"\r\n\r\nfire']),
  },
  { name: 'csv', contentType: 'text/csv', body: () => 'text\nfire\nflood\n' },
  { name: 'text', contentType: 'text/plain', body: () => 'fire' },
  { name: 'jsonlines', contentType: 'application/jsonlines', body: () => '{"text":"fire"}\n"flood"\n' },
];

type KeyCase = 'absent' | 'wrong' | 'valid';
const KEYS: readonly KeyCase[] = ['absent', 'wrong', 'valid'];

/** Valid keys are sent the three accepted ways in turn, and with either configured key. */
function keyHeaders(key: KeyCase, turn: number): Record<string, string> {
  if (key === 'absent') return {};
  const value = key === 'wrong' ? WRONG_KEY : turn % 2 === 0 ? KEY : OTHER_KEY;
  switch (turn % 3) {
    case 0:
      return { authorization: `Bearer ${value}` };
    case 1:
      return { 'x-api-key': value };
    default:
      return { authorization: `Basic ${Buffer.from(`user:${value}`).toString('base64')}` };
  }
}

interface Outcome {
  status: number;
  type: string;
  text: string;
}

async function send(
  server: LiveServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Outcome> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers,
    body,
    redirect: 'manual',
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/**
 * Predictions in a machine-readable answer: any CSV or JSON Lines answer, or JSON holding a
 * prediction's values (not the API description's schemas, nor the metrics' counts).
 */
function carriesPredictions(outcome: Outcome): boolean {
  if (outcome.status < 200 || outcome.status >= 300) return false;
  if (/^(text\/csv|application\/(jsonlines|x-ndjson|jsonl))/.test(outcome.type)) return true;
  return /"label_name":("|null)|"probabilities":\{"[^"]*":-?\d|"outputs":\[\{"name":"label"/.test(
    outcome.text,
  );
}

/** What the table says of `method` on a target (HEAD as GET). */
function operationFor(target: Target, method: string): Operation | undefined {
  const wanted = method === 'HEAD' ? 'get' : method.toLowerCase();
  return target.ops.find((op) => op.method === wanted);
}

/** May a keyless request use this as the open form? Mirrors the documented rule, not the code. */
function openFormRequest(
  op: Operation | undefined,
  method: string,
  body: Body,
  protectForm: boolean,
): boolean {
  if (op?.form !== true || protectForm) return false;
  if (method === 'GET' || method === 'HEAD') return true;
  return method === 'POST' && body.contentType === 'application/x-www-form-urlencoded';
}

describe.each([false, true])('with API_KEYS set and PROTECT_FORM=%p', (protectForm) => {
  let server: LiveServer;
  let log: ManagedPredictionLog;
  beforeAll(async () => {
    // The prediction log on (SQLite in memory): its routes answer as they do in production, not 503.
    log = createPredictionLog(createSqliteStore({ path: ':memory:' }), {
      logger: captureLogger('silent').logger,
      retentionMs: 1e12,
      maxRows: 1e9,
    });
    await log.opened;
    server = await startLive(
      registry,
      { apiKeys: [KEY, OTHER_KEY], protectForm, maxBatch: 10 },
      { predictionLog: log },
    );
  });
  afterAll(async () => {
    await server.close();
    await log.close();
  });

  it.each(targets().map((t) => [t.path, t] as const))('%s', async (_path, target) => {
    const failures: string[] = [];
    let turn = 0;
    let count = 0;
    for (const method of METHODS) {
      const op = operationFor(target, method);
      // Bodies matter where a body is read; other methods get none, and a JSON one.
      const bodies =
        method === 'POST'
          ? BODIES
          : method === 'PUT' || method === 'DELETE'
            ? BODIES.slice(0, 2)
            : BODIES.slice(0, 1);
      for (const accept of ACCEPTS) {
        for (const body of bodies) {
          for (const key of KEYS) {
            turn += 1;
            count += 1;
            const headers: Record<string, string> = { ...keyHeaders(key, turn) };
            if (accept !== undefined) headers.accept = accept;
            if (body.contentType !== undefined) headers['content-type'] = body.contentType;
            const outcome = await send(server, method, target.path, headers, body.body?.(target.path));
            const what = `${method} ${target.path} accept=${accept ?? '-'} body=${body.name} key=${key} → ${outcome.status} ${outcome.type}`;
            const fail = (why: string) => failures.push(`${what}: ${why}`);

            if (outcome.status >= 500) fail('5xx');
            if (key === 'valid') {
              if (outcome.status === 401) fail('a valid key was refused');
              continue;
            }
            // No key, or a wrong one.
            if (carriesPredictions(outcome)) fail('machine-readable predictions without a valid key');
            const open = target.ops.length > 0 && target.ops.every((o) => !o.secured);
            if (open || (op !== undefined && !op.secured)) {
              if (outcome.status === 401) fail('an open route asked for a key');
              continue;
            }
            if (method === 'OPTIONS') {
              // Answered before authentication: the Allow header only (204), or 404 for no such path.
              if (outcome.status === 204 ? outcome.text !== '' : ![401, 404].includes(outcome.status)) {
                fail('OPTIONS answered more than Allow');
              }
              continue;
            }
            if (key === 'absent' && openFormRequest(op, method, body, protectForm)) {
              if (outcome.status === 401) fail('the open form asked for a key');
              if (outcome.status === 200 && !/^text\/html/.test(outcome.type))
                fail('the open form answered non-HTML');
              continue;
            }
            if (outcome.status !== 401) fail('expected 401');
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(20);
  });
});

// ---- the open form, precisely -------------------------------------------------------------------

describe('the open form with API_KEYS set', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startLive(registry, { apiKeys: [KEY], formRateLimitPerMinute: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers one urlencoded text as a page, whatever Accept says, and refuses uploads and batches', async () => {
    for (const accept of ['application/json', 'text/csv', 'application/jsonlines', '*/*']) {
      const page = await send(
        server,
        'POST',
        '/predict',
        { accept, 'content-type': 'application/x-www-form-urlencoded' },
        'text=fire',
      );
      expect(page.status).toBe(200);
      expect(page.type).toMatch(/^text\/html/);
    }
    const upload = (headers: Record<string, string>) =>
      send(
        server,
        'POST',
        '/predict',
        { ...headers, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
        multipart(['Content-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\ntext\nfire']),
      );
    const anonymous = await upload({ accept: 'text/html' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.type).toMatch(/^text\/html/);
    const keyed = await upload({ accept: 'text/csv', 'x-api-key': KEY });
    expect(keyed.status).toBe(200);
    expect(keyed.type).toMatch(/^text\/csv/);
  });

  it('has its own per-client rate limit, which keyed clients do not count against', async () => {
    const own = await startLive(registry, { apiKeys: [KEY], formRateLimitPerMinute: 2 });
    try {
      const form = () =>
        send(
          own,
          'POST',
          '/predict',
          { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
          'text=fire',
        );
      expect((await form()).status).toBe(200);
      expect((await form()).status).toBe(200);
      const limited = await form();
      expect(limited.status).toBe(429);
      expect(limited.type).toMatch(/^text\/html/);
      // Keyed API calls and pages are not form predictions.
      const api = await send(
        own,
        'POST',
        '/predict',
        { 'x-api-key': KEY, 'content-type': 'application/json' },
        '{"text":"fire"}',
      );
      expect(api.status).toBe(200);
      expect((await send(own, 'GET', '/index', { accept: 'text/html' }, undefined)).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('key comparison', () => {
  it('accepts exactly the configured keys, whatever their length or content', () => {
    const keys = [KEY, OTHER_KEY];
    expect(keyMatches(KEY, keys)).toBe(true);
    expect(keyMatches(OTHER_KEY, keys)).toBe(true);
    for (const wrong of [
      WRONG_KEY,
      KEY.slice(0, -1),
      `${KEY}x`,
      KEY.toUpperCase(),
      ` ${KEY}`,
      '',
      'é'.repeat(40),
    ]) {
      expect(keyMatches(wrong, keys)).toBe(false);
    }
  });
});
