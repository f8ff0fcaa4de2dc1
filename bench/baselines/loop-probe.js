/**
 * Preload (`node -r bench/baselines/loop-probe.js dist/server.js`): samples the event-loop delay
 * (perf_hooks.monitorEventLoopDelay) and GC pauses (PerformanceObserver 'gc') while the process
 * runs (SIGUSR2 starts over: send it after the warm-up), and prints one JSON line to stderr on SIGTERM, to tell whether a p99 ≫ p50 comes from
 * stalls in the process (GC, synchronous work) or from queueing behind the request rate.
 */
const { monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let gc = { count: 0, totalMs: 0, maxMs: 0, over5ms: 0 };
process.on('SIGUSR2', () => {
  loop.reset();
  gc = { count: 0, totalMs: 0, maxMs: 0, over5ms: 0 };
});
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    if (entry.duration > 5) gc.over5ms += 1;
  }
}).observe({ entryTypes: ['gc'] });

process.prependListener('SIGTERM', () => {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  process.stderr.write(
    `${JSON.stringify({
      loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
      gc: { ...gc, totalMs: Math.round(gc.totalMs) },
    })}\n`,
  );
});
