/**
 * WEB_CONCURRENCY > 1: the primary process forks that many workers (each runs src/server.ts and
 * loads its own models; the first alone, the others once it serves), restarts a worker that dies,
 * with a delay that doubles while workers keep dying, and forwards SIGTERM/SIGINT so every worker
 * drains. It holds the shared rate-limit counters (src/http/rate-store.ts).
 *
 * When it gives up (exit 1, for the supervisor to act): a worker that dies before any worker ever
 * served (the configuration or the models are bad: restarting would only loop), or
 * MAX_CONSECUTIVE_FAILURES deaths in a row of workers that did not stay up STABLE_AFTER_MS.
 */
import cluster, { type Worker } from 'node:cluster';
import type pino from 'pino';
import type { AggregatorRegistry, PrometheusContentType } from 'prom-client';
import type { Config } from './config';
import { serveRateLimits } from './http/rate-store';
import type { Metrics } from './ops/metrics';

interface ReadyMessage {
  type: 'sift:ready';
  line: string;
}

interface MetricsRequest {
  type: 'sift:metrics-request';
  id: number;
}

interface MetricsResponse {
  type: 'sift:metrics';
  id: number;
  text?: string;
  error?: string;
}

const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
const isReadyMessage = (message: unknown): message is ReadyMessage =>
  isMessage<ReadyMessage>(message, 'sift:ready');

const METRICS_TIMEOUT_MS = 5000;

/**
 * In a worker: GET /metrics answers the sum over all workers, collected by the primary over IPC
 * (prom-client's AggregatorRegistry), so counters stay monotonic whichever worker a scrape reaches.
 */
export async function useClusterMetrics(metrics: Metrics): Promise<Metrics> {
  const { AggregatorRegistry } = await import('prom-client');
  AggregatorRegistry.setRegistries([metrics.registry]);
  // Constructing one registers the listener that answers the primary's collection requests.
  new AggregatorRegistry();
  let nextId = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMessage<MetricsResponse>(message, 'sift:metrics')) return;
    const waiting = pending.get(message.id);
    if (waiting === undefined) return;
    pending.delete(message.id);
    if (message.text !== undefined) waiting.resolve(message.text);
    else waiting.reject(new Error(message.error ?? 'no metrics from the primary'));
  });
  const scrape = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not answer the metrics request'));
      }, METRICS_TIMEOUT_MS);
      pending.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const request: MetricsRequest = { type: 'sift:metrics-request', id };
      process.send?.(request);
    });
  return { ...metrics, scrape };
}

/** Restart delays grow when workers keep crashing, and reset once one has run for a minute. */
export const RESTART_MIN_MS = 500;
/** 0.5 + 1 + 2 + … + 30 s of retries (about 1.5 minutes) before the primary stops trying. */
export const MAX_CONSECUTIVE_FAILURES = 8;

/** When the primary restarts a dead worker, and when it gives up. */
export interface RestartPolicy {
  /** First restart delay; it doubles with each death in a row. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** A worker that ran this long was healthy: the delay and the count of deaths start over. */
  readonly stableAfterMs: number;
  /** Deaths in a row (of workers that did not stay up stableAfterMs) before exit 1. */
  readonly maxConsecutiveFailures: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  minDelayMs: RESTART_MIN_MS,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxConsecutiveFailures: MAX_CONSECUTIVE_FAILURES,
};

/** A worker forked before the primary's own start-up, with how it ended if it already has. */
export interface EarlyWorker {
  readonly worker: Worker;
  exited?: { code: number | null; signal: string | null };
  kill(): void;
}

/**
 * In the primary, when WEB_CONCURRENCY (read raw: the configuration is checked right after, here and
 * in the worker) asks for workers: fork the first one now. runPrimary adopts it.
 */
export function forkEarlyWorker(env: NodeJS.ProcessEnv): EarlyWorker | undefined {
  if (!cluster.isPrimary || !(Number(env.WEB_CONCURRENCY) > 1)) return undefined;
  const worker = cluster.fork();
  const early: EarlyWorker = {
    worker,
    kill: () => {
      if (early.exited === undefined) worker.process.kill('SIGKILL');
    },
  };
  worker.once('exit', (code: number | null, signal: string | null) => {
    early.exited = { code, signal };
  });
  return early;
}

