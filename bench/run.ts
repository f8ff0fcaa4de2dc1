/**
 * `npm run bench`: Sift against the seeds' stack (Flask + scikit-learn under gunicorn) and bare
 * Express, side by side in one run on this machine. Prints a Markdown report on stdout (progress
 * on stderr) and writes bench/results/latest.{md,json,svg} (latest-quick.* for --quick). `--help`
 * lists the options.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generatedRows, mixRows, shapeRows, slice, type BenchRow } from './corpus';
import { chooseLoadGenerator } from './loadgen';
import { measure, singleText, waitForQuiet, type MeasureRequest } from './measure';
import { parseOptions, USAGE, type BenchOptions } from './options';
import { checkAnswers, labelAgreement } from './preflight';
import { freePort, startServer, type RunningServer, type ServerSpec } from './processes';
import { treeMemory } from './procfs';
import { runProfile } from './profile';
import { runTail } from './tail';
import { renderSingleTextChart } from './chart';
import {
  checkTargets,
  LIGHT,
  LIGHT_BUSY_MICROS,
  renderMarkdown,
  SERVERS,
  TARGET_BATCH,
  TARGET_CONNECTIONS,
} from './report';
import type { BenchResults, InProcessSample, Measurement, MemorySample, StartupSample } from './results';
import {
  expressServer,
  httpServer,
  pythonCommand,
  repoRoot,
  seedsServer,
  siftServer,
  readCard,
  snapshotBuild,
  type CardSummary,
} from './servers';

/** --wait-idle: the machine counts as quiet below this busy share (all cores, servers idle). */
const QUIET_BUSY_SHARE = 0.15;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** card.data.file is relative to the data folder ("disaster-tweets/train.csv"); older cards named the file only. */
function trainingCsvPath(dataDir: string, model: string, card: CardSummary): string {
  const file = card.data?.file ?? 'train.csv';
  const candidates = [join(dataDir, file), join(dataDir, model, basename(file))];
  return candidates.find((path) => existsSync(path)) ?? candidates[0];
}

/** A note when the CSV is not the one the shipped model was trained on (the card keeps its sha256). */
function checkTrainingData(csvPath: string, card: CardSummary): string | undefined {
  if (!existsSync(csvPath)) return undefined;
  const expected = card.data?.sha256;
  if (expected === undefined) return undefined;
  const actual = createHash('sha256').update(readFileSync(csvPath)).digest('hex');
  return actual === expected
    ? undefined
    : `${csvPath} is not the file the shipped model was trained on (sha256 differs from card.json).`;
}

