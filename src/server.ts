/**
 * The process: configuration → models → app → HTTP server with timeouts → graceful shutdown.
 *
 *   node dist/server.js          listen on HOST:PORT
 *   node dist/server.js serve    SageMaker: listen on SAGEMAKER_BIND_TO_PORT (8080)
 *
 * SIGTERM/SIGINT: stop accepting, mark not ready, let in-flight requests finish (their connections
 * close after the answer), close idle keep-alive sockets, release the models, exit 0; after
 * SHUTDOWN_TIMEOUT_MS the remaining connections are cut and the exit code is 1. An uncaught
 * exception or unhandled rejection is logged and exits 1, for the orchestrator to restart a clean
 * process rather than keep one in an unknown state.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type pino from 'pino';
import type { Lifecycle } from './deps';
import { forkEarlyWorker, runPrimary, useClusterMetrics } from './cluster';
import type { Config } from './config';
import type { ModelRegistry } from './model/types';
import type { PredictionLog } from './monitor/types';
import { exposedCollector, startIdleCompaction } from './ops/idle-compaction';

export interface RunningServer {
  readonly server: http.Server;
  readonly registry: ModelRegistry;
  /** The URL the server listens on (the actual port when PORT is 0). */
  readonly url: string;
  /** Drain and stop; resolves with the exit code (0 drained in time, 1 connections were cut). */
  shutdown(reason: string): Promise<number>;
}

/** Near MAX_CONNECTIONS, connections idle at least this long are closed, longest idle first. */
const EVICT_IDLE_AFTER_MS = 500;

/**
 * Node's HTTP server with every slow-client limit from the configuration, and room kept for new
 * clients: when the open connections reach MAX_CONNECTIONS less a sixteenth, the ones idle longest
 * (no request in progress, none for EVICT_IDLE_AFTER_MS) are closed, so idle keep-alive or silent
 * connections cannot lock everyone else out; past the cap itself Node refuses new ones.
 */
export function createHttpServer(config: Readonly<Config>, handler: http.RequestListener): http.Server {
  const server = http.createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this period (default 30 s, which would let a slow client
      // hold a socket for headersTimeout + 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.headersTimeoutMs / 2))),
    },
    handler,
  );
  server.maxConnections = config.maxConnections;
  server.maxHeadersCount = config.maxHeadersCount;
  keepRoomForNewClients(server, config.maxConnections);
  return server;
}

function keepRoomForNewClients(server: http.Server, cap: number): void {
  const roomAt = Math.max(1, cap - Math.max(1, Math.floor(cap / 16)));
  /** Open sockets → since when they have been idle (undefined: a request is in progress). */
  const sockets = new Map<Socket, number | undefined>();
  let sweptAt = 0;
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, Date.now());
    socket.once('close', () => sockets.delete(socket));
    if (sockets.size < roomAt) return;
    const now = Date.now();
    if (now - sweptAt < 50) return;
    sweptAt = now;
    const idle = [...sockets]
      .filter(
        (entry): entry is [Socket, number] => entry[1] !== undefined && now - entry[1] >= EVICT_IDLE_AFTER_MS,
      )
      .sort((a, b) => a[1] - b[1]);
    const excess = sockets.size - roomAt + Math.max(1, Math.floor(cap / 32));
    for (const [idleSocket] of idle.slice(0, excess)) idleSocket.destroy();
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    if (sockets.has(socket)) sockets.set(socket, undefined);
    res.once('finish', () => {
      if (sockets.has(socket)) sockets.set(socket, Date.now());
    });
  });
}