/** `policy`: the default in production; tests give a fast one to reach the give-up path in seconds. */
export function runPrimary(
  config: Readonly<Config>,
  logger: pino.Logger,
  early?: EarlyWorker,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): void {
  const wanted = config.webConcurrency;
  // prom-client loads on the first scrape, not before the workers are forked.
  let aggregator: Promise<AggregatorRegistry<PrometheusContentType>> | undefined;
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, 'sift:metrics-request')) return;
    const reply = (answer: Omit<MetricsResponse, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: 'sift:metrics', id: message.id, ...answer });
    };
    aggregator ??= import('prom-client').then(({ AggregatorRegistry }) => new AggregatorRegistry());
    aggregator
      .then((registry) => registry.clusterMetrics())
      .then(
        (text) => reply({ text }),
        (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
      );
  });
  serveRateLimits((listener) => cluster.on('message', listener));
  const ready = new Set<number>();
  const startedAt = new Map<number, number>();
  let announced = false;
  let stopping = false;
  let restartDelay = policy.minDelayMs;
  let failures = 0;
  let everServed = false;
  let exitCode = 0;
  let othersForked = false;

  const fork = (adopted?: Worker): Worker => {
    const worker = adopted ?? cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('message', (message: unknown) => {
      if (!isReadyMessage(message)) return;
      ready.add(worker.id);
      // Only once every first worker is up: before that, a ready worker is one of the first ones.
      if (announced) logger.info({ worker: worker.id, serving: ready.size }, 'restarted worker serving');
      everServed = true;
      if (!othersForked) {
        othersForked = true;
        for (let i = 1; i < wanted; i++) fork();
      }
      if (!announced && ready.size === wanted) {
        announced = true;
        logger.info({ workers: wanted }, message.line.replace(/\)$/, `; ${wanted} workers)`));
      }
    });
    return worker;
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    const wasReady = ready.delete(worker.id);
    const ranFor = Date.now() - (startedAt.get(worker.id) ?? Date.now());
    startedAt.delete(worker.id);
    if (stopping) {
      // A worker still starting has no SIGTERM handler yet: it ends by the signal, with nothing to drain.
      if (code !== 0 && !(code === null && signal === 'SIGTERM' && !wasReady)) exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info({ exitCode }, 'all workers stopped');
        process.exit(exitCode);
      }
      return;
    }
    if (!wasReady && !everServed) {
      logger.fatal(
        { worker: worker.id, code, signal },
        'a worker failed to start; stopping (see its error above)',
      );
      exitCode = 1;
      stopAll('SIGTERM');
      return;
    }
    if (ranFor > policy.stableAfterMs) {
      restartDelay = policy.minDelayMs;
      failures = 0;
    }
    failures++;
    if (failures > policy.maxConsecutiveFailures) {
      logger.fatal(
        { worker: worker.id, code, signal, failures },
        `workers died ${failures} times in a row; stopping`,
      );
      exitCode = 1;
      stopAll('SIGTERM');
      return;
    }
    logger.error(
      { worker: worker.id, code, signal, restartInMs: restartDelay, failures, serving: ready.size },
      'worker died; restarting it',
    );
    // Not unref'd: with every worker gone this timer is what keeps the primary alive to restart them.
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay);
    restartDelay = Math.min(policy.maxDelayMs, restartDelay * 2);
  };
  cluster.on('exit', onExit);

  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'primary: stopping workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(exitCode);
    for (const worker of workers) worker.process.kill('SIGTERM');
    // Workers exit on their own within SHUTDOWN_TIMEOUT_MS; this is the backstop.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000).unref();
  };
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  process.once('SIGINT', () => stopAll('SIGINT'));

  // One worker first, the others once it serves: it is ready sooner than when all of them load at
  // once on the same cores, and only one model load at a time sets the memory peak.
  if (early === undefined) fork();
  else if (early.exited === undefined) fork(early.worker);
  else {
    // It ended before this process was listening for exits: a failed start, as above.
    startedAt.set(early.worker.id, Date.now());
    onExit(early.worker, early.exited.code, early.exited.signal);
  }
}
