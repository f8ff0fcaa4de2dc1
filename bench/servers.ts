/**
 * The contenders, as process specs: Sift (node dist/server.js), the seeds' stack (Flask under
 * gunicorn, one worker per core) and bare Express answering a constant.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ServerSpec } from './processes';

/** The repository root: the nearest folder above this file with Sift's package.json. */
export function repoRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'sift'
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no Sift package.json above ${from}`);
  }
}

/** Debian's Python (it has scikit-learn); SIFT_BENCH_PYTHON overrides. */
export function pythonCommand(): string {
  if (process.env.SIFT_BENCH_PYTHON) return process.env.SIFT_BENCH_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * A private copy of dist/ (beside links to views/, public/, node_modules/ and package.json, which the
 * server finds relative to its own files), so a rebuild of dist/ during the run cannot change or
 * break the server being measured.
 */
export function snapshotBuild(root: string): { serverJs: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sift-bench-build-'));
  cpSync(join(root, 'dist'), join(dir, 'dist'), {
    recursive: true,
    filter: (source) => !source.startsWith(join(root, 'dist', 'bench')),
  });
  for (const entry of ['views', 'public', 'node_modules', 'package.json']) {
    if (existsSync(join(root, entry))) symlinkSync(join(root, entry), join(dir, entry));
  }
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', remove); // also when the run fails half-way
  return { serverJs: join(dir, 'dist', 'server.js'), remove };
}

/**
 * The node flags of `npm start` (`node <flags> dist/server.js`), which the image's ENTRYPOINT repeats:
 * the bench runs Sift the way users do.
 */
/** `npm start`'s environment assignments and node flags: "[VAR=value ...] node [flags] dist/server.js". */
export function serverStartCommand(root: string): { env: Record<string, string>; flags: string[] } {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (manifest.scripts?.start ?? '').trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name] = value.join('=');
  }
  if (words[0] !== 'node' || words[words.length - 1] !== 'dist/server.js') {
    throw new Error(
      `package.json scripts.start should be "[VAR=value ...] node [flags] dist/server.js", not "${words.join(' ')}"`,
    );
  }
  return { env, flags: words.slice(1, -1) };
}

export interface SiftOptions {
  root: string;
  /** dist/server.js to run (a snapshot from snapshotBuild). */
  serverJs: string;
  port: number;
  artifactsDir: string;
  model: string;
  workers: number;
  /** Extra node flags, e.g. --cpu-prof (after npm start's own). */
  nodeFlags?: readonly string[];
  /** Instead of npm start's node flags (--tail compares them). */
  startFlags?: readonly string[];
  /** Extra environment, after npm start's and the bench's (--tail: LOG_LEVEL...). */
  env?: Readonly<Record<string, string>>;
  stdout?: ServerSpec['stdout'];
  name: string;
}

export function siftServer(o: SiftOptions): ServerSpec {
  return {
    name: o.name,
    command: process.execPath,
    args: [...(o.startFlags ?? serverStartCommand(o.root).flags), ...(o.nodeFlags ?? []), o.serverJs],
    env: {
      ...serverStartCommand(o.root).env,
      NODE_ENV: 'production',
      PORT: String(o.port),
      HOST: '127.0.0.1',
      ARTIFACTS_DIR: resolve(o.root, o.artifactsDir),
      DEFAULT_MODEL: o.model,
      WEB_CONCURRENCY: String(o.workers),
      RATE_LIMIT_PER_MINUTE: '0',
      ...o.env,
    },
    stdout: o.stdout,
    cwd: o.root,
    port: o.port,
    readyPath: '/ready',
    readyTimeoutMs: 60_000,
  };
}

export interface SeedsOptions {
  root: string;
  port: number;
  bundleDir: string;
  trainCsv?: string;
  /** The bench's request rows (JSON): stems primed for them; idf fitted on them without a CSV. */
  warmRowsFile: string;
  workers: number;
  name: string;
}

export function seedsServer(o: SeedsOptions): ServerSpec {
  return {
    name: o.name,
    command: pythonCommand(),
    args: [
      '-m',
      'gunicorn',
      '--workers',
      String(o.workers),
      '--bind',
      `127.0.0.1:${o.port}`,
      '--chdir',
      join(o.root, 'bench', 'baselines'),
      // Each worker trains at import; the default 30 s would kill a slow first boot.
      '--timeout',
      '180',
      '--log-level',
      'warning',
      'flask_app:app',
    ],
    env: {
      SEED_BUNDLE_DIR: resolve(o.root, o.bundleDir),
      SEED_TRAIN_CSV: o.trainCsv ?? '',
      SEED_WARM_ROWS: o.warmRowsFile,
      PYTHONDONTWRITEBYTECODE: '1',
    },
    cwd: o.root,
    port: o.port,
    readyPath: '/ready',
    readyTimeoutMs: 300_000,
  };
}

export function expressServer(o: {
  root: string;
  port: number;
  workers: number;
  name: string;
  /** Per-request costs of Sift added to the bare app (see express-constant.js): headers, context, metrics. */
  add?: readonly string[];
  nodeFlags?: readonly string[];
}): ServerSpec {
  return {
    name: o.name,
    command: process.execPath,
    args: [...(o.nodeFlags ?? []), join(o.root, 'bench', 'baselines', 'express-constant.js')],
    env: {
      NODE_ENV: 'production',
      PORT: String(o.port),
      WEB_CONCURRENCY: String(o.workers),
      ADD: (o.add ?? []).join(','),
    },
    cwd: o.root,
    port: o.port,
    readyPath: '/ready',
    readyTimeoutMs: 30_000,
  };
}

/** Raw node:http answering a constant (baselines/http-constant.js): the floor for any Node server. */
/** Raw node:http answering a constant; `busyMicros`: CPU it spins before each prediction answer. */
export function httpServer(o: { root: string; port: number; name: string; busyMicros?: number }): ServerSpec {
  return {
    name: o.name,
    command: process.execPath,
    args: [join(o.root, 'bench', 'baselines', 'http-constant.js')],
    env: {
      NODE_ENV: 'production',
      PORT: String(o.port),
      ...(o.busyMicros !== undefined ? { BUSY_US: String(o.busyMicros) } : {}),
    },
    cwd: o.root,
    port: o.port,
    readyPath: '/ready',
    readyTimeoutMs: 30_000,
  };
}

export interface CardSummary {
  name: string;
  inputs: { name: string }[];
  data?: { file?: string; sha256?: string } | null;
}

/** The input fields of the model, from card.json (the bench sends exactly these). */
export function readCard(bundleDir: string): CardSummary {
  return JSON.parse(readFileSync(join(bundleDir, 'card.json'), 'utf8')) as CardSummary;
}
