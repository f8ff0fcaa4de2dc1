/**
 * One measurement: warm-up, then a fixed-duration load, with the server's own CPU time and the
 * machine's busy share read from /proc around it.
 */
import type { LoadGenerator } from './loadgen';
import { machineCpu, selfAndChildrenCpuSeconds, treeCpuSeconds } from './procfs';
import type { RunningServer } from './processes';
import type { Measurement, Scenario } from './results';

export interface MeasureRequest {
  scenario: Scenario;
  /** Path and query, e.g. /predict?explain=true */
  path: string;
  bodies: readonly string[];
  connections: number;
  batch: number;
  explain: boolean;
  durationSeconds: number;
  warmupSeconds: number;
}

/** One text per request to /predict, as every single-text measurement sends it. */
export function singleText(
  scenario: 'single' | 'light',
  bodies: readonly string[],
  connections: number,
  options: { readonly durationSeconds: number; readonly warmupSeconds: number },
): MeasureRequest {
  return {
    scenario,
    path: '/predict',
    bodies,
    connections,
    batch: 1,
    explain: false,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
  };
}

const TIMEOUT_SECONDS = 30;

export async function measure(
  generator: LoadGenerator,
  server: RunningServer,
  request: MeasureRequest,
): Promise<Measurement> {
  const base = {
    url: server.url(request.path),
    bodies: request.bodies,
    connections: request.connections,
    timeoutSeconds: TIMEOUT_SECONDS,
  };
  if (request.warmupSeconds > 0) await generator.run({ ...base, durationSeconds: request.warmupSeconds });
  const cpuBefore = treeCpuSeconds(server.pid);
  const generatorBefore = selfAndChildrenCpuSeconds();
  const machineBefore = machineCpu();
  const load = await generator.run({ ...base, durationSeconds: request.durationSeconds });
  const serverCpuSeconds = treeCpuSeconds(server.pid) - cpuBefore;
  const loadGeneratorCpuSeconds = selfAndChildrenCpuSeconds() - generatorBefore;
  const machineAfter = machineCpu();
  const machineTotal = machineAfter.totalSeconds - machineBefore.totalSeconds;
  const machineBusySeconds = machineAfter.busySeconds - machineBefore.busySeconds;
  // Cores' worth of CPU over the measured wall time.
  const cores = (seconds: number) => Math.max(0, seconds) / load.seconds;
  const answered = Math.max(1, load.requests - load.badStatus);
  return {
    server: server.spec.name,
    scenario: request.scenario,
    connections: request.connections,
    batch: request.batch,
    explain: request.explain,
    load,
    textsPerSecond: ((load.requests - load.badStatus) * request.batch) / load.seconds,
    serverCpuSeconds,
    serverCpuMicrosPerRequest: (serverCpuSeconds * 1e6) / answered,
    machineBusy: machineTotal > 0 ? machineBusySeconds / machineTotal : 0,
    coresUsed: {
      server: cores(serverCpuSeconds),
      loadGenerator: cores(loadGeneratorCpuSeconds),
      other: cores(machineBusySeconds - serverCpuSeconds - loadGeneratorCpuSeconds),
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * On a shared machine: wait (up to `maxWaitMs`) until other work leaves the cores mostly idle,
 * sampling /proc/stat over half-second windows. Resolves with the milliseconds waited.
 */
export async function waitForQuiet(maxBusyShare: number, maxWaitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const before = machineCpu();
    await sleep(500);
    const after = machineCpu();
    const total = after.totalSeconds - before.totalSeconds;
    const busy = total > 0 ? (after.busySeconds - before.busySeconds) / total : 0;
    const waited = performance.now() - started;
    if (busy <= maxBusyShare || waited >= maxWaitMs) return waited;
  }
}
