/**
 * `npm run bench -- --profile`: where does Sift's time go under load? Starts Sift with one worker
 * under `node --cpu-prof`, drives one scenario at a time (single text, single text with
 * explanations, batches of 1,000), stops it (SIGTERM: the profile is written on exit), and
 * summarises the samples taken while the load ran; then prices each layer of the request path
 * without the profiler (overheads.ts). The .cpuprofile files stay in
 * bench/results/profiles/ (open them in Chrome DevTools → Performance, or speedscope).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generatedRows, mixRows, slice } from './corpus';
import { renderProfileMarkdown, summariseProfile, type CpuProfile, type PhaseRule } from './cpuprofile';
import { chooseLoadGenerator } from './loadgen';
import { measure } from './measure';
import { compareBatchPaths, priceOverheads } from './overheads';
import type { BenchOptions } from './options';
import { freePort, startServer } from './processes';
import { expressServer, siftServer, snapshotBuild } from './servers';

const log = (message: string) => process.stderr.write(`[bench:profile] ${message}\n`);

interface Scenario {
  name: string;
  /** The reference: bare Express under the same load, to read Sift's phases against. */
  bareExpress?: boolean;
  path: string;
  batch: number;
  connections: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'single-text', path: '/predict', batch: 1, connections: 32 },
  { name: 'single-text-explain', path: '/predict?explain=true', batch: 1, connections: 32 },
  { name: 'batch-1000', path: '/predict', batch: 1000, connections: 4 },
  { name: 'bare-express-single-text', path: '/predict', batch: 1, connections: 32, bareExpress: true },
];

const inFile = (part: string) => (f: { url: string }) => f.url.includes(part);
const inAny =
  (...parts: string[]) =>
  (f: { url: string }) =>
    parts.some((part) => f.url.includes(part));

/** Sift's request path in slices; the first rule a stack meets from its leaf up wins. */
export const SIFT_PHASES: readonly PhaseRule[] = [
  { phase: 'V8 garbage collection', matches: (f) => f.functionName === '(garbage collector)' },
  { phase: 'onnxruntime session.run (main thread)', matches: inFile('/node_modules/onnxruntime-') },
  {
    phase: 'vectorize: text analysis (src/text: lowercase, tokens, n-grams, stems)',
    matches: inFile('/dist/text/'),
  },
  {
    phase: 'vectorize: vocabulary lookups, tf-idf, dense input (src/features)',
    matches: inFile('/dist/features/'),
  },
  { phase: 'classify + explain (src/model)', matches: inFile('/dist/model/') },
  { phase: 'rows in, answer objects out (src/predict)', matches: inFile('/dist/predict/') },
  // sendJson lives beside the parser (src/http/json) but is the answer's serialisation, headers and
  // socket write: a phase of its own, or the write would be read as parsing.
  {
    phase: 'sending the answer: JSON.stringify, headers, socket write (sendJson)',
    matches: (f) => f.functionName === 'sendJson' && f.url.includes('/dist/http/json'),
  },
  { phase: 'strict JSON body parse (src/http/json)', matches: inFile('/dist/http/json') },
  {
    phase: 'request context: id, child logger, access log, metrics',
    matches: inAny('/dist/http/context', '/node_modules/pino', '/node_modules/prom-client', '/dist/ops/'),
  },
  { phase: 'security headers, CORS, auth (src/http)', matches: inAny('/dist/http/', '/node_modules/helmet') },
  {
    phase: 'res.json: JSON.stringify + send (express)',
    matches: inFile('/node_modules/express/lib/response'),
  },
  { phase: 'express + router dispatch', matches: inAny('/node_modules/express/', '/node_modules/router/') },
  {
    phase: 'reading the body (body-parser, raw-body)',
    matches: inAny('/node_modules/body-parser/', '/node_modules/raw-body/', '/node_modules/iconv-lite/'),
  },
  {
    phase: 'Node HTTP: parser, socket reads and writes (not under any middleware)',
    matches: (f) => f.url.startsWith('node:'),
    fallback: true,
  },
];

/** Start-up in slices: what stands between spawn() and the first 200 from /ready. */
const STARTUP_PHASES: readonly PhaseRule[] = [
  { phase: 'V8 garbage collection', matches: (f) => f.functionName === '(garbage collector)' },
  { phase: 'zod: validating the bundle files', matches: inFile('/node_modules/zod/') },
  { phase: 'JSON.parse of the bundle files', matches: (f) => f.functionName === 'parse' && f.url === '' },
  { phase: 'onnxruntime: init + sessions', matches: inFile('/node_modules/onnxruntime-') },
  { phase: 'self-test (golden examples)', matches: inFile('/dist/model/selftest') },
  { phase: 'src/text: unicode tables, term index, regexes', matches: inFile('/dist/text/') },
  { phase: 'src/features: vocabularies', matches: inFile('/dist/features/') },
  { phase: 'src/model: reading bundles, linear layers', matches: inFile('/dist/model/') },
  {
    phase: 'loading modules (require: read + compile)',
    matches: (f) => f.url.startsWith('node:internal/modules') || f.functionName === 'compileFunction',
  },
];

