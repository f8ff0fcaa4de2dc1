/**
 * Price Sift's per-request costs one at a time, without a profiler (which distorts them): bare
 * Express, then bare Express plus one of Sift's layers (response headers, request context with
 * its access log, metrics), then Sift itself, all with one worker at the same load. The server's
 * own CPU time per request is the price; the lowest of a few interleaved rounds is kept, the usual
 * estimate of a cost on a machine with other work.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadGenerator } from './loadgen';
import { measure } from './measure';
import { freePort, startServer, type ServerSpec } from './processes';
import { expressServer, siftServer } from './servers';

export interface OverheadOptions {
  root: string;
  serverJs: string;
  artifactsDir: string;
  model: string;
  generator: LoadGenerator;
  rows: readonly Record<string, string>[];
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
}

interface Config {
  name: string;
  path: string;
  spec: (port: number) => ServerSpec;
}

interface Priced {
  name: string;
  requestsPerSecond: number[];
  cpuMicrosPerRequest: number[];
}

const log = (message: string) => process.stderr.write(`[bench:profile] ${message}\n`);
const median = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

interface InProcessRun {
  textsPerSecond: number;
  rssBytes: number;
}

/** Sift's model work alone (registry.predict, no HTTP) in a child process: one batch size. */
function inProcess(o: OverheadOptions, batch: number, onnxMinRows?: number): InProcessRun | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'sift-bench-rows-'));
  try {
    const rowsFile = join(dir, 'rows.json');
    writeFileSync(rowsFile, JSON.stringify(o.rows));
    const child = spawnSync(
      process.execPath,
      [
        join(__dirname, 'inprocess.js'),
        ...['--artifacts', join(o.root, o.artifactsDir), '--model', o.model, '--rows', rowsFile],
        ...['--seconds', String(Math.max(1, o.durationSeconds / 2)), '--batch-sizes', String(batch)],
        ...(onnxMinRows === undefined ? [] : ['--onnx-min-rows', String(onnxMinRows)]),
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (child.status !== 0) return undefined;
    const report = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
      batches?: { textsPerSecond: number }[];
      rssBytes?: number;
    };
    const rate = report.batches?.[0]?.textsPerSecond;
    return rate === undefined ? undefined : { textsPerSecond: rate, rssBytes: report.rssBytes ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Batches of 1,000 rows through the model's default path (in process for a linear model: sparse
 * dot products) against ONNX on dense [chunk × width] inputs from 256 rows on, in interleaved child
 * processes.
 */
export function compareBatchPaths(o: OverheadOptions): string {
  const paths = [
    { name: 'default (linear: every batch in process)', onnxMinRows: undefined },
    { name: 'ONNX from 256 rows (onnxMinRows = 256)', onnxMinRows: 256 },
  ];
  const runs = new Map<string, InProcessRun[]>(paths.map((p) => [p.name, []]));
  for (let round = 0; round < o.rounds; round += 1) {
    for (const path of paths) {
      const run = inProcess(o, 1000, path.onnxMinRows);
      if (run !== undefined) runs.get(path.name)?.push(run);
    }
  }
  const lines = [
    '## Batches of 1,000 in process: the ONNX path against the linear path',
    '',
    `registry.get(model).predict(1,000 rows), no HTTP, ${o.rounds} interleaved child processes each; ` +
      'texts/s: median; RSS: the child at the end.',
    '',
    '| path | texts/s | RSS MB |',
    '|---|---:|---:|',
  ];
  for (const [name, list] of runs) {
    if (list.length === 0) continue;
    lines.push(
      `| ${name} | ${median(list.map((r) => r.textsPerSecond)).toFixed(0)} | ` +
        `${(median(list.map((r) => r.rssBytes)) / 1048576).toFixed(0)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

export async function priceOverheads(o: OverheadOptions): Promise<string> {
  const express = (name: string, add: string[]): Config => ({
    name,
    path: '/predict',
    spec: (port) => expressServer({ root: o.root, port, workers: 1, name, add }),
  });
  const sift = (name: string, path: string): Config => ({
    name,
    path,
    spec: (port) =>
      siftServer({
        root: o.root,
        serverJs: o.serverJs,
        port,
        artifactsDir: o.artifactsDir,
        model: o.model,
        workers: 1,
        name,
      }),
  });
  const configs: Config[] = [
    express('bare Express 5 (express.json + res.json of a constant)', []),
    express("+ Sift's 15 response headers (helmet CSP etc.)", ['headers']),
    express('+ request id, pino child logger, access-log line', ['context']),
    express('+ prom-client counter + histogram per request', ['metrics']),
    express('+ all three', ['headers', 'context', 'metrics']),
    sift('Sift, 1 worker', '/predict'),
    sift('Sift, 1 worker, ?explain=true', '/predict?explain=true'),
  ];
  const bodies = o.rows.map((row) => JSON.stringify(row));
  const priced = new Map<string, Priced>(
    configs.map((c) => [c.name, { name: c.name, requestsPerSecond: [], cpuMicrosPerRequest: [] }]),
  );
  for (let round = 0; round < o.rounds; round += 1) {
    for (const config of configs) {
      const server = await startServer(config.spec(await freePort()));
      try {
        const m = await measure(o.generator, server, {
          scenario: 'single',
          path: config.path,
          bodies,
          connections: o.connections,
          batch: 1,
          explain: config.path.includes('explain'),
          durationSeconds: o.durationSeconds,
          warmupSeconds: o.warmupSeconds,
        });
        const entry = priced.get(config.name) as Priced;
        entry.requestsPerSecond.push(m.load.requestsPerSecond);
        entry.cpuMicrosPerRequest.push(m.serverCpuMicrosPerRequest);
        log(
          `overheads round ${round + 1}: ${config.name}: ${m.serverCpuMicrosPerRequest.toFixed(0)} µs CPU/req`,
        );
      } finally {
        await server.stop();
      }
    }
  }
  const single = inProcess(o, 1);
  const modelMicros = single === undefined ? undefined : 1e6 / single.textsPerSecond;
  const bare = Math.min(...(priced.get(configs[0].name) as Priced).cpuMicrosPerRequest);
  const lines = [
    '## What each layer costs per request (no profiler)',
    '',
    `One worker each, ${o.connections} connections, ${o.durationSeconds} s per cell after ${o.warmupSeconds} s warm-up, ` +
      `${o.rounds} interleaved rounds; CPU = the server's user+system time per answered request, lowest round ` +
      '(req/s: median round). Rows after the first add one layer to bare Express.',
    '',
    '| configuration | req/s | server CPU µs/req | vs bare Express |',
    '|---|---:|---:|---:|',
  ];
  for (const p of priced.values()) {
    const cpu = Math.min(...p.cpuMicrosPerRequest);
    const delta = cpu - bare;
    lines.push(
      `| ${p.name} | ${median(p.requestsPerSecond).toFixed(0)} | ${cpu.toFixed(0)} | ` +
        `${p.name.startsWith('bare') ? '—' : `${delta >= 0 ? '+' : ''}${delta.toFixed(0)} µs`} |`,
    );
  }
  if (modelMicros !== undefined) {
    lines.push(
      `| Sift's model work alone, in process, batch 1 (vectorize + classify, no HTTP) | ${(1e6 / modelMicros).toFixed(0)} | ${modelMicros.toFixed(0)} | — |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
