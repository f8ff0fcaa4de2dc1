#!/usr/bin/env node
/**
 * Soak: a fixed request rate against a freshly started Sift for a while, reporting per window the
 * error rate and latency percentiles, and at start and end the server's resident memory and
 * event-loop delay. Not a test: a script whose exit code says whether the bounds held.
 *
 *   npm run build && node scripts/soak.js --duration 300 --rate 200
 *   node scripts/soak.js --duration 20 --rate 100 --max-rss-growth-mb 40   # CI's short run
 *
 * Options: --duration S (total seconds, default 60), --window S (default 5), --rate R (requests/s,
 * default 200), --connections N (default 16), --artifacts DIR (default ./artifacts),
 * --warmup S (default 5: traffic before the start snapshot, so JIT and first-use allocations are
 * not counted as growth), --max-rss-growth-mb M (default 50), --max-error-rate F (default 0),
 * --json FILE.
 * The traffic mixes what users send: single JSON rows, JSON batches, the HTML form (result pages
 * rendered) and SageMaker /invocations; every request must answer 2xx.
 * Traffic goes only to 127.0.0.1 on a port the script picks; the server is stopped at the end.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const autocannon = require('autocannon');

function parseArgs(argv) {
  const options = {
    duration: 60,
    window: 5,
    rate: 200,
    connections: 16,
    warmup: 5,
    artifacts: path.resolve(__dirname, '..', 'artifacts'),
    maxRssGrowthMb: 50,
    maxErrorRate: 0,
    json: '',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const value = argv[i + 1];
    if (!(key in options) || value === undefined) throw new Error(`unknown or incomplete option ${argv[i]}`);
    options[key] = typeof options[key] === 'number' ? Number(value) : value;
    if (typeof options[key] === 'number' && !Number.isFinite(options[key]))
      throw new Error(`${argv[i]} needs a number`);
  }
  return options;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitReady(base, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${base}/ready`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server not ready within ${timeoutMs} ms`);
}

function rssMb(pid) {
  let status;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    throw new Error(`the server (pid ${pid}) is gone: it exited or crashed during the soak`);
  }
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

async function eventLoopDelayMs(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 : NaN;
  };
  return { p50: read('nodejs_eventloop_lag_p50_seconds'), p99: read('nodejs_eventloop_lag_p99_seconds') };
}

const TEXTS = [
  'Forest fire near La Ronge Sask. Canada, residents asked to shelter in place',
  'I love this new album, the second track is on fire',
  'Flood warning for the river valley until tomorrow morning, roads closed',
  'My phone battery died again during the meeting lol',
  'Earthquake of magnitude 6.1 reported off the coast, no tsunami warning issued',
  'Watching the storm roll in from the porch with a cup of tea',
];

function requests() {
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  const single = TEXTS.map((text, i) => ({
    method: 'POST',
    path: '/predict',
    headers: json,
    body: JSON.stringify({ text: `${text} #${i}` }),
  }));
  const batch = {
    method: 'POST',
    path: '/predict',
    headers: json,
    body: JSON.stringify({ instances: TEXTS.map((text, i) => `${text} (batch ${i})`) }),
  };
  const form = {
    method: 'POST',
    path: '/predict',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ text: TEXTS[0] }).toString(),
  };
  const invocation = {
    method: 'POST',
    path: '/invocations',
    headers: json,
    body: JSON.stringify({ instances: [TEXTS[2], TEXTS[3]] }),
  };
  return [...single, batch, form, invocation];
}

function runWindow(base, options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: base,
        connections: options.connections,
        overallRate: options.rate,
        duration: options.window,
        requests: requests(),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('error', reject);
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serverEntry = path.resolve(__dirname, '..', 'dist', 'server.js');
  if (!fs.existsSync(serverEntry)) throw new Error('dist/server.js is missing: run `npm run build` first');
  const child = spawn(process.execPath, [serverEntry], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ARTIFACTS_DIR: options.artifacts,
      WEB_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(base, child, 15000);
    if (options.warmup > 0) await runWindow(base, { ...options, window: options.warmup });
    const start = { rssMb: rssMb(child.pid), eventLoop: await eventLoopDelayMs(base) };
    const windows = [];
    const windowsCount = Math.max(1, Math.round(options.duration / options.window));
    console.log(`soak: ${options.rate} req/s for ${windowsCount * options.window} s against ${base}`);
    console.log('window  requests  errors  non2xx  p50 ms  p99 ms  rss MB');
    for (let i = 0; i < windowsCount; i += 1) {
      const result = await runWindow(base, options);
      const row = {
        window: i + 1,
        requests: result.requests.total,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        p50: result.latency.p50,
        p99: result.latency.p99,
        rssMb: rssMb(child.pid),
      };
      windows.push(row);
      console.log(
        [row.window, row.requests, row.errors, row.non2xx, row.p50, row.p99, row.rssMb.toFixed(1)]
          .map((v, k) => String(v).padStart(k === 0 ? 6 : 8))
          .join(' '),
      );
    }
    const end = { rssMb: rssMb(child.pid), eventLoop: await eventLoopDelayMs(base) };
    const total = windows.reduce((sum, w) => sum + w.requests, 0);
    const failed = windows.reduce((sum, w) => sum + w.errors + w.non2xx, 0);
    const summary = {
      options,
      start,
      end,
      windows,
      totalRequests: total,
      errorRate: total ? failed / total : 1,
      rssGrowthMb: end.rssMb - start.rssMb,
    };
    console.log(
      `start: rss ${start.rssMb.toFixed(1)} MB, event-loop p99 ${start.eventLoop.p99.toFixed(2)} ms | ` +
        `end: rss ${end.rssMb.toFixed(1)} MB, event-loop p99 ${end.eventLoop.p99.toFixed(2)} ms`,
    );
    console.log(
      `requests ${total}, error rate ${(summary.errorRate * 100).toFixed(3)}%, rss growth ${summary.rssGrowthMb.toFixed(1)} MB`,
    );
    if (options.json) fs.writeFileSync(options.json, JSON.stringify(summary, null, 2));
    const problems = [];
    if (total === 0) problems.push('no request completed');
    if (summary.errorRate > options.maxErrorRate)
      problems.push(`error rate ${summary.errorRate} > ${options.maxErrorRate}`);
    if (summary.rssGrowthMb > options.maxRssGrowthMb) {
      problems.push(`rss grew ${summary.rssGrowthMb.toFixed(1)} MB > ${options.maxRssGrowthMb} MB`);
    }
    if (problems.length) {
      console.error(`soak FAILED: ${problems.join('; ')}`);
      process.exitCode = 1;
    } else {
      console.log('soak passed');
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 10000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

main().catch((error) => {
  console.error(`soak: ${error.message}`);
  process.exit(1);
});