/** Load the models, build the app and listen. Rejects (with a readable message) when no model is usable. */
export async function startServer(config: Readonly<Config>, logger: pino.Logger): Promise<RunningServer> {
  // Loaded here, not at the top: a cluster primary only forks, and must not pay for the app.
  const { loadRegistry } = await import('./model/registry');
  const { createApp } = await import('./app');
  const { sklearnVersionWarning } = await import('./model/versions');
  const registry = await loadRegistry(config.artifactsDir, {
    defaultModel: config.defaultModel,
    requiredModels: config.requiredModels,
  });
  for (const skipped of (registry as { skipped?: readonly { folder: string; reason: string }[] }).skipped ??
    []) {
    logger.error({ folder: skipped.folder, reason: skipped.reason }, `skipped bundle ${skipped.folder}`);
  }
  for (const model of registry.list()) {
    const status = model.status();
    if (!status.ready)
      logger.error({ model: model.name, reason: status.reason }, `model ${model.name} is not ready`);
    const versionWarning = sklearnVersionWarning(model.card);
    if (versionWarning !== undefined)
      logger.warn({ model: model.name, sklearn: model.card.versions.sklearn }, versionWarning);
  }

  const lifecycle: { draining: boolean } = { draining: false };
  const { createMetrics } = await import('./ops/metrics');
  const metrics = cluster.isWorker ? await useClusterMetrics(createMetrics()) : createMetrics();
  const { Admission, memoryBudget, residentBytesKept } = await import('./http/admission');
  // Under --expose-gc (npm start, the image): the garbage loading left is collected before the
  // budget is sized, and the heap a load grows is given back once idle (below).
  const collect = exposedCollector();
  // Sized once the models are loaded: the budget is what is left of this process's share.
  const residentBytes = residentBytesKept(collect);
  const admission = new Admission({
    budgetBytes: memoryBudget(config, residentBytes),
    maxInFlight: config.maxInFlight,
    maxQueued: config.maxQueued,
    queueTimeoutMs: config.queueTimeoutMs,
  });
  logger.info(
    {
      budgetMb: Math.round(admission.limits.budgetBytes / 2 ** 20),
      residentMb: Math.round(residentBytes / 2 ** 20),
      maxInFlight: config.maxInFlight,
    },
    'request memory budget',
  );
  // SIGHUP, the admin routes and WATCH_ARTIFACTS reload the models (src/ops/reload.ts).
  const { controlModels } = await import('./ops/reload');
  const models = controlModels(registry, logger, {
    artifactsDir: config.artifactsDir,
    watch: config.watchArtifacts,
  });
  // PREDICTION_LOG: opened before listening when it can be; when it cannot (a corrupt file,
  // PostgreSQL down) the server starts all the same and the log keeps retrying in the background.
  let predictionLog: (PredictionLog & { readonly opened: Promise<boolean> }) | undefined;
  if (config.predictionLog) {
    const { describePredictionLog, predictionLogFromConfig } = await import('./monitor/open');
    predictionLog = predictionLogFromConfig(config, logger);
    const opened = (await predictionLog?.opened) ?? false;
    const store = describePredictionLog(config);
    if (opened) logger.info({ store }, 'prediction log open');
    else logger.error({ store }, 'prediction log not open; predictions are served without it, retrying');
  }
  const app = createApp({
    config,
    registry,
    logger,
    metrics,
    lifecycle: lifecycle as Lifecycle,
    admission,
    models: models.control,
    workers: models.workers,
    ...(predictionLog === undefined ? {} : { predictionLog }),
  });
  const server = createHttpServer(config, app);
  // Responses not yet started when shutdown begins get `Connection: close`, so their keep-alive
  // sockets end with the answer instead of waiting for KEEP_ALIVE_TIMEOUT_MS.
  const active = new Set<http.ServerResponse>();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    active.add(res);
    res.once('close', () => active.delete(res));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    models.stop();
    await registry.close();
    await predictionLog?.close();
    throw error;
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Malformed requests, header overflow, timeouts: answer if the socket can still take it.
    logger.debug({ code: error.code }, 'client error');
    if (!socket.writable) return socket.destroy();
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = http.STATUS_CODES[status] ?? 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  const stopCompaction =
    collect === undefined
      ? () => undefined
      : startIdleCompaction({
          collect,
          onCollected: ({ beforeBytes, afterBytes, ms }) =>
            logger.debug(
              {
                heapMbBefore: Math.round(beforeBytes / 2 ** 20),
                heapMbAfter: Math.round(afterBytes / 2 ** 20),
                ms: Math.round(ms),
              },
              'idle heap compaction',
            ),
        });

  const address = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;

  let stopping: Promise<number> | undefined;
  const shutdown = (reason: string): Promise<number> => {
    models.stop();
    stopCompaction();
    stopping ??= drain(
      server,
      registry,
      active,
      lifecycle,
      config.shutdownTimeoutMs,
      logger,
      reason,
      predictionLog,
    );
    return stopping;
  };
  return { server, registry, url, shutdown };
}

