/**
 * What the prediction log costs a prediction on the request path, printed, not asserted: predictRows
 * (the step every entry point shares) on the shipped disaster-tweets model, one tweet per call,
 *   - off:     no log (the baseline: PREDICTION_LOG off),
 *   - capture: a log whose record() does nothing (terms + record + UUID: the capture itself),
 *   - sqlite:  the real batched log over a SQLite file (capture + the queue push; writes happen
 *              off the request path but on this thread, so their CPU is included).
 * The cases take turns, so machine noise spreads over all of them.
 *   node -r ./test/helpers/ts-register.js scripts/bench-capture.ts [--seconds 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRegistry } from '../src/model/registry';
import { createPredictionLog } from '../src/monitor/log';
import { createSqliteStore } from '../src/monitor/store-sqlite';
import type { PredictionLog } from '../src/monitor/types';
import { predictRows } from '../src/predict/predict';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 2;
const ROUNDS = 3;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const TWEETS = [
  'Forest fire near La Ronge Sask. Canada',
  'All residents asked to shelter in place are being notified by officers',
  'Just got sent this photo from Ruby #Alaska as smoke from #wildfires pours into a school',
  'What a lovely sunny day, going to the beach with friends',
];

async function main(): Promise<void> {
  const registry = await loadRegistry(path.resolve(__dirname, '..', 'artifacts'), {
    defaultModel: 'disaster-tweets',
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sift-bench-capture-'));
  const sqlite = createPredictionLog(createSqliteStore({ path: path.join(dir, 'log.sqlite') }), {
    logger: silent,
    retentionMs: 1e12,
    maxRows: 1e9,
  });
  await sqlite.opened;
  const noop: PredictionLog = {
    record: () => undefined,
    store: sqlite.store,
    status: () => sqlite.status(),
    flush: async () => undefined,
    close: async () => undefined,
  };
  const cases: { name: string; log: PredictionLog | undefined }[] = [
    { name: 'off', log: undefined },
    { name: 'capture', log: noop },
    { name: 'sqlite', log: sqlite },
  ];
  const totals = new Map(cases.map((c) => [c.name, { calls: 0, cpuUs: 0 }]));
  const source = { requestId: 'bench', route: '/predict' };
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const deps = { registry, ...(c.log === undefined ? {} : { predictionLog: c.log }) };
      const until = Date.now() + (seconds * 1000) / ROUNDS;
      const cpu = process.cpuUsage();
      let calls = 0;
      while (Date.now() < until) {
        await predictRows(deps, 'disaster-tweets', [{ text: TWEETS[calls % TWEETS.length] }], {
          capture: source,
        });
        calls++;
      }
      if (c.log !== undefined) await c.log.flush();
      const used = process.cpuUsage(cpu);
      const total = totals.get(c.name)!;
      total.calls += calls;
      total.cpuUs += used.user + used.system;
    }
  }
  const base = totals.get('off')!;
  const baseUs = base.cpuUs / base.calls;
  console.log(`predictRows, one tweet per call, disaster-tweets, ${seconds} s per case (${process.version})`);
  for (const c of cases) {
    const t = totals.get(c.name)!;
    const us = t.cpuUs / t.calls;
    const extra =
      c.name === 'off'
        ? ''
        : `  (+${(us - baseUs).toFixed(1)} µs, +${(((us - baseUs) / baseUs) * 100).toFixed(1)}%)`;
    console.log(`  ${c.name.padEnd(8)} ${us.toFixed(1).padStart(7)} µs CPU per prediction${extra}`);
  }
  await sqlite.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
