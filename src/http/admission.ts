/**
 * Admission: every request that carries work (a POST with a body) reserves an estimate of the
 * memory it will need, and one of MAX_IN_FLIGHT slots, before its body is read. What does not fit
 * waits in a bounded FIFO queue for at most QUEUE_TIMEOUT_MS; a full queue or a wait that runs out
 * is a 503 with Retry-After, and a request whose estimate exceeds the whole budget is a 413 — so
 * the process refuses work instead of growing into an OOM kill, and the latency of what it accepts
 * stays bounded. Probes and pages (GET) never pass through here and never wait behind predictions.
 *
 * The budget is this process's share of the container's memory limit (cgroup v2 or v1, or
 * MEMORY_LIMIT_BYTES) minus what it uses once its models are loaded.
 */
import os from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { HttpError } from '../errors';
import { cgroupMemoryLimit } from '../ops/cgroup';
import { type BodyKind, bodyKindOf, hasBody } from './body';
import { isOpenPath } from './security';

/**
 * Peak extra resident memory, measured on the default model (scripts/memory-check.js sends the
 * cases): a JSON batch of 1,000 texts near MAX_BODY_BYTES with 50 explanation terms each takes
 * ~41 MB (45 per body byte). A CSV's cost follows its cells and rows more than its bytes (512
 * mostly empty columns: ~280-430 MB for 5 MB; 10,000 rows of one text column: ~60 MB for 3.8 MB),
 * so CSV bodies reserve per byte before they are read and per row and cell once they are
 * (csvWorkBytes, reserveMore).
 */
export const BYTES_PER_BODY_BYTE = { csv: 6, other: 45 } as const;
export const BYTES_PER_CSV_ROW = 3 * 1024;
export const BYTES_PER_CSV_CELL = 80;
/** What any request costs beyond its body: parsers, the response, the request objects. */
export const BASE_REQUEST_BYTES = 256 * 1024;
/** Of the container's memory, what Sift plans to use; the rest is the allocator's and V8's slack. */
const USABLE_FRACTION = 0.85;
const MIN_BUDGET_BYTES = 16 * 1024 * 1024;
// The cgroup's memory limit lives with the other cgroup reads (src/ops/cgroup.ts); re-exported for
// the callers and tests that know it from here.
export { cgroupMemoryLimit };

/** This process's memory budget for request work, from the limit and what it already uses. */
export function memoryBudget(config: Readonly<Config>, residentBytes = process.memoryUsage.rss()): number {
  const limit =
    config.memoryLimitBytes > 0 ? config.memoryLimitBytes : (cgroupMemoryLimit() ?? os.totalmem());
  const share = (limit * USABLE_FRACTION) / Math.max(1, config.webConcurrency);
  return Math.max(MIN_BUDGET_BYTES, Math.floor(share - residentBytes));
}

/**
 * The resident memory this process keeps: with a collector at hand (--expose-gc) the garbage is
 * collected first. Loading models leaves tens of MB of it (parsed JSON, ONNX bytes) that V8 frees
 * only later; measured before, the image's budget in 256 MB came out ~20 MB short and a 10,000-row
 * CSV upload was refused with a 413.
 */
export function residentBytesKept(collect: (() => void) | undefined): number {
  collect?.();
  return process.memoryUsage.rss();
}

/** The memory a request may need, from what its headers say before its body is read. */
export function estimateRequestBytes(req: Request, config: Readonly<Config>): number {
  return estimateBodyBytes(bodyKindOf(req), req, config);
}

/** estimateRequestBytes once the body's kind is known (the direct path knows it is JSON). */
export function estimateBodyBytes(
  kind: BodyKind | undefined,
  req: IncomingMessage,
  config: Readonly<Config>,
): number {
  const csv = kind === 'csv' || kind === 'multipart';
  const declared = Number(req.headers['content-length']);
  // Compressed or chunked bodies can grow to the limit after decompression.
  const encoded = (req.headers['content-encoding'] ?? 'identity') !== 'identity';
  const max = csv ? config.maxUploadBytes : config.maxBodyBytes;
  const bytes = Number.isFinite(declared) && declared >= 0 && !encoded ? Math.min(declared, max) : max;
  return BASE_REQUEST_BYTES + bytes * (csv ? BYTES_PER_BODY_BYTE.csv : BYTES_PER_BODY_BYTE.other);
}

