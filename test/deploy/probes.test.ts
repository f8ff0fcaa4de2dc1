/**
 * Every probe against the real server (src/server.ts in a child process) with one good and one
 * broken bundle: the Kubernetes probes as deploy/deployment.yaml declares them, the image's
 * HEALTHCHECK path, SageMaker /ping, the Open Inference Protocol's health and model readiness,
 * KServe v1 model status and /models/:name/ready. One broken model must not take the good one out
 * of service; a broken default (or required) model must, and must never be answered by another.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { BUNDLES_DIR } from '../helpers/app';
import { REPO_ROOT, type ServerProcess, listeningUrl, spawnServer } from '../helpers/process';

const GOOD = 'tweets-mini';
const BROKEN = 'sentiment-mini';

interface Probe {
  name: string;
  path: string;
}

/** The container's probes as the manifest declares them (all httpGet on the server's port). */
function manifestProbes(): Probe[] {
  const deployment = YAML.parse(readFileSync(path.join(REPO_ROOT, 'deploy', 'deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: Record<string, { httpGet?: { path: string } }>[] } } };
  };
  const [container] = deployment.spec.template.spec.containers;
  return ['startupProbe', 'livenessProbe', 'readinessProbe'].map((name) => {
    const probe = container[name]?.httpGet;
    if (probe === undefined) throw new Error(`deployment.yaml has no httpGet ${name}`);
    return { name, path: probe.path };
  });
}

/** The path the Dockerfile's HEALTHCHECK fetches. */
function healthcheckPath(): string {
  const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const match = /HEALTHCHECK[\s\S]*?\/(\w+)', \{ signal/.exec(dockerfile);
  if (match === null) throw new Error('no HEALTHCHECK path in the Dockerfile');
  return `/${match[1]}`;
}

jest.setTimeout(90_000);

let artifacts: string;
beforeAll(() => {
  artifacts = mkdtempSync(path.join(os.tmpdir(), 'sift-probes-'));
  cpSync(path.join(BUNDLES_DIR, GOOD), path.join(artifacts, GOOD), { recursive: true });
  // Readable card, unloadable classifier: registered as a failed model under the card's name.
  cpSync(path.join(BUNDLES_DIR, BROKEN), path.join(artifacts, BROKEN), { recursive: true });
  writeFileSync(path.join(artifacts, BROKEN, 'model.onnx'), 'truncated upload');
});
afterAll(() => {
  rmSync(artifacts, { recursive: true, force: true });
});

async function withServer(env: NodeJS.ProcessEnv, run: (url: string) => Promise<void>): Promise<void> {
  const server: ServerProcess = spawnServer({ ARTIFACTS_DIR: artifacts, ...env });
  try {
    const url = listeningUrl(await server.waitFor(/sift listening on/));
    await run(url);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

async function get(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

async function predict(
  url: string,
  route: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'Forest fire near La Ronge' }),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Status of every probe, by name. */
async function probeStatuses(url: string): Promise<Record<string, number>> {
  const probes: [string, string][] = [
    ...manifestProbes().map((p): [string, string] => [`k8s ${p.name} ${p.path}`, p.path]),
    [`docker HEALTHCHECK ${healthcheckPath()}`, healthcheckPath()],
    ['/health', '/health'],
    ['/ready', '/ready'],
    ['SageMaker /ping', '/ping'],
    ['OIP /v2/health/live', '/v2/health/live'],
    ['OIP /v2/health/ready', '/v2/health/ready'],
    ...[GOOD, BROKEN].flatMap((name): [string, string][] => [
      [`/models/${name}/ready`, `/models/${name}/ready`],
      [`OIP /v2/models/${name}/ready`, `/v2/models/${name}/ready`],
      [`KServe v1 /v1/models/${name}`, `/v1/models/${name}`],
    ]),
  ];
  const statuses: Record<string, number> = {};
  for (const [name, route] of probes) statuses[name] = (await get(`${url}${route}`)).status;
  return statuses;
}

const modelRoutes = (good: number, broken: number) => ({
  [`/models/${GOOD}/ready`]: good,
  [`OIP /v2/models/${GOOD}/ready`]: good,
  [`KServe v1 /v1/models/${GOOD}`]: good,
  [`/models/${BROKEN}/ready`]: broken,
  [`OIP /v2/models/${BROKEN}/ready`]: broken,
  [`KServe v1 /v1/models/${BROKEN}`]: broken,
});

const probesExpected = (ready: number) => ({
  'k8s startupProbe /health': 200,
  'k8s livenessProbe /health': 200,
  'k8s readinessProbe /ready': ready,
  'docker HEALTHCHECK /health': 200,
  '/health': 200,
  '/ready': ready,
  'SageMaker /ping': ready,
  'OIP /v2/health/live': 200,
  'OIP /v2/health/ready': ready,
  ...modelRoutes(200, 503),
});

it('the manifest probes liveness and startup on /health, readiness on /ready', () => {
  expect(manifestProbes()).toEqual([
    { name: 'startupProbe', path: '/health' },
    { name: 'livenessProbe', path: '/health' },
    { name: 'readinessProbe', path: '/ready' },
  ]);
});

it('a broken model beside a good default: every probe passes, the broken model answers 503 on its own routes', async () => {
  await withServer({ DEFAULT_MODEL: GOOD }, async (url) => {
    expect(await probeStatuses(url)).toEqual(probesExpected(200));
    const ready = (await get(`${url}/ready`)).body as { models: Record<string, unknown>[] };
    expect(ready.models).toEqual([
      expect.objectContaining({
        name: BROKEN,
        state: 'failed',
        ready: false,
        required: false,
        reason: expect.stringMatching(/^could not be loaded: model\.onnx: /),
      }),
      expect.objectContaining({ name: GOOD, state: 'ready', ready: true, default: true, required: true }),
    ]);
    expect((await predict(url, '/predict')).status).toBe(200);
    const broken = await predict(url, `/models/${BROKEN}/predict`);
    expect(broken.status).toBe(503);
    expect(broken.body).toMatchObject({ error: { code: 'model_unavailable' } });
  });
});

it('a broken default: liveness passes (a restart would not help), readiness fails, /predict is 503 with the reason', async () => {
  await withServer({ DEFAULT_MODEL: BROKEN }, async (url) => {
    expect(await probeStatuses(url)).toEqual(probesExpected(503));
    const answer = await predict(url, '/predict');
    expect(answer.status).toBe(503);
    const error = answer.body.error as { code: string; message: string };
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toMatch(
      new RegExp(`^model "${BROKEN}" is not available: it could not be loaded: model\\.onnx`),
    );
    // The good model still serves on its own routes.
    expect((await predict(url, `/models/${GOOD}/predict`)).status).toBe(200);
    const ready = (await get(`${url}/ready`)).body as { reasons: string[] };
    expect(ready.reasons).toEqual([
      expect.stringMatching(new RegExp(`^model "${BROKEN}" is not ready: could not be loaded`)),
    ]);
  });
});

it('REQUIRED_MODELS: readiness waits for every model named', async () => {
  await withServer({ DEFAULT_MODEL: GOOD, REQUIRED_MODELS: `${GOOD},${BROKEN}` }, async (url) => {
    expect(await probeStatuses(url)).toEqual(probesExpected(503));
  });
  await withServer({ DEFAULT_MODEL: BROKEN, REQUIRED_MODELS: GOOD }, async (url) => {
    expect(await probeStatuses(url)).toEqual(probesExpected(200));
    expect((await predict(url, '/predict')).status).toBe(503);
  });
});
