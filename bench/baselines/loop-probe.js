/**
 * Preload (`node -r bench/baselines/loop-probe.js dist/server.js`): samples the event-loop delay
 * (perf_hooks.monitorEventLoopDelay), GC pauses (PerformanceObserver 'gc') and the process's CPU
 * time. SIGUSR2 prints the window since the last SIGUSR2 (or the start) as one JSON line on stderr
 * and starts a new one (`npm run bench -- --tail` sends it around each measurement); SIGTERM prints
 * the last window. Tells whether a p99 ≫ p50 comes from stalls in the process (GC, synchronous
 * work) or from queueing behind the request rate.
 */
const { monitorEventLoopDelay, PerformanceObserver, performance } = require('node:perf_hooks');

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const fresh = () => ({ count: 0, totalMs: 0, maxMs: 0, over5ms: 0 });
let gc = fresh();
let since = { cpu: process.cpuUsage(), wall: performance.now() };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    if (entry.duration > 5) gc.over5ms += 1;
  }
}).observe({ entryTypes: ['gc'] });

function report() {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const cpu = process.cpuUsage(since.cpu);
  process.stderr.write(
    `${JSON.stringify({
      loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
      gc: { ...gc, totalMs: Math.round(gc.totalMs * 10) / 10, maxMs: Math.round(gc.maxMs * 10) / 10 },
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      wallMs: Math.round(performance.now() - since.wall),
    })}\n`,
  );
}

process.on('SIGUSR2', () => {
  report();
  loop.reset();
  gc = fresh();
  since = { cpu: process.cpuUsage(), wall: performance.now() };
});
process.prependListener('SIGTERM', report);
