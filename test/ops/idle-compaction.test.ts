import {
  DEFAULT_IDLE_COMPACTION,
  exposedCollector,
  idleCompactionPolicy,
  startIdleCompaction,
} from '../../src/ops/idle-compaction';
import { v8Gc } from '../helpers/gc';

const MB = 2 ** 20;
const idle = (heapMb: number) => ({ busyFraction: 0.001, heapBytes: heapMb * MB });
const busy = (heapMb: number) => ({ busyFraction: 0.4, heapBytes: heapMb * MB });

describe('idleCompactionPolicy', () => {
  it('collects after three idle intervals in a row once the heap grew, not before', () => {
    const policy = idleCompactionPolicy();
    expect([idle(60), idle(60)].map((r) => policy.next(r))).toEqual([false, false]);
    expect(policy.next(idle(60))).toBe(true);
  });

  it('a busy interval starts the count again', () => {
    const policy = idleCompactionPolicy();
    expect([idle(60), idle(60), busy(60), idle(60), idle(60)].map((r) => policy.next(r))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(policy.next(idle(60))).toBe(true);
  });

  it('grows from the heap left by the last collection: no repeat until it grew again', () => {
    const policy = idleCompactionPolicy();
    policy.collected(30 * MB);
    const quiet = Array.from({ length: 6 }, () => policy.next(idle(30 + 7)));
    expect(quiet).toEqual([false, false, false, false, false, false]);
    expect(policy.next(idle(30 + 8))).toBe(true);
    policy.collected(31 * MB);
    expect([idle(45), idle(45)].map((r) => policy.next(r))).toEqual([false, false]);
    expect(policy.next(idle(45))).toBe(true);
  });

  it('the default counts 1% of an interval as idle', () => {
    const policy = idleCompactionPolicy({ ...DEFAULT_IDLE_COMPACTION, idleIntervals: 1 });
    expect(policy.next({ busyFraction: 0.011, heapBytes: 100 * MB })).toBe(false);
    expect(policy.next({ busyFraction: 0.009, heapBytes: 100 * MB })).toBe(true);
  });
});

describe('exposedCollector', () => {
  const holder = globalThis as { gc?: unknown };
  const original = holder.gc;
  afterEach(() => {
    if (original === undefined) delete holder.gc;
    else holder.gc = original;
  });

  it('is absent without --expose-gc', () => {
    delete holder.gc;
    expect(exposedCollector()).toBeUndefined();
  });

  it('asks V8 13 (Node 24) for its memory-pressure collection, V8 11 (Node 20) for two plain ones', () => {
    const calls: unknown[][] = [];
    holder.gc = (...args: unknown[]) => calls.push(args);
    exposedCollector('13.6.233.17-node.63')?.();
    expect(calls).toEqual([[{ type: 'major', execution: 'sync', flavor: 'last-resort' }]]);
    calls.length = 0;
    exposedCollector('11.3.244.8-node.38')?.();
    expect(calls).toEqual([[], []]);
  });

  it("with V8's own gc: the collection gives back a heap that grew", async () => {
    holder.gc = v8Gc();
    const collect = exposedCollector();
    expect(collect).toBeDefined();
    // Garbage the moment it is made: ~30 MB of heap for the collection to give back.
    expect(Array.from({ length: 300_000 }, (_, i) => ({ i, s: `row ${i}` })).length).toBe(300_000);
    const events: { beforeBytes: number; afterBytes: number }[] = [];
    const stop = startIdleCompaction({
      collect: collect!,
      intervalMs: 30,
      policy: { ...DEFAULT_IDLE_COMPACTION, growthBytes: 1, idleIntervals: 1, idleBelow: 1.01 },
      onCollected: (event) => events.push(event),
    });
    try {
      for (let waited = 0; events.length === 0 && waited < 3000; waited += 30) {
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    } finally {
      stop();
    }
    expect(events.length).toBeGreaterThan(0);
    expect(events[0].afterBytes).toBeLessThan(events[0].beforeBytes);
  });
});