/** Up to `count` rows spread evenly over the training CSV (only when it is present). */
function realRows(csvPath: string, count: number): BenchRow[] {
  if (count === 0 || !existsSync(csvPath)) return [];
  const records = parse(readFileSync(csvPath, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const step = Math.max(1, Math.floor(records.length / count));
  const rows: BenchRow[] = [];
  for (let i = 0; i < records.length && rows.length < count; i += step) {
    const r = records[i];
    rows.push({ ...r, text: r.text ?? '', keyword: r.keyword ?? '', location: r.location ?? '' });
  }
  return rows;
}

function gitInfo(root: string): { commit?: string; dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return {};
  }
}

/**
 * The image's size as `docker image inspect` reports it: SIFT_IMAGE, else `sift`, else `sift:smoke`
 * (the tag scripts/docker-smoke.sh builds). Never builds one: that takes minutes.
 */
function dockerImageSize(root: string): { bytes: number | null; note: string } {
  const tools = [resolve(root, '..', 'shared', 'tools', 'docker'), '/work/shared/tools/docker'].filter(
    (dir) => existsSync(join(dir, 'docker')),
  );
  const env = { ...process.env, PATH: [...tools, process.env.PATH ?? ''].join(':') };
  const tags = process.env.SIFT_IMAGE ? [process.env.SIFT_IMAGE] : ['sift', 'sift:smoke'];
  let reason = '';
  for (const tag of tags) {
    const probe = spawnSync('docker', ['image', 'inspect', tag, '--format', '{{.Size}}|{{.Created}}'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (probe.error) return { bytes: null, note: `docker not available: ${probe.error.message}` };
    if (probe.status === 0) {
      const [size, created] = probe.stdout.trim().split('|');
      return { bytes: Number(size), note: `docker image inspect ${tag}, built ${created.slice(0, 19)}` };
    }
    reason = (probe.stderr || probe.stdout).trim().split('\n')[0] ?? '';
  }
  return {
    bytes: null,
    note: `no image ${tags.join(' or ')} here (${reason}); build one with docker build -t sift . or bash scripts/docker-smoke.sh`,
  };
}

function pythonVersions(): { python?: string; sklearn?: string; problem?: string } {
  const probe = spawnSync(
    pythonCommand(),
    ['-c', 'import sys, sklearn, flask, gunicorn; print(sys.version.split()[0], sklearn.__version__)'],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) {
    return { problem: (probe.stderr || String(probe.error?.message ?? '')).trim().split('\n').slice(-1)[0] };
  }
  const [python, sklearn] = probe.stdout.trim().split(' ');
  return { python, sklearn };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function runJsonChild(command: string, args: readonly string[], cwd: string): unknown {
  const child = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20, timeout: 600_000 });
  if (child.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${String(child.status)}):\n${child.stderr}`);
  }
  const line = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as unknown;
}

interface InProcessJson {
  batches: { batch: number; explain?: boolean; textsPerSecond?: number; texts_per_s?: number }[];
}

/** Sift's core in process (inprocess.ts, a child process): texts/s per batch size. */
function siftInProcess(
  root: string,
  run: { artifactsDir: string; model: string; rowsFile: string; seconds: number },
  batchSizes: string,
  explainBatchSizes: string,
): InProcessJson {
  return runJsonChild(
    process.execPath,
    [
      join(__dirname, 'inprocess.js'),
      '--artifacts',
      resolve(root, run.artifactsDir),
      '--model',
      run.model,
      '--rows',
      run.rowsFile,
      '--seconds',
      String(run.seconds),
      '--batch-sizes',
      batchSizes,
      '--explain-batch-sizes',
      explainBatchSizes,
    ],
    root,
  ) as InProcessJson;
}

async function startAll(specs: readonly ServerSpec[]): Promise<Map<string, RunningServer>> {
  const started = new Map<string, RunningServer>();
  const outcomes = await Promise.allSettled(
    specs.map(async (spec) => {
      const server = await startServer(spec);
      started.set(spec.name, server);
      log(
        `${spec.name} ready in ${server.readyAfterMs.toFixed(0)} ms (pid ${server.pid}, port ${spec.port})`,
      );
    }),
  );
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.all([...started.values()].map((s) => s.stop()));
    throw failed.reason;
  }
  return started;
}

function memorySample(server: RunningServer, phase: MemorySample['phase']): MemorySample {
  return { server: server.spec.name, phase, ...treeMemory(server.pid) };
}

interface LightContext {
  options: BenchOptions;
  root: string;
  serverJs: string;
  workDir: string;
  pool: readonly Record<string, string>[];
  timed: (target: RunningServer, request: MeasureRequest) => Promise<Measurement>;
}

/**
 * Server CPU per single-text request on the light pipeline (word 1–2 TF-IDF + LR), one process
 * each: Sift, bare Express, raw node:http and Flask + scikit-learn on the same bundle, interleaved
 * per connection count; and the model's own cost in process, the part no server can avoid.
 */
async function measureLight(c: LightContext): Promise<{ light: Measurement[]; modelMicros: number | null }> {
  const { options, root } = c;
  const bundleDir = resolve(root, options.lightArtifactsDir, options.lightModel);
  const fields = readCard(bundleDir).inputs.map((i) => i.name);
  const rows = shapeRows(c.pool as unknown as BenchRow[], fields);
  const rowsFile = join(c.workDir, 'light-rows.json');
  writeFileSync(rowsFile, JSON.stringify(rows));
  const bodies = rows.map((row) => JSON.stringify(row));
  const specs = [
    siftServer({
      root,
      serverJs: c.serverJs,
      port: await freePort(),
      artifactsDir: options.lightArtifactsDir,
      model: options.lightModel,
      workers: 1,
      name: LIGHT.sift,
    }),
    expressServer({ root, port: await freePort(), workers: 1, name: LIGHT.express }),
    httpServer({ root, port: await freePort(), name: LIGHT.http }),
    httpServer({ root, port: await freePort(), name: LIGHT.httpBusy, busyMicros: LIGHT_BUSY_MICROS }),
    seedsServer({
      root,
      port: await freePort(),
      bundleDir,
      warmRowsFile: rowsFile,
      workers: 1,
      name: LIGHT.seeds,
    }),
  ];
  log(`light pipeline ${options.lightModel}: starting ${specs.length} servers, one process each...`);
  const servers = await startAll(specs);
  const light: Measurement[] = [];
  try {
    await sleep(500);
    const batchCheck = { body: JSON.stringify({ instances: slice(rows, 0, 3) }), rows: 3 };
    for (const s of servers.values()) await checkAnswers(s, bodies[0], batchCheck, false);
    for (const connections of options.lightConnections) {
      // The targets' connection count gets --cpu-rounds interleaved rounds (the lowest counts);
      // Flask, far from any target's edge, runs once.
      const rounds = connections === TARGET_CONNECTIONS ? options.cpuRounds : 1;
      // Raw node:http with a spin runs at the targets' connection count only (see the report).
      const busy = connections === TARGET_CONNECTIONS ? [LIGHT.httpBusy] : [];
      const order = (round: number) =>
        round === 0
          ? [LIGHT.seeds, LIGHT.http, ...busy, LIGHT.express, LIGHT.sift]
          : [LIGHT.http, ...busy, LIGHT.express, LIGHT.sift];
      for (let round = 0; round < rounds; round++)
        for (const name of order(round)) {
          const m = await c.timed(
            servers.get(name) as RunningServer,
            singleText('light', bodies, connections, options),
          );
          light.push(m);
          log(
            `light   ${name.padEnd(38)} c=${String(connections).padEnd(3)} ${m.serverCpuMicrosPerRequest.toFixed(0).padStart(6)} µs/req  p50 ${m.load.latencyMs.p50.toFixed(2)} p99 ${m.load.latencyMs.p99.toFixed(2)} ms${rounds > 1 ? `  (round ${round + 1}/${rounds})` : ''}`,
          );
        }
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
  const inProcess = siftInProcess(
    root,
    {
      artifactsDir: options.lightArtifactsDir,
      model: options.lightModel,
      rowsFile,
      seconds: options.inProcessSeconds,
    },
    '1',
    '',
  );
  const perSecond = inProcess.batches.find((b) => b.batch === 1)?.textsPerSecond ?? 0;
  return { light, modelMicros: perSecond > 0 ? 1e6 / perSecond : null };
}

/** `--light-only`: section 0 alone, on the generated rows, its lines printed as it goes. */
async function lightOnly(options: BenchOptions, root: string): Promise<void> {
  if (!existsSync(join(root, 'dist', 'server.js')))
    throw new Error('dist/server.js is missing: run npm run build');
  const generator = chooseLoadGenerator(options.loadGenerator);
  const build = snapshotBuild(root);
  const workDir = mkdtempSync(join(tmpdir(), 'sift-bench-'));
  process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));
  const pool = generatedRows(options.quick ? 1000 : 2000) as unknown as Record<string, string>[];
  const timed = (target: RunningServer, request: MeasureRequest) => measure(generator, target, request);
  const { modelMicros } = await measureLight({
    options,
    root,
    serverJs: build.serverJs,
    workDir,
    pool,
    timed,
  });
  log(
    `light   the model alone, in process (batch 1): ${modelMicros === null ? 'n/a' : modelMicros.toFixed(0)} µs/text`,
  );
}

async function compare(options: BenchOptions, root: string): Promise<void> {
  const startedAt = new Date();
  const loadAverageStart = loadavg()[0];
  const bundleDir = resolve(root, options.artifactsDir, options.model);
  if (!existsSync(join(root, 'dist', 'server.js')))
    throw new Error('dist/server.js is missing: run npm run build');
  if (!existsSync(join(bundleDir, 'card.json'))) {
    throw new Error(
      `no bundle ${bundleDir}: the bench needs the shipped model (or pass --artifacts DIR --model NAME, e.g. ` +
        `--artifacts test/fixtures/bundles --model tweets-mini while developing)`,
    );
  }
  const versions = pythonVersions();
  if (versions.problem !== undefined) {
    throw new Error(
      `the seeds' stack needs Flask, gunicorn and scikit-learn for ${pythonCommand()} (${versions.problem}): ` +
        `run bash scripts/bench-setup.sh`,
    );
  }
  const generator = chooseLoadGenerator(options.loadGenerator);
  const notes: string[] = [];

  const card = readCard(bundleDir);
  const fields = card.inputs.map((i) => i.name);
  const trainCsv = resolve(
    root,
    options.trainCsv ?? trainingCsvPath(resolve(root, options.dataDir), options.model, card),
  );
  const dataNote = checkTrainingData(trainCsv, card);
  if (dataNote !== undefined) notes.push(dataNote);
  const generated = generatedRows(options.quick ? 1000 : 2000);
  const real = realRows(trainCsv, options.realRows);
  const pool = shapeRows(mixRows(generated, real), fields);
  const poolSource =
    real.length > 0
      ? `${generated.length} written for the bench and varied, ${real.length} tweets from ${options.dataDir}`
      : `${generated.length} written for the bench and varied; no shared data found`;
  log(`pool: ${pool.length} rows (${poolSource})`);

  const build = snapshotBuild(root);
  const workDir = mkdtempSync(join(tmpdir(), 'sift-bench-'));
  process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));
  const rowsFile = join(workDir, 'rows.json');
  writeFileSync(rowsFile, JSON.stringify(pool));
  const singleBodies = pool.map((row) => JSON.stringify(row));
  const batchBodies = (size: number) => {
    const count = Math.max(4, Math.min(64, Math.floor(pool.length / size)));
    return Array.from({ length: count }, (_, k) =>
      JSON.stringify({ instances: slice(pool, k * size, size) }),
    );
  };

  const specs = [
    siftServer({
      root,
      serverJs: build.serverJs,
      port: await freePort(),
      artifactsDir: options.artifactsDir,
      model: options.model,
      workers: 2,
      name: SERVERS.sift2,
    }),
    siftServer({
      root,
      serverJs: build.serverJs,
      port: await freePort(),
      artifactsDir: options.artifactsDir,
      model: options.model,
      workers: 1,
      name: SERVERS.sift1,
    }),
    seedsServer({
      root,
      port: await freePort(),
      bundleDir,
      trainCsv: existsSync(trainCsv) ? trainCsv : undefined,
      warmRowsFile: rowsFile,
      workers: 2,
      name: SERVERS.seeds,
    }),
    expressServer({ root, port: await freePort(), workers: 2, name: SERVERS.express2 }),
    expressServer({ root, port: await freePort(), workers: 1, name: SERVERS.express1 }),
  ];
  let seedsTrainedOn = existsSync(trainCsv)
    ? `LogisticRegression trained at start-up on ${trainCsv} with the bundle's vectorizer settings and vocabulary`
    : `no training CSV at ${trainCsv}: idf fitted on the pool, coefficients from the bundle`;
  log(`starting ${specs.length} servers (the seeds' workers train at start-up)...`);
  const servers = await startAll(specs);
  const server = (name: string) => servers.get(name) as RunningServer;
  const seedsReady = (await (await fetch(server(SERVERS.seeds).url('/ready'))).json()) as {
    stemming?: string[];
  };
  if (seedsReady.stemming !== undefined && seedsReady.stemming.length > 0) {
    seedsTrainedOn += `; stemming: ${seedsReady.stemming.join(', ')}`;
  }

  const single: Measurement[] = [];
  const cpuRounds: Measurement[] = [];
  const explain: Measurement[] = [];
  const batch: Measurement[] = [];
  const memory: MemorySample[] = [];
  let agreement: number | null;
  const quietBudgetMs = options.waitIdleSeconds * 1000;
  let waitedMs = 0;
  const timed = async (target: RunningServer, request: MeasureRequest) => {
    if (quietBudgetMs - waitedMs > 0)
      waitedMs += await waitForQuiet(QUIET_BUSY_SHARE, quietBudgetMs - waitedMs);
    return measure(generator, target, request);
  };
  try {
    await sleep(1500); // cluster workers finish loading after the first one answers /ready
    for (const s of servers.values()) memory.push(memorySample(s, 'idle'));

    const batchCheck = { body: JSON.stringify({ instances: slice(pool, 0, 3) }), rows: 3 };
    for (const s of servers.values()) {
      await checkAnswers(s, singleBodies[0], batchCheck, s.spec.name.startsWith('sift'));
    }
    agreement = await labelAgreement(
      server(SERVERS.sift1),
      server(SERVERS.seeds),
      slice(pool, 0, Math.min(1000, pool.length)),
    );
    log(`answers checked; Sift and the seeds agree on ${(agreement * 100).toFixed(1)}% of labels`);

    const common = { durationSeconds: options.durationSeconds, warmupSeconds: options.warmupSeconds };
    const singleOrder = [SERVERS.seeds, SERVERS.express2, SERVERS.sift2, SERVERS.express1, SERVERS.sift1];
    for (const connections of options.connections) {
      for (const name of singleOrder) {
        const m = await timed(server(name), singleText('single', singleBodies, connections, options));
        single.push(m);
        log(
          `single  ${name.padEnd(38)} c=${String(connections).padEnd(3)} ${m.load.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${m.load.latencyMs.p99.toFixed(2)} ms`,
        );
      }
    }

    // The default model's CPU target compares the one-process pair: more interleaved rounds of it
    // at the target's connection count, beside section 1's own (the lowest of each counts).
    if (options.connections.includes(TARGET_CONNECTIONS)) {
      for (let round = 1; round < options.cpuRounds; round++) {
        for (const name of [SERVERS.express1, SERVERS.sift1]) {
          const m = await timed(
            server(name),
            singleText('single', singleBodies, TARGET_CONNECTIONS, options),
          );
          cpuRounds.push(m);
          log(
            `cpu     ${name.padEnd(38)} c=${TARGET_CONNECTIONS}  ${m.serverCpuMicrosPerRequest.toFixed(0).padStart(6)} µs/req  (round ${round + 1}/${options.cpuRounds})`,
          );
        }
      }
    }

    for (const connections of options.explainConnections) {
      for (const name of [SERVERS.sift2, SERVERS.sift1]) {
        for (const withExplain of [false, true]) {
          const m = await timed(server(name), {
            scenario: 'explain',
            path: withExplain ? '/predict?explain=true' : '/predict',
            bodies: singleBodies,
            connections,
            batch: 1,
            explain: withExplain,
            ...common,
          });
          explain.push(m);
          log(
            `explain ${name.padEnd(38)} c=${connections} explain=${String(withExplain).padEnd(5)} ${m.load.requestsPerSecond.toFixed(0).padStart(6)} req/s`,
          );
        }
      }
    }

    for (const size of options.batchSizes) {
      const bodies = batchBodies(size);
      for (const name of [SERVERS.sift2, SERVERS.sift1, SERVERS.seeds]) {
        const m = await timed(server(name), {
          scenario: 'batch',
          path: '/predict',
          bodies,
          connections: options.batchConnections,
          batch: size,
          explain: false,
          ...common,
        });
        batch.push(m);
        log(
          `batch   ${name.padEnd(38)} n=${String(size).padEnd(4)} ${m.textsPerSecond.toFixed(0).padStart(7)} texts/s`,
        );
      }
    }

    await sleep(1000);
    for (const s of servers.values()) memory.push(memorySample(s, 'after load'));
    log(`waiting ${options.settleSeconds} s for the settled memory sample...`);
    await sleep(options.settleSeconds * 1000);
    for (const s of servers.values()) memory.push(memorySample(s, 'settled'));
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }

  const { light, modelMicros: lightModelMicros } =
    options.lightConnections.length > 0
      ? await measureLight({ options, root, serverJs: build.serverJs, workDir, pool, timed })
      : { light: [], modelMicros: null };

  log('in process: Sift core and scikit-learn...');
  const inProcess: InProcessSample[] = [];
  const batchSizes = [1, TARGET_BATCH].join(',');
  const sift = siftInProcess(
    root,
    {
      artifactsDir: options.artifactsDir,
      model: options.model,
      rowsFile,
      seconds: options.inProcessSeconds,
    },
    batchSizes,
    '1',
  );
  for (const b of sift.batches) {
    inProcess.push({
      engine: 'sift',
      batch: b.batch,
      explain: b.explain ?? false,
      textsPerSecond: b.textsPerSecond ?? 0,
    });
  }
  const sklearn = runJsonChild(
    pythonCommand(),
    [
      join(root, 'bench', 'baselines', 'sklearn_inprocess.py'),
      '--bundle',
      bundleDir,
      '--rows',
      rowsFile,
      ...(existsSync(trainCsv) ? ['--train-csv', trainCsv] : []),
      '--seconds',
      String(options.inProcessSeconds),
      '--batch-sizes',
      batchSizes,
    ],
    root,
  ) as InProcessJson;
  for (const b of sklearn.batches) {
    inProcess.push({
      engine: 'scikit-learn',
      batch: b.batch,
      explain: false,
      textsPerSecond: b.texts_per_s ?? 0,
    });
  }

  log(`start-up to ready, ${options.startupRuns}× per configuration...`);
  const startup: StartupSample[] = [];
  for (const [name, workers] of [
    [SERVERS.sift1, 1],
    [SERVERS.sift2, 2],
  ] as const) {
    const runsMs: number[] = [];
    for (let i = 0; i < options.startupRuns; i += 1) {
      const s = await startServer(
        siftServer({
          root,
          serverJs: build.serverJs,
          port: await freePort(),
          artifactsDir: options.artifactsDir,
          model: options.model,
          workers,
          name,
        }),
      );
      runsMs.push(s.readyAfterMs);
      await s.stop();
    }
    startup.push({ server: name, runsMs, medianMs: median(runsMs) });
  }

  const docker = dockerImageSize(root);
  rmSync(workDir, { recursive: true, force: true });
  build.remove();
  generator.close();

  const erroneous = [...single, ...cpuRounds, ...explain, ...batch, ...light].filter(
    (m) => m.load.socketErrors + m.load.badStatus > 0,
  );
  for (const m of erroneous) {
    notes.push(
      `${m.server}, ${m.scenario} at ${m.connections} connections${m.batch > 1 ? `, batch ${m.batch}` : ''}: ` +
        `${m.load.socketErrors} socket errors/timeouts and ${m.load.badStatus} non-2xx answers (counted in req/s, not in texts/s).`,
    );
  }
  notes.push(
    'Sift runs with its defaults (LOG_LEVEL=info, request logs to /dev/null, metrics on), NODE_ENV=production. ' +
      "The seeds' stack: Flask, gunicorn sync workers; bare Express parses the JSON body and answers a constant.",
  );
  if (quietBudgetMs > 0) {
    notes.push(
      `--wait-idle: waited ${(waitedMs / 1000).toFixed(0)} s in total (of ${options.waitIdleSeconds} s allowed) ` +
        `for other work to leave the cores below ${QUIET_BUSY_SHARE * 100}% busy before measurements.`,
    );
  }
  if (options.quick) notes.push('Quick smoke run: too short to compare; use npm run bench for numbers.');

  const git = gitInfo(root);
  const withoutTargets: Omit<BenchResults, 'targets'> = {
    environment: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: options.quick,
      node: process.version,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      memoryBytes: totalmem(),
      loadAverageStart,
      loadAverageEnd: loadavg()[0],
      cpuSharing:
        `Not pinned: every server and the load generator share the same ${cpus().length} cores, as they would on a small host; ` +
        "'server CPU µs/req' is the server's own CPU time per answer; 'cores' splits the machine's busy time " +
        'between the server, the load generator and everything else (other work on the machine: noise).',
      loadGenerator: { name: generator.name, version: generator.version },
      python: versions.python,
      sklearn: versions.sklearn,
      gitCommit: git.commit,
      gitDirty: git.dirty,
      artifactsDir: options.artifactsDir,
      model: options.model,
      pool: {
        rows: pool.length,
        generated: generated.length,
        fromSharedData: real.length,
        source: poolSource,
      },
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      seedsTrainedOn,
    },
    single,
    explain,
    batch,
    light,
    cpuRounds,
    lightModelMicros,
    lightModel: `${options.lightArtifactsDir}/${options.lightModel}`,
    inProcess,
    memory,
    startup,
    dockerImageBytes: docker.bytes,
    dockerImageNote: docker.note,
    labelAgreement: agreement,
    notes,
  };
  const results: BenchResults = { ...withoutTargets, targets: checkTargets(withoutTargets) };
  const outDir = resolve(root, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(
    join(outDir, `run-${stamp}${options.quick ? '-quick' : ''}.json`),
    JSON.stringify(results) + '\n',
  );
  writeReport(results, outDir, options.quick ? 'latest-quick' : 'latest');
}

