/**
 * Fuzzing with fast-check (fixed seed, bounded runs and time): random JSON, request-shaped objects
 * with hostile keys, random bytes under random content types and encodings, and random forms, at
 * every prediction entry point. Only 2xx/4xx, errors well-formed, nothing leaked, never a crash.
 * Then the inference core itself with random Unicode (lone surrogates included): it never throws
 * and single-label probabilities are finite and sum to 1.
 */
import fc from 'fast-check';
import type { SiftRegistry } from '../../src/model/registry';
import { loadFixtureRegistry } from '../helpers/app';
import { type Answer, type LiveServer, expectNoLeak, expectServes, rawRequest, startLive } from './harness';

/** Fixed by default so CI is reproducible; FUZZ_SEED, FUZZ_RUNS and FUZZ_TIME_MS explore further by hand. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);
/** Per property: whichever comes first, the runs or the time. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 2500);

const ROUTES = [
  '/predict',
  '/models/sentiment-mini/predict',
  '/invocations',
  '/v1/models/toxic-mini:predict',
  '/v2/models/tweets-mini/infer',
];
const KSERVE = /^\/v[12]\//;

let registry: SiftRegistry;
let live: LiveServer;

beforeAll(async () => {
  registry = await loadFixtureRegistry();
  live = await startLive(registry, { maxBatch: 64, maxBodyBytes: 64 * 1024, maxJsonDepth: 16 });
});
afterAll(async () => {
  await live.close();
  await registry.close();
});

/** Every fuzzed answer: no 5xx, a well-formed error for the route's protocol, nothing leaked. */
function checkAnswer(route: string, res: Answer): void {
  expect(res.status).toBeGreaterThanOrEqual(200);
  expect(res.status).toBeLessThan(500);
  // Only GET / redirects (to /index); every other answer is a page, data or an error.
  if (res.status >= 300 && res.status < 400)
    expect([res.status, res.headers.location]).toEqual([302, '/index']);
  expectNoLeak(res.text);
  // HEAD answers carry the headers of the error but no body.
  if (res.status < 400 || res.text === '' || !/json/.test(String(res.headers['content-type']))) return;
  const error = (res.body as { error?: unknown }).error;
  // Authentication and body reading run before the KServe routers, which answer {"error": "..."}.
  if (KSERVE.test(route) && typeof error === 'string') {
    expect(error.length).toBeGreaterThan(0);
    return;
  }
  expect(error).toEqual({
    status: res.status,
    code: expect.stringMatching(/^[a-z_]+$/),
    message: expect.any(String),
    ...(typeof error === 'object' && error !== null && 'details' in error
      ? { details: expect.anything() }
      : {}),
  });
}

const post = (
  route: string,
  contentType: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
) =>
  rawRequest(
    live.port,
    'POST',
    route,
    { Accept: 'application/json', 'Content-Type': contentType, ...headers },
    Buffer.from(body),
  );

/** Each property stops at RUNS runs or TIME_LIMIT_MS, whichever comes first; the seed fixes the inputs. */
const BOUNDED = {
  seed: SEED,
  numRuns: RUNS,
  interruptAfterTimeLimit: TIME_LIMIT_MS,
  markInterruptAsFailure: false,
  endOnFailure: true,
};

/** Keys a request body may carry, keys that attack objects, and anything else. */
const KEYS = fc.oneof(
  fc.constantFrom(
    'text',
    'keyword',
    'location',
    'instances',
    'input',
    'inputs',
    'model',
    'explain',
    'top_terms',
    'dataframe_split',
    'dataframe_records',
    'columns',
    'data',
    'index',
    'name',
    'shape',
    'datatype',
    'outputs',
    'parameters',
    'id',
    '__proto__',
    'constructor',
    'prototype',
  ),
  fc.string({ maxLength: 12 }),
);

/** A JSON object text with these entries, written by hand so a `__proto__` key stays a key. */
function objectText(entries: readonly (readonly [string, unknown])[]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
}

const requestLike: fc.Arbitrary<string> = fc.letrec<{ value: unknown; object: string }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3 },
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('fire', 'Forest fire near La Ronge', '', '   ', 'BYTES', 'FP32', 'text'),
    fc.integer({ min: -3, max: 300 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(KEYS, tie('value')), { maxLength: 4 })
      .map((entries) => JSON.parse(objectText(entries)) as unknown),
  ),
  object: fc.array(fc.tuple(KEYS, tie('value')), { maxLength: 6 }).map(objectText),
})).object;

const CONTENT_TYPES = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/vnd.api+json',
    'text/csv',
    'text/csv; header=present',
    'application/csv',
    'text/plain',
    'text/plain; charset=utf-16le',
    'application/jsonlines',
    'application/x-ndjson',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'multipart/form-data',
    'application/octet-stream',
    'text/html',
    'application/xml',
    '*/*',
    '',
  ),
  fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
);