async function drain(
  server: http.Server,
  registry: ModelRegistry,
  active: ReadonlySet<http.ServerResponse>,
  lifecycle: { draining: boolean },
  timeoutMs: number,
  logger: pino.Logger,
  reason: string,
  predictionLog?: PredictionLog,
): Promise<number> {
  logger.info({ reason, timeoutMs, inFlight: active.size }, 'shutting down: draining in-flight requests');
  lifecycle.draining = true;
  for (const res of active) {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  }
  let cut = false;
  const started = Date.now();
  const cutTimer = setTimeout(() => {
    cut = true;
    logger.warn({ timeoutMs, inFlight: active.size }, 'shutdown timeout: closing the remaining connections');
    server.closeAllConnections();
  }, timeoutMs);
  // A closing listener resets the connections the kernel has completed but this process has not
  // accepted yet, and their clients may have sent a whole request: keep accepting (every answer
  // now closes its connection) until no connection came for LINGER_QUIET_MS, within a quarter of
  // the timeout. Under steady traffic that is the quarter; new clients are then refused, not reset.
  await linger(server, Math.min(LINGER_MAX_MS, Math.floor(timeoutMs / 4)));
  await new Promise<void>((resolve) => {
    // A connection whose answer went out before shutdown started becomes idle only when it ends;
    // closing idle ones repeatedly releases each as soon as it is done. Node counts a connection as
    // idle only between requests: one still sending headers or a body is left to finish.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(idleSweep);
      clearTimeout(cutTimer);
      resolve();
    });
    server.closeIdleConnections();
  });
  try {
    await registry.close();
  } catch (error) {
    logger.error({ err: error }, 'releasing the models failed');
  }
  if (predictionLog !== undefined) await closePredictionLog(predictionLog, logger);
  logger.info({ cut, ms: Date.now() - started }, 'stopped');
  return cut ? 1 : 0;
}

/** Longest wait at shutdown for the prediction log's last batch (a store that is down must not hold the exit). */
const LOG_CLOSE_MS = 2000;

/** After the requests: their records are queued by then, and the last batch is written here. */
async function closePredictionLog(predictionLog: PredictionLog, logger: pino.Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    predictionLog.close().then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), LOG_CLOSE_MS))),
  ]).catch(() => false);
  clearTimeout(timer);
  const status = predictionLog.status();
  if (!closed)
    logger.warn({ ...status, waitedMs: LOG_CLOSE_MS }, 'prediction log: not closed in time; exiting');
  else logger.info({ written: status.written, dropped: status.dropped }, 'prediction log closed');
}

const LINGER_QUIET_MS = 100;
const LINGER_MAX_MS = 2000;

function linger(server: http.Server, maxMs: number): Promise<void> {
  let last = Date.now();
  const onConnection = () => (last = Date.now());
  server.on('connection', onConnection);
  const deadline = Date.now() + maxMs;
  return new Promise((resolve) => {
    const check = setInterval(() => {
      const now = Date.now();
      if (now - last >= LINGER_QUIET_MS || now >= deadline) {
        clearInterval(check);
        server.off('connection', onConnection);
        resolve();
      }
    }, 20);
  });
}

/** Report a failure to start as one readable block on stderr (not JSON: a person reads it). */
function failStart(message: string): never {
  process.stderr.write(`sift: cannot start: ${message}\n`);
  process.exit(1);
}

export function readyLine(url: string, registry: ModelRegistry, workers?: number): string {
  const models = registry
    .list()
    .map((m) => (m.name === registry.defaultModel ? `${m.name} (default)` : m.name))
    .join(', ');
  return `sift listening on ${url} (models: ${models}${workers === undefined ? '' : `; ${workers} workers`})`;
}

export async function main(
  args: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  // Cluster mode: the first worker's start-up is the critical path, so it is forked before this
  // process loads the configuration schema and the logger (~0.2 s); it checks the same configuration.
  const early = env === process.env ? forkEarlyWorker(env) : undefined;
  const { ConfigError, loadConfig } = await import('./config');
  let config: Readonly<Config>;
  try {
    config = loadConfig(env, args);
  } catch (error) {
    early?.kill();
    failStart(error instanceof ConfigError ? error.message : String(error));
  }
  const { createLogger } = await import('./ops/logging');
  const logger = createLogger(config);

  if (config.webConcurrency > 1 && cluster.isPrimary) {
    const { relayReloads } = await import('./ops/reload');
    relayReloads(logger);
    runPrimary(config, logger, early);
    return;
  }
  early?.kill();

  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting for a clean restart');
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled promise rejection; exiting for a clean restart');
    process.exit(1);
  });

  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    failStart(error instanceof Error ? error.message : String(error));
  }

  const stop = (signal: NodeJS.Signals) => {
    void running.shutdown(signal).then((code) => process.exit(code));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  if (cluster.isWorker) {
    process.send?.({ type: 'sift:ready', line: readyLine(running.url, running.registry) });
  } else {
    logger.info(
      {
        url: running.url,
        models: running.registry.list().map((m) => m.name),
        default: running.registry.defaultModel,
      },
      readyLine(running.url, running.registry),
    );
  }
}

if (require.main === module) void main();
