/**
 * PREDICTION_LOG=on: the store the configuration names (PostgreSQL with DATABASE_URL, else the
 * SQLite file at PREDICTION_LOG_PATH) behind the batched log. Nothing here waits for the database:
 * the log opens it in the background and keeps retrying while it cannot (src/monitor/log.ts).
 */
import path from 'node:path';
import type { Config } from '../config';
import { type LogSink, type ManagedPredictionLog, createPredictionLog } from './log';
import { createStore } from './store-thread';

const DAY_MS = 24 * 3_600_000;

export function predictionLogFromConfig(
  config: Readonly<Config>,
  logger: LogSink,
): ManagedPredictionLog | undefined {
  if (!config.predictionLog) return undefined;
  // On a worker thread where the process can start one (compiled code, or sources under the
  // TypeScript hook): the writes then never hold the event loop (src/monitor/store-thread.ts).
  const store = createStore(
    config.databaseUrl !== ''
      ? { kind: 'postgres', options: { connectionString: config.databaseUrl } }
      : { kind: 'sqlite', options: { path: config.predictionLogPath } },
    {
      onIdleError: (message) =>
        logger.warn({ err: message }, 'prediction log: PostgreSQL dropped an idle connection'),
    },
  );
  return createPredictionLog(store, {
    logger,
    retentionMs: config.predictionLogRetentionDays * DAY_MS,
    maxRows: config.predictionLogMaxRows,
  });
}

/** Where the log is, for the start-up message (the URL without its password). */
export function describePredictionLog(config: Readonly<Config>): string {
  if (config.databaseUrl === '') return `sqlite:${path.resolve(config.predictionLogPath)}`;
  try {
    const url = new URL(config.databaseUrl);
    url.password = '';
    return url.toString();
  } catch {
    return 'postgres';
  }
}
