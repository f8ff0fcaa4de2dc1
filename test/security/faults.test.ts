/**
 * Faults: a model that fails at run time or never passes its self-test answers 503 while the others
 * keep serving; corrupt bundles are refused with the file and field named; and the built server
 * (`node dist/server.js`, compiled here when out of date) refuses to start without a usable model,
 * drains in-flight requests on SIGTERM, and exits 1 after logging an exception nobody caught.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { FIXTURE_MODELS } from '../helpers/app';
import { REPO_ROOT, listeningUrl, spawnServer } from '../helpers/process';
import {
  FIRE,
  copyBundles,
  editJson,
  expectAnswer,
  expectNoLeak,
  expectServes,
  jsonRequest,
  rawExchange,
  startLive,
  statusLines,
} from './harness';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function bundlesCopy(names: readonly string[]): string {
  const dir = copyBundles(names);
  temporary.push(dir);
  return dir;
}

/** The private ONNX session of a loaded model: releasing it under the model is a runtime failure. */
function sessionOf(registry: SiftRegistry, name: string): { release(): Promise<void> } {
  const session = (registry.get(name) as unknown as { session: { release(): Promise<void> } | null }).session;
  if (session === null) throw new Error(`${name} has no session`);
  return session;
}

describe('a model that fails at run time', () => {
  it('answers 503 for that model from then on, while the other models keep serving', async () => {
    // Batches of a linear model reach ONNX only from onnxMinRows rows on (by default never).
    const registry = await loadRegistry(bundlesCopy(FIXTURE_MODELS), {
      defaultModel: 'tweets-mini',
      onnxMinRows: 256,
    });
    const live = await startLive(registry);
    try {
      // The runtime dies under the model (as a native failure would); the model still thinks it is ready.
      await sessionOf(registry, 'sentiment-mini').release();
      expect(registry.get('sentiment-mini')?.status().ready).toBe(true);

      // Batches of 256 rows and more run through ONNX: the failure surfaces there.
      const batch = Array.from({ length: 300 }, (_, i) => `flight ${i} delayed`);
      const failed = await live.http().post('/models/sentiment-mini/predict').send({ instances: batch });
      expectAnswer(failed, 503, 'model_unavailable');
      expect((failed.body as { error: { message: string } }).error.message).toBe(
        'model sentiment-mini failed and is no longer served',
      );

      // The model is now marked not ready: every route answers 503 for it, even for one row.
      expectAnswer(
        await live.http().post('/models/sentiment-mini/predict').send({ text: 'late again' }),
        503,
        'model_unavailable',
      );
      expectAnswer(
        await live
          .http()
          .post('/invocations')
          .set('X-Amzn-SageMaker-Custom-Attributes', 'model=sentiment-mini')
          .send({ text: 'x' }),
        503,
        'model_unavailable',
      );
      const tensor = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['late'] }] };
      expectAnswer(await live.http().post('/v2/models/sentiment-mini/infer').send(tensor), 503, null);
      expectAnswer(await live.http().get('/v2/models/sentiment-mini/ready'), 503);
      const page = await live
        .http()
        .post('/predict')
        .type('form')
        .set('Accept', 'text/html')
        .send({ model: 'sentiment-mini', text: 'x' });
      expectAnswer(page, 503);
      expect(page.text).toContain('Temporarily unavailable');

      // The others serve, big batches included; readiness names the broken model without internals.
      await expectServes(live);
      const big = await live.http().post('/models/toxic-mini/predict').send({ instances: batch });
      expectAnswer(big, 200);
      // Not the default: the server stays in service, and /ready names the broken model.
      const ready = await live.http().get('/ready');
      expectAnswer(ready, 200);
      expect((ready.body as { models: { name: string; reason?: string }[] }).models).toContainEqual(
        expect.objectContaining({
          name: 'sentiment-mini',
          state: 'not_ready',
          reason: 'runtime failure (onnx): the ONNX session was released',
        }),
      );
      expectNoLeak(ready.text);
      expect(live.log.text()).toContain('the ONNX session was released');
    } finally {
      await live.close();
      await registry.close();
    }
  });

  it('serves a model whose self-test fails as 503, with the reason on /ready and a notice on its page', async () => {
    const dir = bundlesCopy(['tweets-mini', 'sentiment-mini']);
    editJson(path.join(dir, 'sentiment-mini', 'card.json'), (card) => {
      const golden = card.golden as { values: number[] }[];
      golden[0].values = golden[0].values.map(() => 1 / golden[0].values.length);
    });
    const registry = await loadRegistry(dir, { defaultModel: 'tweets-mini' });
    const live = await startLive(registry);
    try {
      expect(registry.skipped).toEqual([]);
      expectAnswer(
        await live.http().post('/models/sentiment-mini/predict').send({ text: 'delayed' }),
        503,
        'model_unavailable',
      );
      await expectServes(live);
      const ready = await live.http().get('/ready');
      expectAnswer(ready, 200);
      const entry = (ready.body as { models: { name: string; reason?: string }[] }).models.find(
        (m) => m.name === 'sentiment-mini',
      );
      expect(entry?.reason).toMatch(
        /^self-test: golden example 0 \(linear, one row per call\): value \d is [\d.e-]+, sklearn says 0\.333/,
      );
      expectAnswer(await live.http().get('/models/sentiment-mini/ready'), 503);
      const page = await live.http().get('/index?model=sentiment-mini');
      expectAnswer(page, 200);
      expect(page.text).toContain('This model is not ready.');
    } finally {
      await live.close();
      await registry.close();
    }
  });
});

