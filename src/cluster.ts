/**
 * WEB_CONCURRENCY > 1: the primary process forks that many workers (each runs src/server.ts and
 * loads its own models), restarts a worker that dies, and forwards SIGTERM/SIGINT so every worker
 * drains. A worker that dies before it ever served means the configuration or the models are bad:
 * restarting would only loop, so the primary stops and exits 1.
 */
import cluster, { type Worker } from 'node:cluster';
import type pino from 'pino';
import type { Config } from './config';

interface ReadyMessage {
  type: 'sift:ready';
  line: string;
}

const isReadyMessage = (message: unknown): message is ReadyMessage =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'sift:ready';

/** Restart delays grow when workers keep crashing, and reset once one has run for a minute. */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

export function runPrimary(config: Readonly<Config>, logger: pino.Logger): void {
  const wanted = config.webConcurrency;
  const ready = new Set<number>();
  const startedAt = new Map<number, number>();
  let announced = false;
  let stopping = false;
  let restartDelay = RESTART_MIN_MS;
  let exitCode = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('message', (message: unknown) => {
      if (!isReadyMessage(message)) return;
      ready.add(worker.id);
      if (!announced && ready.size === wanted) {
        announced = true;
        logger.info({ workers: wanted }, message.line.replace(/\)$/, `; ${wanted} workers)`));
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const wasReady = ready.delete(worker.id);
    const ranFor = Date.now() - (startedAt.get(worker.id) ?? Date.now());
    startedAt.delete(worker.id);
    if (stopping) {
      if (code !== 0) exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info({ exitCode }, 'all workers stopped');
        process.exit(exitCode);
      }
      return;
    }
    if (!wasReady) {
      logger.fatal({ worker: worker.id, code, signal }, 'a worker failed to start; stopping (see its error above)');
      exitCode = 1;
      stopAll('SIGTERM');
      return;
    }
    if (ranFor > STABLE_AFTER_MS) restartDelay = RESTART_MIN_MS;
    logger.error({ worker: worker.id, code, signal, restartInMs: restartDelay }, 'worker died; restarting it');
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay).unref();
    restartDelay = Math.min(RESTART_MAX_MS, restartDelay * 2);
  });

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

  for (let i = 0; i < wanted; i++) fork();
}