/**
 * The working memory a CSV body will need beyond its bytes, from a scan of the raw bytes for line
 * feeds and every delimiter Sift reads (`,` `;` tab `|`): an upper bound whatever the encoding or the
 * delimiter turns out to be (quoted separators count too). Linear and allocation-free.
 */
export function csvWorkBytes(bytes: Uint8Array): number {
  let rows = 1;
  let cells = 1;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 10) {
      rows++;
      cells++;
    } else if (c === 44 || c === 59 || c === 9 || c === 124) cells++;
  }
  return rows * BYTES_PER_CSV_ROW + cells * BYTES_PER_CSV_CELL;
}

const TICKET = Symbol('admission ticket');

/**
 * Add `bytes` to the request's reservation once its body shows what it needs (no waiting: a
 * request already holds a reservation, and waiting while holding could deadlock): a 413 when it
 * could never fit, a 503 with Retry-After when it does not fit now. No-op without admission.
 */
export function reserveMore(res: Response, bytes: number): void {
  const ticket = (res.locals as Record<symbol, Ticket | undefined>)[TICKET];
  ticket?.grow(bytes);
}

interface Ticket {
  grow(bytes: number): void;
  release(): void;
}

export interface AdmissionLimits {
  readonly budgetBytes: number;
  readonly maxInFlight: number;
  readonly maxQueued: number;
  readonly queueTimeoutMs: number;
}

/** Why a request was refused: its queue was full, its wait ran out, memory did not fit now, or never could. */
export type RejectionReason = 'queue_full' | 'queue_timeout' | 'memory' | 'too_large';

export const REJECTION_REASONS: readonly RejectionReason[] = [
  'queue_full',
  'queue_timeout',
  'memory',
  'too_large',
];

export interface AdmissionStats {
  inFlight: number;
  queued: number;
  reservedBytes: number;
  budgetBytes: number;
  rejected: number;
  rejectedBy: Record<RejectionReason, number>;
}

interface Waiter {
  bytes: number;
  since: number;
  admit: () => void;
  timer: NodeJS.Timeout;
}

/** Seconds a refused client should wait: about how long the queue takes to move. */
const RETRY_AFTER_SECONDS = 1;

