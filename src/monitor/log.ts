/**
 * The prediction log the request path holds: record() only pushes onto a bounded queue; a writer
 * off the request path opens the store (retrying while it cannot), writes the queue in batches of
 * one transaction each, and prunes by age and rows on a timer. A slow or failing store never
 * reaches a prediction: records beyond the queue, or whose batch keeps failing, are dropped and
 * counted (status()). Errors are logged once when a failing episode starts and once when it ends.
 */
import type { PredictionLog, PredictionLogStatus, PredictionRecord, PredictionStore } from './types';

/** What the log writes its own messages to (a pino logger fits). */
export interface LogSink {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PredictionLogOptions {
  readonly logger: LogSink;
  /** Records per write (one transaction). */
  readonly batchSize?: number;
  /** Longest a record waits before its batch is written, in ms. */
  readonly flushIntervalMs?: number;
  /** Records held while the store is slow or down; beyond it new ones are dropped. */
  readonly maxQueued?: number;
  /** Writes of one batch before it is dropped (a batch the store keeps refusing must not block the rest). */
  readonly maxAttempts?: number;
  /** Backoff after a failure: doubles from the first to the last value. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Retention: rows older than this many ms go, then the oldest beyond maxRows. */
  readonly retentionMs: number;
  readonly maxRows: number;
  readonly pruneIntervalMs?: number;
  /** Clock (tests). */
  readonly now?: () => number;
}

/** The log as the server holds it: `opened` settles after the first attempt to open the store. */
export interface ManagedPredictionLog extends PredictionLog {
  /** True when the first attempt opened the store; false when it failed (retries go on). */
  readonly opened: Promise<boolean>;
  /** Runs retention now (tests; the timer does it otherwise). Resolves with the rows deleted. */
  prune(): Promise<number>;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function createPredictionLog(
  store: PredictionStore,
  options: PredictionLogOptions,
): ManagedPredictionLog {
  const batchSize = options.batchSize ?? 200;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxQueued = options.maxQueued ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryMinMs = options.retryMinMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const { logger } = options;

  const queue: PredictionRecord[] = [];
  let dropped = 0;
  let written = 0;
  let failedWrites = 0;
  let healthy = true;
  let lastError: string | undefined;
  /** Dropped when the current failing episode began (the recovery message says how many it cost). */
  let droppedAtEpisodeStart = 0;
  let isOpen = false;
  let closed = false;
  let attempts = 0;
  let retryDelay = retryMinMs;
  let retryAt = 0;
  let writing: Promise<void> | undefined;
  let soon: NodeJS.Immediate | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let pruneFailing = false;

  const fail = (what: string, error: unknown) => {
    failedWrites++;
    lastError = `${what}: ${message(error)}`;
    if (healthy) {
      healthy = false;
      droppedAtEpisodeStart = dropped;
      logger.error(
        { err: message(error), queued: queue.length },
        `prediction log: ${what} failed; predictions are served, records are kept in memory up to ${maxQueued} and then dropped, retrying`,
      );
    }
    retryAt = now() + retryDelay;
    const delay = retryDelay;
    retryDelay = Math.min(retryMaxMs, retryDelay * 2);
    if (!closed) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => kick(), delay);
      retryTimer.unref();
    }
  };

  const succeed = () => {
    retryDelay = retryMinMs;
    retryAt = 0;
    if (!healthy) {
      healthy = true;
      logger.info(
        { droppedMeanwhile: dropped - droppedAtEpisodeStart, lastError },
        'prediction log: the store works again',
      );
      lastError = undefined;
    }
  };

  const openStore = async (): Promise<boolean> => {
    try {
      await store.open();
      isOpen = true;
      succeed();
      schedulePrune(0);
      return true;
    } catch (error) {
      fail(`opening the ${store.kind} store`, error);
      return false;
    }
  };

  /** One pass: open if needed, then write batches until the queue is empty or a write fails. */
  const writeQueued = async (ignoreBackoff: boolean): Promise<void> => {
    if (!ignoreBackoff && now() < retryAt) return;
    if (!isOpen && !(await openStore())) return;
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      try {
        await store.insertPredictions(batch);
      } catch (error) {
        attempts++;
        if (attempts >= maxAttempts) {
          // Given up on: counted, and the rest of the queue gets its turn.
          queue.splice(0, batch.length);
          dropped += batch.length;
          attempts = 0;
        }
        fail('writing predictions', error);
        return;
      }
      queue.splice(0, batch.length);
      written += batch.length;
      attempts = 0;
      succeed();
    }
  };

  const run = (ignoreBackoff: boolean): Promise<void> => {
    writing ??= writeQueued(ignoreBackoff).finally(() => (writing = undefined));
    return writing;
  };

  function kick(): void {
    if (closed) return;
    void run(false);
  }

  const flushTimer = setInterval(() => {
    if (queue.length > 0 || !isOpen) kick();
  }, flushIntervalMs);
  flushTimer.unref();

  const prune = async (): Promise<number> => {
    if (!isOpen) return 0;
    try {
      const deleted = await store.prune({ olderThan: now() - options.retentionMs, maxRows: options.maxRows });
      if (pruneFailing) logger.info({}, 'prediction log: retention works again');
      pruneFailing = false;
      return deleted;
    } catch (error) {
      if (!pruneFailing)
        logger.warn(
          { err: message(error) },
          'prediction log: retention (prune) failed; retrying on the next round',
        );
      pruneFailing = true;
      return 0;
    }
  };

  function schedulePrune(delay: number): void {
    if (closed) return;
    clearTimeout(pruneTimer);
    pruneTimer = setTimeout(() => {
      // After the writes, not beside them: one connection's work at a time is all SQLite allows.
      void (writing ?? Promise.resolve()).then(prune).finally(() => schedulePrune(pruneIntervalMs));
    }, delay);
    pruneTimer.unref();
  }

  const opened = openStore();

  return {
    store,
    opened,
    prune,
    flushIntervalMs,
    record(record: PredictionRecord): void {
      try {
        if (closed || queue.length >= maxQueued) {
          dropped++;
          return;
        }
        queue.push(record);
        if (queue.length >= batchSize && soon === undefined) {
          soon = setImmediate(() => {
            soon = undefined;
            kick();
          });
        }
      } catch {
        dropped++;
      }
    },
    status(): PredictionLogStatus {
      return {
        queued: queue.length,
        dropped,
        written,
        failedWrites,
        healthy,
        ...(lastError === undefined ? {} : { lastError }),
      };
    },
    async flush(): Promise<void> {
      await opened;
      // Passes that ignore the backoff until the queue is empty or a pass writes nothing (the store
      // refuses: the records stay queued).
      for (;;) {
        await writing;
        const before = queue.length;
        if (before === 0) return;
        await run(true);
        if (queue.length >= before) return;
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      await this.flush();
      closed = true;
      clearInterval(flushTimer);
      clearTimeout(retryTimer);
      clearTimeout(pruneTimer);
      if (soon !== undefined) clearImmediate(soon);
      if (queue.length > 0) {
        logger.warn({ dropped: queue.length, lastError }, 'prediction log: closing with records not written');
        dropped += queue.length;
        queue.length = 0;
      }
      await store
        .close()
        .catch((error: unknown) =>
          logger.warn({ err: message(error) }, 'prediction log: closing the store failed'),
        );
    },
  };
}