describe('corrupt bundles at start-up', () => {
  const corruptions: [string, (bundle: string) => void, string][] = [
    [
      'card.json is not JSON',
      (b) => writeFileSync(path.join(b, 'card.json'), '{"name": '),
      'card.json: not valid JSON',
    ],
    [
      'card.json has no title',
      (b) => editJson(path.join(b, 'card.json'), (card) => delete card.title),
      'card.json: title: Invalid input: expected string, received undefined',
    ],
    [
      'card.json has a class too few',
      (b) => editJson(path.join(b, 'card.json'), (card) => (card.classes as unknown[]).pop()),
      'card.json: classes: a binary model has exactly 2 classes',
    ],
    [
      'vectorizer.json says the wrong width',
      (b) => editJson(path.join(b, 'vectorizer.json'), (v) => (v.width = (v.width as number) + 1)),
      'vectorizer.json: width: is 1138, blocks add up to 1137',
    ],
    [
      'classifier.json comes from another model',
      (b) =>
        writeFileSync(
          path.join(b, 'classifier.json'),
          readFileSync(path.join(REPO_ROOT, 'test/fixtures/bundles/sentiment-mini/classifier.json')),
        ),
      'classifier.json: width: is 1145, vectorizer.json width is 1137',
    ],
    [
      'model.onnx is not a model',
      (b) => writeFileSync(path.join(b, 'model.onnx'), 'not an onnx model'),
      'tweets-mini/model.onnx failed:Protobuf parsing failed.',
    ],
    ['model.onnx is missing', (b) => rmSync(path.join(b, 'model.onnx')), 'model.onnx: missing'],
    [
      'card.json is from a newer format',
      (b) => editJson(path.join(b, 'card.json'), (card) => (card.format_version = 3)),
      'card.json: format_version 3 is newer than this server supports (2); upgrade Sift',
    ],
  ];

  it.each(corruptions)(
    'refuses a bundle whose %s, naming the file and field',
    async (_what, corrupt, expected) => {
      const dir = bundlesCopy(['tweets-mini']);
      corrupt(path.join(dir, 'tweets-mini'));
      await expect(loadRegistry(dir)).rejects.toThrow(`no usable model bundle in ${dir}:\n- tweets-mini: `);
      await expect(loadRegistry(dir)).rejects.toThrow(expected);
    },
  );

  it('skips a corrupt bundle next to good ones, with the reason, and serves the rest', async () => {
    const dir = bundlesCopy(['tweets-mini', 'sentiment-mini']);
    editJson(path.join(dir, 'sentiment-mini', 'vectorizer.json'), (v) => (v.width = 3));
    const registry = await loadRegistry(dir, { defaultModel: 'tweets-mini' });
    const live = await startLive(registry);
    try {
      expect(registry.skipped).toEqual([
        {
          folder: 'sentiment-mini',
          reason: expect.stringContaining('vectorizer.json: width: is 3, blocks add up to'),
        },
      ]);
      // Registered as failed under its name: 503 with the reason, not a 404 nor another model.
      const failed = await live.http().post('/models/sentiment-mini/predict').send({ text: 'x' });
      expectAnswer(failed, 503, 'model_unavailable');
      expect((failed.body as { error: { message: string } }).error.message).toContain(
        'vectorizer.json: width: is 3, blocks add up to',
      );
      await expectServes(live);
    } finally {
      await live.close();
      await registry.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The built server. dist/ is compiled here when any source is newer than its output (CI checks
// out a clean tree); an up-to-date dist/ costs nothing.

const DIST_SERVER = path.join(REPO_ROOT, 'dist', 'server.js');
const PRELOAD = path.join(__dirname, 'fault-preload.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function distIsFresh(): boolean {
  return (
    existsSync(DIST_SERVER) && statSync(DIST_SERVER).mtimeMs >= newestSource(path.join(REPO_ROOT, 'src'))
  );
}

/**
 * `tsc -p tsconfig.build.json` when dist/ is older than the sources. A type error elsewhere in a tree
 * being edited still emits dist/ (CI's typecheck reports it); only a build that emitted nothing fails.
 */
function ensureBuilt(): void {
  if (distIsFresh()) return;
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
      timeout: 170_000,
    });
  } catch (error) {
    if (!distIsFresh()) {
      const output = (error as { stdout?: Buffer }).stdout?.toString('utf8') ?? '';
      throw new Error(`building dist/ failed:\n${output}`, { cause: error });
    }
  }
}

const fixtures = 'test/fixtures/bundles';

describe('the built server (node dist/server.js)', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 180_000);

  it('exits 1 with a clear message when ARTIFACTS_DIR holds no bundle', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'sift-empty-'));
    temporary.push(empty);
    const server = spawnServer({ ARTIFACTS_DIR: empty }, [], 'dist/server.js');
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toBe(
      `sift: cannot start: no model bundles in ${empty} (expected folders with card.json, vectorizer.json, unicode.json, classifier.json, model.onnx)\n`,
    );
  });

  it('exits 1 naming the file and field when the only bundle is corrupt', async () => {
    const dir = bundlesCopy(['tweets-mini']);
    editJson(path.join(dir, 'tweets-mini', 'vectorizer.json'), (v) => (v.width = 7));
    const server = spawnServer({ ARTIFACTS_DIR: dir }, [], 'dist/server.js');
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toContain(
      `sift: cannot start: no usable model bundle in ${dir}:\n- tweets-mini: bundle tweets-mini`,
    );
    expect(server.stderr()).toContain('vectorizer.json: width: is 7, blocks add up to 1137');
  });

  it('on SIGTERM finishes the slow request in flight and exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    const server = spawnServer(
      { ARTIFACTS_DIR: fixtures, DEFAULT_MODEL: 'tweets-mini', SHUTDOWN_TIMEOUT_MS: '4000' },
      [],
      'dist/server.js',
    );
    try {
      const url = listeningUrl(await server.waitFor(/sift listening on/));
      const port = Number(new URL(url).port);
      const request = jsonRequest('/predict', JSON.stringify({ text: FIRE }));
      const cut = request.length - 10;
      // The body arrives in two parts, 700 ms apart: SIGTERM lands while the request is in flight.
      const inFlight = rawExchange(
        port,
        [{ data: request.slice(0, cut) }, { data: request.slice(cut), delayMs: 700 }],
        8000,
      );
      await new Promise((r) => setTimeout(r, 250));
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const answer = await inFlight;
      expect(statusLines(answer.received)).toEqual([200]);
      expect(answer.received).toMatch(/\r\nConnection: close\r\n/i);
      expect(answer.received).toContain('"model":"tweets-mini"');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(4000);
      // New connections are refused once draining began.
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('on SIGTERM cuts a client that never finishes after SHUTDOWN_TIMEOUT_MS and exits 1', async () => {
    const server = spawnServer({ ARTIFACTS_DIR: fixtures, SHUTDOWN_TIMEOUT_MS: '500' }, [], 'dist/server.js');
    try {
      const port = Number(new URL(listeningUrl(await server.waitFor(/sift listening on/))).port);
      const stuck = rawExchange(port, [
        {
          data: 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"te',
        },
      ]);
      await new Promise((r) => setTimeout(r, 200));
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(1);
      expect(Date.now() - signalled).toBeLessThan(2500);
      expect((await stuck).closedAfterMs).toBeLessThan(Number.POSITIVE_INFINITY);
      expect(server.stdout()).toContain('shutdown timeout: closing the remaining connections');
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it.each([
    ['throw', 'uncaught exception; exiting for a clean restart', 'a bug nobody caught'],
    ['reject', 'unhandled promise rejection; exiting for a clean restart', 'a rejection nobody handled'],
  ])(
    'logs an unexpected fault (%s) and exits 1 for the orchestrator to restart it',
    async (fault, message, error) => {
      const server = spawnServer(
        { ARTIFACTS_DIR: fixtures, NODE_OPTIONS: `--require ${PRELOAD}`, SIFT_TEST_FAULT: fault },
        [],
        'dist/server.js',
      );
      try {
        const url = listeningUrl(await server.waitFor(/sift listening on/));
        expect((await fetch(`${url}/health`)).status).toBe(200);
        server.child.kill('SIGUSR2');
        expect(await server.exited).toEqual({ code: 1, signal: null });
        const fatal = server
          .stdout()
          .split('\n')
          .filter((line) => line.includes('"level":"fatal"'))
          .map((line) => JSON.parse(line) as { msg: string; err: { message: string; stack: string } });
        expect(fatal).toHaveLength(1);
        expect(fatal[0].msg).toBe(message);
        expect(fatal[0].err.message).toBe(error);
        expect(fatal[0].err.stack).toContain('fault-preload.js');
      } finally {
        server.child.kill('SIGKILL');
      }
    },
  );
});
