/**
 * `npm run bench -- --tail`: where does the one-worker p99 at 32 connections come from? Bare Express
 * and Sift started a few ways (npm start's node flags, V8's default young generation, no access
 * log, stdout a pipe as under a container runtime), measured in interleaved rounds so the shared
 * machine's noise falls on all of them alike. Every server runs with bench/baselines/loop-probe.js,
 * which reports, for each measured window, the event-loop delay (monitorEventLoopDelay), the GC
 * pauses (count, total, longest) and the process's CPU time, so a p99 ≫ p50 can be told apart:
 * stalls inside the process (GC, synchronous work) or queueing behind the request rate.
 * Writes bench/results/tail.md and tail.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generatedRows, shapeRows } from './corpus';
import { chooseLoadGenerator } from './loadgen';
import { measure, singleText, waitForQuiet } from './measure';
import type { BenchOptions } from './options';
import { freePort, startServer, type RunningServer, type ServerSpec } from './processes';
import { treeMemory } from './procfs';
import type { Measurement } from './results';
import { expressServer, readCard, serverStartCommand, siftServer, snapshotBuild } from './servers';

const log = (message: string) => process.stderr.write(`[bench:tail] ${message}\n`);
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const QUIET_BUSY_SHARE = 0.15;
const MB = 1024 * 1024;

/** One window of bench/baselines/loop-probe.js (printed on SIGUSR2). */
export interface ProbeWindow {
  loopDelayMs: { p50: number; p99: number; max: number };
  gc: { count: number; totalMs: number; maxMs: number; over5ms: number };
  cpuMs: number;
  wallMs: number;
}

export interface TailSample {
  variant: string;
  round: number;
  /** Bare Express's samples: the variant measured right after this one. */
  pairedWith?: string;
  measurement: Measurement;
  probe: ProbeWindow | null;
}

/** RSS of each variant (largest process): after the single-text rounds, after batches, settled. */
export interface TailMemory {
  afterSingle: Record<string, number>;
  afterBatches: Record<string, number>;
  settled: Record<string, number>;
}

