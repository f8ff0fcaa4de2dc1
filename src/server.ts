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
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import type { Lifecycle } from './app';
import { forkEarlyWorker, runPrimary, useClusterMetrics } from './cluster';
import type { Config } from './config';
import type { ModelRegistry } from './model/types';

export interface RunningServer {
  readonly server: http.Server;
  readonly registry: ModelRegistry;
  /** The URL the server listens on (the actual port when PORT is 0). */
  readonly url: string;
  /** Drain and stop; resolves with the exit code (0 drained in time, 1 connections were cut). */
  shutdown(reason: string): Promise<number>;
}

/** Node's HTTP server with every slow-client limit from the configuration. */
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
  return server;
}

/** Load the models, build the app and listen. Rejects (with a readable message) when no model is usable. */
export async function startServer(config: Readonly<Config>, logger: pino.Logger): Promise<RunningServer> {
  // Loaded here, not at the top: a cluster primary only forks, and must not pay for the app.
  const { loadRegistry } = await import('./model/registry');
  const { createApp } = await import('./app');
  const { sklearnVersionWarning } = await import('./model/versions');
  const registry = await loadRegistry(config.artifactsDir, { defaultModel: config.defaultModel });
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
  const app = createApp({ config, registry, logger, metrics, lifecycle: lifecycle as Lifecycle });
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
    await registry.close();
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

  const address = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;

  let stopping: Promise<number> | undefined;
  const shutdown = (reason: string): Promise<number> => {
    stopping ??= drain(server, registry, active, lifecycle, config.shutdownTimeoutMs, logger, reason);
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
): Promise<number> {
  logger.info({ reason, timeoutMs, inFlight: active.size }, 'shutting down: draining in-flight requests');
  lifecycle.draining = true;
  for (const res of active) {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  }
  let cut = false;
  await new Promise<void>((resolve) => {
    // A connection whose answer went out before shutdown started becomes idle only when it ends;
    // closing idle ones repeatedly releases each as soon as it is done.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    const timer = setTimeout(() => {
      cut = true;
      logger.warn(
        { timeoutMs, inFlight: active.size },
        'shutdown timeout: closing the remaining connections',
      );
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearInterval(idleSweep);
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
  try {
    await registry.close();
  } catch (error) {
    logger.error({ err: error }, 'releasing the models failed');
  }
  logger.info({ cut }, 'stopped');
  return cut ? 1 : 0;
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
