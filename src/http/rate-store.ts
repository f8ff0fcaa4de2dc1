/**
 * A rate-limit store shared by every cluster worker: the primary keeps the counters and each worker
 * asks it over IPC, so RATE_LIMIT_PER_MINUTE means that many requests per client whichever worker
 * the kernel hands a connection to (with a per-worker store, N workers let N times as many through).
 * Single-process mode keeps express-rate-limit's own memory store.
 */
import type { Worker } from 'node:cluster';
import { MemoryStore, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';

interface RateRequest {
  type: 'sift:rate';
  id: number;
  op: 'increment' | 'decrement' | 'reset';
  key: string;
  windowMs: number;
}

interface RateReply {
  type: 'sift:rate-reply';
  id: number;
  totalHits: number;
  resetMs: number;
}

const isRate = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

/** How long a worker waits for the primary before counting on its own (the primary is busy or gone). */
const PRIMARY_TIMEOUT_MS = 500;

/** Fixed windows per key, as express-rate-limit's MemoryStore counts them. */
export class RateCounters {
  private readonly windows = new Map<string, { hits: number; resetAt: number }>();
  private sweepAt = 0;

  apply(op: RateRequest['op'], key: string, windowMs: number, now = Date.now()): ClientRateLimitInfo {
    if (now >= this.sweepAt) this.sweep(now, windowMs);
    let entry = this.windows.get(key);
    if (entry === undefined || entry.resetAt <= now) {
      entry = { hits: 0, resetAt: now + windowMs };
      this.windows.set(key, entry);
    }
    if (op === 'increment') entry.hits++;
    else if (op === 'decrement') entry.hits = Math.max(0, entry.hits - 1);
    else entry.hits = 0;
    return { totalHits: entry.hits, resetTime: new Date(entry.resetAt) };
  }

  get size(): number {
    return this.windows.size;
  }

  /** Expired windows go, so a stream of one-off client addresses cannot grow the map without end. */
  private sweep(now: number, windowMs: number): void {
    for (const [key, entry] of this.windows) if (entry.resetAt <= now) this.windows.delete(key);
    this.sweepAt = now + windowMs;
  }
}

/** In the primary: answer the workers' rate-limit questions from one set of counters. */
export function serveRateLimits(
  onMessage: (listener: (worker: Worker, message: unknown) => void) => void,
): RateCounters {
  const counters = new RateCounters();
  onMessage((worker, message) => {
    if (!isRate<RateRequest>(message, 'sift:rate')) return;
    const info = counters.apply(message.op, message.key, message.windowMs);
    const reply: RateReply = {
      type: 'sift:rate-reply',
      id: message.id,
      totalHits: info.totalHits,
      resetMs: info.resetTime?.getTime() ?? 0,
    };
    if (worker.isConnected()) worker.send(reply);
  });
  return counters;
}

/** Request ids unique across every store of this worker, since each store hears every reply. */
let nextRequestId = 0;

/** In a worker: an express-rate-limit Store that counts in the primary. */
export class ClusterRateStore implements Store {
  private windowMs = 60_000;
  private readonly pending = new Map<number, (info: ClientRateLimitInfo | undefined) => void>();
  /** Counts when the primary does not answer in time: a limit that still holds, per worker. */
  private readonly local = new MemoryStore();
  private listening = false;

  /** `prefix` keeps the counters of different limits (API, form) apart in the primary. */
  constructor(readonly prefix: string) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
    this.local.init(options);
    if (this.listening) return;
    this.listening = true;
    process.on('message', (message: unknown) => {
      if (!isRate<RateReply>(message, 'sift:rate-reply')) return;
      const resolve = this.pending.get(message.id);
      if (resolve === undefined) return;
      this.pending.delete(message.id);
      resolve({ totalHits: message.totalHits, resetTime: new Date(message.resetMs) });
    });
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    return (await this.ask('increment', key)) ?? this.local.increment(key);
  }

  async decrement(key: string): Promise<void> {
    if ((await this.ask('decrement', key)) === undefined) await this.local.decrement(key);
  }

  async resetKey(key: string): Promise<void> {
    if ((await this.ask('reset', key)) === undefined) await this.local.resetKey(key);
  }

  shutdown(): void {
    this.local.shutdown();
  }

  private ask(op: RateRequest['op'], key: string): Promise<ClientRateLimitInfo | undefined> {
    if (process.send === undefined || !process.connected) return Promise.resolve(undefined);
    const id = nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, PRIMARY_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, (info) => {
        clearTimeout(timer);
        resolve(info);
      });
      const request: RateRequest = {
        type: 'sift:rate',
        id,
        op,
        key: `${this.prefix}:${key}`,
        windowMs: this.windowMs,
      };
      process.send?.(request);
    });
  }
}