describe('fuzzing the HTTP entry points', () => {
  it('random JSON values: only 2xx/4xx, well-formed errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), fc.jsonValue({ maxDepth: 5 }), async (route, value) => {
        checkAnswer(route, await post(route, 'application/json', JSON.stringify(value) ?? 'null'));
      }),
      BOUNDED,
    );
    await expectServes(live);
  });

  it('request-shaped objects with random and prototype-polluting keys', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), requestLike, async (route, body) => {
        checkAnswer(route, await post(route, 'application/json', body));
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      BOUNDED,
    );
    await expectServes(live);
  });

  it('random bytes under random content types and encodings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.uint8Array({ maxLength: 2048 }),
        CONTENT_TYPES,
        fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'zstd'),
        async (route, bytes, contentType, encoding) => {
          const headers: Record<string, string> =
            encoding === undefined ? {} : { 'Content-Encoding': encoding };
          checkAnswer(route, await post(route, contentType, bytes, headers));
        },
      ),
      BOUNDED,
    );
    await expectServes(live);
  });

  it('random forms posted by a browser to the form route', async () => {
    const field = fc.oneof(
      fc.constantFrom('text', 'keyword', 'location', 'model', 'explain', 'top_terms'),
      fc.string({ maxLength: 10 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(field, fc.string({ unit: 'binary', maxLength: 60 })), { maxLength: 8 }),
        async (fields) => {
          const form = new URLSearchParams(fields.map(([name, value]) => [name, value])).toString();
          const res = await post('/predict', 'application/x-www-form-urlencoded', form, {
            Accept: 'text/html',
          });
          checkAnswer('/predict', res);
          expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
        },
      ),
      BOUNDED,
    );
    await expectServes(live);
  });
});

describe('fuzzing URLs and methods', () => {
  it('random paths, percent-encodings and query strings under every prefix: never 5xx', async () => {
    const prefix = fc.constantFrom(
      '/',
      '/models/',
      '/v1/models/',
      '/v2/models/',
      '/static/',
      '/index',
      '/predict',
      '/docs',
    );
    const rest = fc.stringMatching(/^[A-Za-z0-9%._~:@!$&'()*+,;=/?-]{0,40}$/);
    const method = fc.constantFrom(
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'OPTIONS',
      'PATCH',
      'PROPFIND',
      'TRACE',
    );
    await fc.assert(
      fc.asyncProperty(method, prefix, rest, async (verb, start, tail) => {
        const route = `${start}${tail}`;
        const body = verb === 'POST' ? '{"text": "fire"}' : undefined;
        const res = await rawRequest(
          live.port,
          verb,
          route,
          { Accept: 'application/json', 'Content-Type': 'application/json' },
          body,
        );
        checkAnswer(route, res);
      }),
      BOUNDED,
    );
    await expectServes(live);
  });
});

describe('fuzzing the inference core', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.stringMatching(/^[\s\S]{0,80}$/),
  );

  it('never throws on random Unicode; single-label probabilities are finite and sum to 1', async () => {
    const single = ['tweets-mini', 'sentiment-mini'].map((name) => registry.get(name)!);
    const multi = registry.get('toxic-mini')!;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text, text), { minLength: 1, maxLength: 4 }), async (rows) => {
        for (const model of [...single, multi]) {
          const inputs = rows.map(([a, b, c]) => ({ text: a, keyword: b, location: c }));
          const predictions = await model.predict(inputs, { explain: true, topTerms: 3 });
          const onnx = await model.predictVia('onnx', inputs);
          expect(predictions).toHaveLength(rows.length);
          predictions.forEach((prediction, i) => {
            expect(prediction.values).toHaveLength(model.card.classes.length);
            for (const value of [...prediction.values, ...onnx[i].values]) {
              expect(Number.isFinite(value)).toBe(true);
              expect(value).toBeGreaterThanOrEqual(0);
              expect(value).toBeLessThanOrEqual(1);
            }
            expect(prediction.coverage.ratio).toBeGreaterThanOrEqual(0);
            expect(prediction.coverage.ratio).toBeLessThanOrEqual(1);
            if (model !== multi) {
              expect(prediction.values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
              expect(prediction.classIndex).toBeGreaterThanOrEqual(0);
            }
          });
        }
        for (const model of [...single, multi]) expect(model.status()).toEqual({ ready: true });
      }),
      { ...BOUNDED, numRuns: RUNS + 50, interruptAfterTimeLimit: TIME_LIMIT_MS + 500 },
    );
  });
});
