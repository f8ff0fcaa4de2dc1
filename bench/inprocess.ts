/**
 * In-process throughput of Sift's TypeScript core, no HTTP: registry.get(model).predict(rows),
 * i.e. vectorize + classify (+ explain when asked). Run as a child process by the runner so its
 * heap and CPU are not mixed with the runner's:
 *
 *   node dist/bench/bench/inprocess.js --artifacts artifacts --model disaster-tweets \
 *     --rows rows.json [--seconds 3] [--batch-sizes 1,1000] [--explain-batch-sizes 1] [--onnx-min-rows N]
 *
 * Prints one JSON object (InProcessReport) on stdout.
 */
import { readFileSync } from 'node:fs';
import { loadRegistry } from '../src/model/registry';
import type { InputRow, LoadedModel } from '../src/model/types';

export interface InProcessBatch {
  batch: number;
  explain: boolean;
  texts: number;
  calls: number;
  seconds: number;
  textsPerSecond: number;
}

export interface InProcessReport {
  node: string;
  model: string;
  loadMs: number;
  batches: InProcessBatch[];
  rssBytes: number;
}

function argument(args: readonly string[], name: string, fallback?: string): string {
  const index = args.indexOf(`--${name}`);
  const value = index >= 0 ? args[index + 1] : fallback;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

const sizes = (list: string): number[] => (list === '' ? [] : list.split(',').map(Number));

async function measure(
  model: LoadedModel,
  rows: readonly InputRow[],
  batch: number,
  explain: boolean,
  seconds: number,
): Promise<InProcessBatch> {
  const batches: InputRow[][] = [];
  for (let start = 0; start < rows.length; start += batch) {
    batches.push(Array.from({ length: batch }, (_, i) => rows[(start + i) % rows.length]));
  }
  // Warm-up: let V8 optimise the hot paths before the clock starts.
  const warmUntil = performance.now() + Math.min(1000, seconds * 300);
  for (let i = 0; performance.now() < warmUntil || i < 3; i += 1) {
    await model.predict(batches[i % batches.length], { explain });
  }
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000 || calls < 3) {
    await model.predict(batches[calls % batches.length], { explain });
    calls += 1;
    elapsed = performance.now() - started;
  }
  const texts = calls * batch;
  return { batch, explain, texts, calls, seconds: elapsed / 1000, textsPerSecond: texts / (elapsed / 1000) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const artifactsDir = argument(args, 'artifacts');
  const modelName = argument(args, 'model');
  const rows = JSON.parse(readFileSync(argument(args, 'rows'), 'utf8')) as InputRow[];
  const seconds = Number(argument(args, 'seconds', '3'));

  const loadStarted = performance.now();
  // --onnx-min-rows: where the model switches from the in-process linear path to ONNX (for profiling).
  const onnxMinRows = args.includes('--onnx-min-rows') ? Number(argument(args, 'onnx-min-rows')) : undefined;
  const registry = await loadRegistry(artifactsDir, {
    defaultModel: modelName,
    ...(onnxMinRows === undefined ? {} : { onnxMinRows }),
  });
  const loadMs = performance.now() - loadStarted;
  const model = registry.get(modelName);
  if (model === undefined) throw new Error(`model ${modelName} is not in ${artifactsDir}`);
  const status = model.status();
  if (!status.ready)
    throw new Error(`model ${modelName} is not ready: ${status.reason ?? 'no reason given'}`);

  const batches: InProcessBatch[] = [];
  for (const batch of sizes(argument(args, 'batch-sizes', '1,1000'))) {
    batches.push(await measure(model, rows, batch, false, seconds));
  }
  for (const batch of sizes(argument(args, 'explain-batch-sizes', ''))) {
    batches.push(await measure(model, rows, batch, true, seconds));
  }
  const report: InProcessReport = {
    node: process.version,
    model: modelName,
    loadMs,
    batches,
    rssBytes: process.memoryUsage.rss(),
  };
  process.stdout.write(JSON.stringify(report) + '\n');
  await registry.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
