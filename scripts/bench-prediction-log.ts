/**
 * Numbers for the prediction log (docs/prediction-log.md), printed, not asserted:
 *   - record(): CPU per call on the request path (the queue push), and
 *   - the writer: rows/s into SQLite (this Node's driver) and PostgreSQL, and main-thread CPU per row,
 *     with the store on the main thread and on a worker thread (what the server uses).
 * PostgreSQL is a throwaway server from test/helpers/postgres.ts, or DATABASE_URL when set.
 *   node -r ./test/helpers/ts-register.js scripts/bench-prediction-log.ts [--seconds 3] [--no-postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPredictionLog } from '../src/monitor/log';
import { availableDriver } from '../src/monitor/sqlite-driver';
import { createPostgresStore } from '../src/monitor/store-postgres';
import { createSqliteStore } from '../src/monitor/store-sqlite';
import { createStore } from '../src/monitor/store-thread';
import type { PredictionRecord, PredictionStore } from '../src/monitor/types';
import { startPostgres } from '../test/helpers/postgres';
import { record } from '../test/helpers/prediction-records';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 3;
const BATCH = 200;
const WORDS = 'fire flood storm quake wind rain smoke ash help evacuate road bridge river city night'.split(
  ' ',
);

function realistic(i: number): PredictionRecord {
  const terms = Array.from({ length: 12 }, (_, k) => `${WORDS[(i + k) % WORDS.length]}${(i * 7 + k) % 500}`);
  return record({
    time: Date.now(),
    inputs: { text: `Forest fire near La Ronge Sask. Canada, row ${i} with some more words to be typical` },
    terms,
  });
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function recordCost(): Promise<void> {
  // The writer never opens (a store that rejects): only the request path's part is measured.
  const store = createSqliteStore({ path: path.join(os.tmpdir(), 'no-such-dir-\u0000/x') });
  const log = createPredictionLog(store, {
    logger: silent,
    retentionMs: 1e12,
    maxRows: 1e9,
    maxQueued: 2_000_000,
  });
  await log.opened;
  const rows = Array.from({ length: 1000 }, (_, i) => realistic(i));
  const calls = 1_000_000;
  const start = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) log.record(rows[i % 1000]);
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  console.log(
    `record(): ${ns.toFixed(0)} ns wall, ${((cpuMs(start) * 1e6) / calls).toFixed(0)} ns CPU per call (${calls} calls)`,
  );
  await log.close();
}

async function throughput(label: string, store: PredictionStore): Promise<void> {
  await store.open();
  const batches = Array.from({ length: 20 }, (_, b) =>
    Array.from({ length: BATCH }, (_, i) => realistic(b * BATCH + i)),
  );
  for (const batch of batches.slice(0, 2))
    await store.insertPredictions(batch.map((r) => ({ ...r, id: `${r.id}w` })));
  let rows = 0;
  let b = 0;
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    const batch = batches[b++ % batches.length].map((r) => ({ ...r, id: `${r.id}-${b}` }));
    await store.insertPredictions(batch);
    rows += batch.length;
    // A turn of the event loop per batch, as the log's timer gives: the busy time is then measured.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const elapsed = (Date.now() - t0) / 1000;
  const busyMs = performance.eventLoopUtilization(loop).active;
  console.log(
    `${label}: ${Math.round(rows / elapsed)} rows/s in batches of ${BATCH} (12 terms/row, inputs on); ` +
      `event loop busy ${((busyMs * 1000) / rows).toFixed(1)} µs per row, process CPU (all threads) ${((cpuMs(cpu) * 1000) / rows).toFixed(1)} µs per row`,
  );
  await store.close();
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, SQLite driver ${availableDriver()}, ${os.cpus().length} CPUs`);
  await recordCost();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sift-bench-log-'));
  try {
    await throughput(
      'SQLite (WAL, synchronous=NORMAL)',
      createSqliteStore({ path: path.join(dir, 'p.sqlite') }),
    );
    await throughput(
      'SQLite on a worker thread (as the server runs it)',
      createStore({ kind: 'sqlite', options: { path: path.join(dir, 't.sqlite') } }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (args.includes('--no-postgres')) return;
  const external = process.env.DATABASE_URL;
  const pg = external === undefined ? await startPostgres() : undefined;
  try {
    const url = external ?? (await pg!.createDatabase('bench'));
    const where = external === undefined ? 'local throwaway server, fsync off' : 'DATABASE_URL';
    await throughput(`PostgreSQL (${where})`, createPostgresStore({ connectionString: url }));
    await throughput(
      `PostgreSQL on a worker thread (${where})`,
      createStore({ kind: 'postgres', options: { connectionString: url } }),
    );
  } finally {
    await pg?.destroy();
  }
}

void main();
