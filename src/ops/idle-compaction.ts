/**
 * Give a heap that grew under load back once the process is idle.
 *
 * V8 shrinks a grown heap late and at a time of its own: its memory reducer waits 8 s after a
 * major GC, and 8 s more each time it finds the process still allocating. After the bench's load
 * that left the one-worker process at 134 MB in some runs and at 163–179 MB in others 15 s later
 * (the same build). Here a collection that returns memory runs once the event loop has been idle
 * for a few intervals in a row after the heap grew, so memory after a load settles within seconds.
 * It costs nothing per request: idleness is read from the event loop's own utilization, growth
 * from V8's heap statistics, once per interval.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export interface IdleCompactionPolicy {
  /** Collect when the heap is at least this much larger than after the last collection. */
  readonly growthBytes: number;
  /** The event loop counts as idle when busy less than this fraction of an interval. */
  readonly idleBelow: number;
  /** Collect after this many idle intervals in a row. */
  readonly idleIntervals: number;
}

export const DEFAULT_IDLE_COMPACTION: IdleCompactionPolicy = {
  growthBytes: 8 * 2 ** 20,
  // A /metrics scrape or a health probe in an interval stays well under 1%; serving traffic does not.
  idleBelow: 0.01,
  // 3 × 2 s: V8 shrinks its young generation (8 MB → 2 MB here) in a collection only when it has
  // seen a low allocation rate over the last ~5 s; 2 s after a load it keeps all of it.
  idleIntervals: 3,
};

/** What one interval looked like: how busy the loop was, how large the heap is now. */
export interface IntervalReading {
  readonly busyFraction: number;
  readonly heapBytes: number;
}

/**
 * The decision, without timers or V8: call `next` once per interval; it says whether to collect
 * now. `collected(heapBytes)` sets the size to grow from. The first baseline is 0, so the garbage
 * left by loading the models is collected once the process is first idle.
 */
export function idleCompactionPolicy(policy: IdleCompactionPolicy = DEFAULT_IDLE_COMPACTION): {
  next(reading: IntervalReading): boolean;
  collected(heapBytes: number): void;
} {
  let baseline = 0;
  let idleInARow = 0;
  return {
    next: (reading) => {
      idleInARow = reading.busyFraction < policy.idleBelow ? idleInARow + 1 : 0;
      return idleInARow >= policy.idleIntervals && reading.heapBytes >= baseline + policy.growthBytes;
    },
    collected: (heapBytes) => {
      baseline = heapBytes;
      idleInARow = 0;
    },
  };
}

/**
 * A collection that returns memory, from `globalThis.gc` (present when node runs with --expose-gc,
 * as npm start and the image do). V8 13 (Node 24) takes `flavor: 'last-resort'`, the collection it
 * runs under memory pressure, which also shrinks the young generation (heap after a load: 12.8 MB
 * with two plain collections, 9.8 MB with it). V8 11 (Node 20) takes an options object for a minor
 * collection (it freed nothing): there, two plain ones, because the first frees the objects but the pages it empties
 * are swept concurrently and given back only by the next (heap 77 → 50 MB with one, → 25 with two).
 */
export function exposedCollector(v8Version: string = process.versions.v8): (() => void) | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return undefined;
  const collect = gc as (options?: object) => unknown;
  if (Number.parseInt(v8Version, 10) >= 13) {
    return () => void collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  }
  return () => {
    collect();
    collect();
  };
}

export interface IdleCompactionOptions {
  readonly collect: () => void;
  readonly intervalMs?: number;
  readonly policy?: IdleCompactionPolicy;
  /** After each collection: the heap before and after, and how long it took. */
  readonly onCollected?: (event: { beforeBytes: number; afterBytes: number; ms: number }) => void;
}

/** Start checking once per interval (the timer does not hold the process open); returns stop. */
export function startIdleCompaction(options: IdleCompactionOptions): () => void {
  const decide = idleCompactionPolicy(options.policy);
  const heapBytes = () => getHeapStatistics().total_heap_size;
  let since = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busyFraction = performance.eventLoopUtilization(now, since).utilization;
    since = now;
    const beforeBytes = heapBytes();
    if (!decide.next({ busyFraction, heapBytes: beforeBytes })) return;
    const started = performance.now();
    options.collect();
    const afterBytes = heapBytes();
    decide.collected(afterBytes);
    // The collection itself was busy time: it must not count against the next interval.
    since = performance.eventLoopUtilization();
    options.onCollected?.({ beforeBytes, afterBytes, ms: performance.now() - started });
  }, options.intervalMs ?? 2000);
  timer.unref();
  return () => clearInterval(timer);
}