async function profileStartup(
  root: string,
  serverJs: string,
  options: BenchOptions,
  dir: string,
  outDir: string,
): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const server = await startServer(
    siftServer({
      root,
      serverJs,
      port: await freePort(),
      artifactsDir: options.artifactsDir,
      model: options.model,
      workers: 1,
      name: 'sift (1 worker, start-up)',
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'],
    }),
  );
  const readyMs = server.readyAfterMs;
  await server.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) return '## start-up\n\nNo profile was written.\n';
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  // From the first sample to the last one before shutdown began: process start to ready.
  const summary = summariseProfile(
    profile,
    { toMicros: profile.startTime + readyMs * 1000 },
    20,
    STARTUP_PHASES,
  );
  return [
    `## start-up: ready after ${readyMs.toFixed(0)} ms (with the profiler on; ${options.artifactsDir}: all bundles)`,
    '',
    renderProfileMarkdown(`start-up — ${join(dir, file).slice(outDir.length + 1)}`, summary),
  ].join('\n');
}

const micros = () => Number(process.hrtime.bigint() / 1000n);

export async function runProfile(options: BenchOptions, root: string): Promise<void> {
  const outDir = resolve(root, options.outDir);
  const profilesDir = join(outDir, 'profiles');
  mkdirSync(profilesDir, { recursive: true });
  const generator = chooseLoadGenerator(options.loadGenerator);
  const build = snapshotBuild(root);
  // Generated rows only: the profile must not depend on what data happens to be present.
  const pool = mixRows(generatedRows(2000), []);
  const duration = options.quick ? 2 : Math.max(options.durationSeconds, 8);
  const sections: string[] = [
    '# Where Sift spends its time under load',
    '',
    `One worker (WEB_CONCURRENCY=1), node ${process.version} --cpu-prof, model \`${options.model}\`, ` +
      `${generator.name} ${generator.version}, ${duration} s of load per scenario after warm-up; only samples ` +
      'taken during the measured load are counted. "self" = time in the function itself, "total" = including callees.',
    '',
  ];

  for (const scenario of SCENARIOS) {
    const dir = join(profilesDir, scenario.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'];
    const port = await freePort();
    const server = await startServer(
      scenario.bareExpress === true
        ? expressServer({ root, port, workers: 1, name: 'bare express (1 worker)', nodeFlags })
        : siftServer({
            root,
            serverJs: build.serverJs,
            port,
            artifactsDir: options.artifactsDir,
            model: options.model,
            workers: 1,
            name: `sift (1 worker, ${scenario.name})`,
            nodeFlags,
          }),
    );
    const bodies =
      scenario.batch === 1
        ? pool.map((row) => JSON.stringify(row))
        : Array.from({ length: 4 }, (_, k) =>
            JSON.stringify({ instances: slice(pool, k * scenario.batch, scenario.batch) }),
          );
    let from: number;
    let to: number;
    let requests: number;
    try {
      // measure() warms up first; the window starts after the warm-up.
      await generator.run({
        url: server.url(scenario.path),
        bodies,
        connections: scenario.connections,
        durationSeconds: options.quick ? 1 : 3,
        timeoutSeconds: 30,
      });
      from = micros();
      const m = await measure(generator, server, {
        scenario: scenario.batch === 1 ? 'single' : 'batch',
        path: scenario.path,
        bodies,
        connections: scenario.connections,
        batch: scenario.batch,
        explain: scenario.path.includes('explain'),
        durationSeconds: duration,
        warmupSeconds: 0,
      });
      to = micros();
      requests = m.load.requests;
      log(
        `${scenario.name}: ${m.load.requestsPerSecond.toFixed(0)} req/s, ${m.textsPerSecond.toFixed(0)} texts/s under the profiler`,
      );
      sections.push(
        `## ${scenario.name}: ${m.load.requestsPerSecond.toFixed(0)} req/s, ${m.textsPerSecond.toFixed(0)} texts/s at ${scenario.connections} connections (with the profiler on)`,
      );
      sections.push('');
    } finally {
      await server.stop();
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (files.length === 0) {
      sections.push('No profile was written (did the server exit on SIGTERM without process.exit?).', '');
      continue;
    }
    const profile = JSON.parse(readFileSync(files[0], 'utf8')) as CpuProfile;
    let summary = summariseProfile(profile, { fromMicros: from, toMicros: to }, 25, SIFT_PHASES);
    if (summary.samples === 0) {
      log('no samples in the load window (clock mismatch?): summarising the whole profile');
      summary = summariseProfile(profile, {}, 25, SIFT_PHASES);
    }
    sections.push(
      renderProfileMarkdown(`${scenario.name} — ${files[0].slice(outDir.length + 1)}`, summary, requests),
    );
  }
  sections.push(await profileStartup(root, build.serverJs, options, join(profilesDir, 'startup'), outDir));
  log('pricing each layer without the profiler...');
  const overheadOptions = {
    root,
    serverJs: build.serverJs,
    artifactsDir: options.artifactsDir,
    model: options.model,
    generator,
    rows: pool.map((row) => ({ ...row })),
    connections: 32,
    durationSeconds: options.quick ? 1 : options.durationSeconds,
    warmupSeconds: options.quick ? 1 : options.warmupSeconds,
    rounds: options.quick ? 1 : 3,
  };
  sections.push(await priceOverheads(overheadOptions));
  log('batch paths in process...');
  sections.push(compareBatchPaths(overheadOptions));
  generator.close();
  build.remove();
  const markdown = sections.join('\n');
  writeFileSync(join(outDir, 'profile.md'), markdown);
  process.stdout.write(markdown + '\n');
  log(
    `wrote ${join(options.outDir, 'profile.md')} and the .cpuprofile files in ${join(options.outDir, 'profiles')}`,
  );
}
