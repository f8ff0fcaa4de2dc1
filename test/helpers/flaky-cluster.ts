/**
 * A cluster whose workers serve, then die 200 ms later, every time: the real runPrimary with a fast
 * restart policy must restart them with growing delays and then give up with exit 1. Used by
 * test/server.test.ts. FLAKY_MAX_FAILURES sets the deaths in a row it tolerates.
 */
import cluster from 'node:cluster';
import pino from 'pino';
import { runPrimary } from '../../src/cluster';
import { defaultConfig } from '../../src/config';

if (cluster.isPrimary) {
  const config = defaultConfig({ webConcurrency: 2 });
  runPrimary(config, pino(), undefined, {
    minDelayMs: 50,
    maxDelayMs: 400,
    stableAfterMs: 60_000,
    maxConsecutiveFailures: Number(process.env.FLAKY_MAX_FAILURES ?? 4),
  });
} else {
  // What a worker sends once it listens (src/server.ts), then a crash after it has served.
  process.send?.({ type: 'sift:ready', line: 'sift listening on http://127.0.0.1:1 (flaky)' });
  setTimeout(() => process.exit(3), 200);
}