/**
 * <name>.json, <name>.md and <name>.svg in outDir, and the Markdown on stdout. A quick run writes
 * latest-quick.*, so a CI smoke run never replaces the last full results.
 */
function writeReport(results: BenchResults, outDir: string, name: string): void {
  const markdown = renderMarkdown(results);
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(outDir, `${name}.md`), markdown);
  writeFileSync(
    join(outDir, `${name}.svg`),
    renderSingleTextChart(
      results.single,
      `Single-text POST /predict, ${results.environment.cpus} cores shared with the load generator ` +
        `(${results.environment.startedAt.slice(0, 10)})`,
      Object.values(SERVERS),
    ),
  );
  process.stdout.write(markdown + '\n');
  log(`wrote ${join(outDir, name)}.md, .json and .svg (chart of the single-text table)`);
}

/** --render FILE: the report of a saved run (bench/results/run-*.json), targets re-checked. */
function render(file: string, outDir: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  const results: BenchResults = { ...saved, targets: checkTargets(saved) };
  mkdirSync(outDir, { recursive: true });
  writeReport(results, outDir, results.environment.quick ? 'latest-quick' : 'latest');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const root = repoRoot();
  if (options.render !== undefined) {
    render(resolve(options.render), resolve(root, options.outDir));
    return;
  }
  if (options.profile) {
    await runProfile(options, root);
    return;
  }
  if (options.lightOnly) {
    await lightOnly(options, root);
    return;
  }
  if (options.tail) {
    await runTail(options, root);
    return;
  }
  await compare(options, root);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