export function overloaded(message: string): HttpError {
  return new HttpError(503, 'overloaded', message, {
    expose: true,
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
}

export class Admission {
  private inFlight = 0;
  private reserved = 0;
  private readonly rejectedBy: Record<RejectionReason, number> = {
    queue_full: 0,
    queue_timeout: 0,
    memory: 0,
    too_large: 0,
  };
  private readonly queue: Waiter[] = [];
  private readonly waitListeners: ((seconds: number) => void)[] = [];

  constructor(readonly limits: AdmissionLimits) {}

  /**
   * `listener` gets, in seconds, how long each request waited for admission: 0 when admitted at
   * once, the whole wait when it left the queue (admitted or timed out). For /metrics.
   */
  onWait(listener: (seconds: number) => void): void {
    this.waitListeners.push(listener);
  }

  private waited(since: number): void {
    const seconds = since === 0 ? 0 : (performance.now() - since) / 1000;
    for (const listener of this.waitListeners) listener(seconds);
  }

  private reject(reason: RejectionReason, error: HttpError): HttpError {
    this.rejectedBy[reason]++;
    return error;
  }

  /** Resolves with the release function once admitted; rejects with a 503 or 413 HttpError. */
  acquire(bytes: number): Promise<() => void> {
    return this.admit(bytes).then((ticket) => () => ticket.release());
  }

  private tooLarge(bytes: number): HttpError {
    return this.reject(
      'too_large',
      new HttpError(
        413,
        'payload_too_large',
        `this request may need ~${mb(bytes)} MB of working memory and this server has ${mb(this.limits.budgetBytes)} MB for requests; send a smaller body (fewer rows or columns)`,
      ),
    );
  }

  /**
   * A ticket at once when nothing is queued and the request fits, else undefined (then `admit`
   * queues or refuses it): most requests are admitted this way, without a promise or a turn of the
   * event loop.
   */
  admitNow(bytes: number): Ticket | undefined {
    if (bytes > this.limits.budgetBytes || this.queue.length > 0 || !this.fits(bytes)) return undefined;
    this.waited(0);
    return this.take(bytes);
  }

  /** Like acquire, with a ticket that can grow (reserveMore). */
  admit(bytes: number): Promise<Ticket> {
    const { budgetBytes, maxQueued, queueTimeoutMs } = this.limits;
    if (bytes > budgetBytes) return Promise.reject(this.tooLarge(bytes));
    const now = this.admitNow(bytes);
    if (now !== undefined) return Promise.resolve(now);
    if (this.queue.length >= maxQueued) {
      return Promise.reject(
        this.reject(
          'queue_full',
          overloaded('the server is at capacity and its queue is full; retry shortly'),
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        since: performance.now(),
        admit: () => {
          clearTimeout(waiter.timer);
          this.waited(waiter.since);
          resolve(this.take(bytes));
        },
        timer: setTimeout(() => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          this.waited(waiter.since);
          reject(
            this.reject(
              'queue_timeout',
              overloaded(`the server stayed at capacity for ${queueTimeoutMs} ms; retry shortly`),
            ),
          );
          // Its place may have been what blocked the next one (FIFO).
          this.drain();
        }, queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  stats(): AdmissionStats {
    return {
      inFlight: this.inFlight,
      queued: this.queue.length,
      reservedBytes: this.reserved,
      budgetBytes: this.limits.budgetBytes,
      rejected: REJECTION_REASONS.reduce((n, reason) => n + this.rejectedBy[reason], 0),
      rejectedBy: { ...this.rejectedBy },
    };
  }

  private fits(bytes: number): boolean {
    return this.inFlight < this.limits.maxInFlight && this.reserved + bytes <= this.limits.budgetBytes;
  }

  private take(bytes: number): Ticket {
    this.inFlight++;
    this.reserved += bytes;
    let held = bytes;
    let released = false;
    return {
      grow: (more: number) => {
        if (released || more <= 0) return;
        if (held + more > this.limits.budgetBytes) throw this.tooLarge(held + more);
        if (this.reserved + more > this.limits.budgetBytes) {
          throw this.reject(
            'memory',
            overloaded('the server does not have the memory for this request right now; retry shortly'),
          );
        }
        held += more;
        this.reserved += more;
      },
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.reserved -= held;
        this.drain();
      },
    };
  }

  /** First come, first served: a large request at the head is not overtaken by small ones. */
  private drain(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0].bytes)) {
      (this.queue.shift() as Waiter).admit();
    }
  }
}

const DISCARD_BODY_MS = 1000;

const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(0);

/**
 * Every request with a body (except the open probe and docs paths) is admitted before its body is
 * read, and releases its reservation when its response is finished or its connection closes.
 */
export function admissionMiddleware(admission: Admission, config: Readonly<Config>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!hasBody(req) || isOpenPath(req.path)) return next();
    admitRequest(
      admission,
      req,
      res,
      res.locals as Record<symbol, unknown>,
      estimateRequestBytes(req, config),
      next,
    );
  };
}

/**
 * Admit one request of `bytes` (with or without Express: the direct path calls this too), keeping
 * its ticket in `locals` for reserveMore; `next(error)` once a refusal may be answered.
 */
export function admitRequest(
  admission: Admission,
  req: IncomingMessage,
  res: ServerResponse,
  locals: Record<symbol, unknown>,
  bytes: number,
  next: (error?: unknown) => void,
): void {
  const hold = (ticket: Ticket) => {
    locals[TICKET] = ticket;
    // 'close' follows 'finish' for every answer, and comes alone when the client hung up.
    res.once('close', ticket.release);
    next();
  };
  const now = admission.admitNow(bytes);
  if (now !== undefined) return hold(now);
  admission.admit(bytes).then(hold, (error: unknown) => {
    // The answer goes out once the unread body is discarded (closing on unread bytes would
    // reset the connection before the client reads the 503), or after a second at most. A
    // connection whose body was read stays open: a refused client that reconnects would wait
    // for an accept, which libuv does once per turn of the event loop (libuv#3696).
    let answered = false;
    const answer = (drained: boolean) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (!drained) res.setHeader('Connection', 'close');
      next(error);
    };
    const timer = setTimeout(() => answer(false), DISCARD_BODY_MS);
    req.once('end', () => answer(true));
    req.once('error', () => answer(false));
    req.resume();
  });
}