interface Variant {
  name: string;
  spec(port: number): ServerSpec;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The probe's last line on stderr after `kill -USR2` (it answers within a tick). */
async function probeWindow(server: RunningServer): Promise<ProbeWindow | null> {
  const before = server.stderrTail();
  process.kill(server.pid, 'SIGUSR2');
  for (let i = 0; i < 50; i += 1) {
    await sleep(20);
    const tail = server.stderrTail();
    if (tail === before) continue;
    const line = tail
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{"loopDelayMs"'));
    if (line !== undefined) return JSON.parse(line) as ProbeWindow;
  }
  return null;
}

export async function runTail(options: BenchOptions, root: string): Promise<void> {
  const generator = chooseLoadGenerator(options.loadGenerator);
  const build = snapshotBuild(root);
  const probe = ['-r', join(root, 'bench', 'baselines', 'loop-probe.js')];
  const start = serverStartCommand(root);
  const sift = (
    name: string,
    extra: {
      startFlags?: string[];
      env?: Record<string, string>;
      stdout?: ServerSpec['stdout'];
      serverJs?: string;
    } = {},
  ): Variant => ({
    name,
    spec: (port) =>
      siftServer({
        root,
        serverJs: extra.serverJs ?? build.serverJs,
        port,
        artifactsDir: options.artifactsDir,
        model: options.model,
        workers: 1,
        nodeFlags: probe,
        name,
        ...extra,
      }),
  });
  const withoutSemiSpace = start.flags.filter((f) => !f.startsWith('--max-semi-space-size'));
  const variants: Variant[] = [
    {
      name: 'bare express (1 worker)',
      spec: (port: number) =>
        expressServer({ root, port, workers: 1, name: 'bare express', nodeFlags: probe }),
    },
    sift(`sift: npm start (${start.flags.join(' ') || 'no flags'})`),
    sift('sift: V8 default young generation', { startFlags: withoutSemiSpace }),
    sift('sift: --max-semi-space-size=8', { startFlags: [...withoutSemiSpace, '--max-semi-space-size=8'] }),
    sift('sift: --max-semi-space-size=2', { startFlags: [...withoutSemiSpace, '--max-semi-space-size=2'] }),
    // No GC helper threads: on a small host they compete with the other processes for the cores.
    sift('sift: + --single-threaded-gc', { startFlags: [...start.flags, '--single-threaded-gc'] }),
    sift('sift: no access log (LOG_LEVEL=warn)', { env: { LOG_LEVEL: 'warn' } }),
    sift('sift: stdout a pipe (container log collector)', { stdout: 'pipe' }),
    sift('sift: stdout a slow pipe (read 100 ms of every 500)', { stdout: 'slow-pipe' }),
    sift('sift: MALLOC_ARENA_MAX=2', { env: { MALLOC_ARENA_MAX: '2' } }),
    ...(options.tailBaseline === undefined
      ? []
      : [
          sift('baseline build: npm start', { serverJs: resolve(options.tailBaseline) }),
          sift('baseline build: stdout a pipe', { serverJs: resolve(options.tailBaseline), stdout: 'pipe' }),
          sift('baseline build: stdout a slow pipe', {
            serverJs: resolve(options.tailBaseline),
            stdout: 'slow-pipe',
          }),
        ]),
  ].filter(
    (v, i) =>
      i === 0 || options.tailOnly.length === 0 || options.tailOnly.some((part) => v.name.includes(part)),
  );
  const fields = readCard(resolve(root, options.artifactsDir, options.model)).inputs.map((i) => i.name);
  const bodies = shapeRows(generatedRows(2000), fields).map((row) => JSON.stringify(row));
  const connections = options.connections.includes(32) ? 32 : options.connections[0];
  const servers = new Map<string, RunningServer>();
  const samples: TailSample[] = [];
  const memory: TailMemory = { afterSingle: {}, afterBatches: {}, settled: {} };
  let waited = 0;
  try {
    for (const v of variants) {
      const s = await startServer(v.spec(await freePort()));
      servers.set(v.name, s);
      log(`${v.name} ready in ${s.readyAfterMs.toFixed(0)} ms (pid ${s.pid})`);
    }
    const measureOne = async (v: Variant, round: number, pairedWith?: string) => {
      const server = servers.get(v.name) as RunningServer;
      if (options.waitIdleSeconds * 1000 - waited > 0) {
        waited += await waitForQuiet(QUIET_BUSY_SHARE, options.waitIdleSeconds * 1000 - waited);
      }
      const url = server.url('/predict');
      if (options.warmupSeconds > 0) {
        await generator.run({
          url,
          bodies,
          connections,
          durationSeconds: options.warmupSeconds,
          timeoutSeconds: 30,
        });
      }
      await probeWindow(server); // starts the window over
      const m = await measure(
        generator,
        server,
        singleText('single', bodies, connections, {
          durationSeconds: options.durationSeconds,
          warmupSeconds: 0,
        }),
      );
      const p = await probeWindow(server);
      samples.push({ variant: v.name, round, pairedWith, measurement: m, probe: p });
      log(
        `round ${round} ${v.name.padEnd(48)} p50 ${m.load.latencyMs.p50.toFixed(2)} p99 ${m.load.latencyMs.p99.toFixed(2)} ms ` +
          `${m.serverCpuMicrosPerRequest.toFixed(0)} µs/req; loop p99 ${p?.loopDelayMs.p99 ?? 'n/a'} ms, ` +
          `GC ${p ? `${p.gc.totalMs} ms of ${p.cpuMs} ms CPU, max ${p.gc.maxMs} ms` : 'n/a'}; other work ${m.coresUsed.other.toFixed(2)} cores`,
      );
    };
    // Each Sift variant right after its own bare-Express measurement (the ratio is per pair), and
    // the order of the variants rotated per round, so a burst of other work on the shared machine
    // lands on a pair rather than on one variant.
    const [express, ...others] = variants;
    for (let round = 1; round <= options.tailRounds; round += 1) {
      const shift = (round - 1) % others.length;
      for (const v of [...others.slice(shift), ...others.slice(0, shift)]) {
        await measureOne(express, round, v.name);
        await measureOne(v, round);
      }
    }
    await sleep(1000);
    for (const [name, s] of servers) memory.afterSingle[name] = treeMemory(s.pid).largestBytes;
    // Memory the way bench/report.ts judges it: after bursts of 1,000-row batches, once settled.
    const batchBodies = Array.from({ length: 2 }, (_, k) =>
      JSON.stringify({ instances: shapeRows(generatedRows(1000, 7 + k), fields) }),
    );
    for (const v of variants.slice(1)) {
      const server = servers.get(v.name) as RunningServer;
      const load = await generator.run({
        url: server.url('/predict'),
        bodies: batchBodies,
        connections: 8,
        durationSeconds: options.durationSeconds,
        timeoutSeconds: 60,
      });
      memory.afterBatches[v.name] = treeMemory(server.pid).largestBytes;
      log(
        `batches of 1,000 ${v.name}: ${load.requestsPerSecond.toFixed(1)} req/s, RSS ${(memory.afterBatches[v.name] / MB).toFixed(1)} MB`,
      );
    }
    log(`waiting ${options.settleSeconds} s for the settled memory sample...`);
    await sleep(options.settleSeconds * 1000);
    for (const v of variants.slice(1)) {
      memory.settled[v.name] = treeMemory((servers.get(v.name) as RunningServer).pid).largestBytes;
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    build.remove();
    generator.close();
  }
  const markdown = renderTail(samples, memory, connections);
  const outDir = resolve(root, options.outDir);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'tail.json'), JSON.stringify({ connections, samples, memory }, null, 2) + '\n');
  writeFileSync(join(outDir, 'tail.md'), markdown);
  process.stdout.write(markdown + '\n');
}

/** Pure: medians over the rounds per variant, p99 over bare Express's in the same round. */
export function renderTail(samples: readonly TailSample[], memory: TailMemory, connections: number): string {
  const names = [...new Set(samples.map((s) => s.variant))];
  const express = names[0];
  const rounds = [...new Set(samples.map((s) => s.round))];
  const at = (variant: string, round: number) =>
    samples.find((s) => s.variant === variant && s.round === round && s.pairedWith === undefined);
  const pair = (variant: string, round: number) =>
    samples.find((s) => s.variant === express && s.round === round && s.pairedWith === variant);
  const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const rows = names.map((name) => {
    const own = samples.filter((s) => s.variant === name);
    const m = (pick: (s: TailSample) => number | undefined) =>
      median(own.map(pick).filter((v): v is number => v !== undefined));
    const ratios = rounds
      .map((r) => {
        const a = name === express ? pair(names[1], r) : at(name, r);
        const b = pair(name === express ? names[1] : name, r);
        return a && b ? a.measurement.load.latencyMs.p99 / b.measurement.load.latencyMs.p99 : undefined;
      })
      .filter((v): v is number => v !== undefined);
    const gcShare = m((s) => (s.probe && s.probe.cpuMs > 0 ? s.probe.gc.totalMs / s.probe.cpuMs : undefined));
    return [
      name,
      f(
        m((s) => s.measurement.load.requestsPerSecond),
        0,
      ),
      f(m((s) => s.measurement.load.latencyMs.p50)),
      f(m((s) => s.measurement.load.latencyMs.p99)),
      `${f(median(ratios))}× (${ratios.map((r) => f(r)).join(', ')})`,
      f(
        m((s) => s.measurement.serverCpuMicrosPerRequest),
        0,
      ),
      f(m((s) => s.probe?.loopDelayMs.p99)),
      f(
        m((s) => s.probe?.loopDelayMs.max),
        1,
      ),
      f(
        m((s) => s.probe?.gc.count),
        0,
      ),
      `${f(gcShare * 100, 1)}%`,
      f(
        m((s) => s.probe?.gc.maxMs),
        1,
      ),
      f(m((s) => s.measurement.coresUsed.other)),
      ...[memory.afterSingle, memory.afterBatches, memory.settled].map((m) =>
        m[name] === undefined ? 'n/a' : f(m[name] / MB, 1),
      ),
    ];
  });
  const header = [
    'variant',
    'req/s',
    'p50 ms',
    'p99 ms',
    'p99 × express just before (per round)',
    'server CPU µs/req',
    'loop delay p99 ms',
    'loop delay max ms',
    'GCs',
    'GC pause / CPU',
    'longest GC ms',
    'other work, cores',
    'RSS MB after single',
    'after batches',
    'settled',
  ];
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    `# Tail latency: one worker, ${connections} connections, medians over ${rounds.length} interleaved rounds`,
    '',
    line(header),
    line(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
    '',
    "Loop delay: perf_hooks.monitorEventLoopDelay (1 ms resolution) over the measured window; GC: the 'gc' " +
      "performance entries' pause time on the main thread over the process's CPU time in the window.",
    '',
  ].join('\n');
}
