#!/usr/bin/env node
/**
 * Soak: a fixed request rate against a freshly started Sift for a while, reporting per window the
 * errors, latency percentiles, resident memory and event-loop delay; then an overload phase and a
 * fault phase. Not a test: a script whose exit code says whether the bounds held.
 *
 *   npm run build && node scripts/soak.js --duration 300 --rate 200
 *   node scripts/soak.js --warmup 5 --duration 20 --rate 100 --overload 10 --faults 1   # CI's short run
 *
 * Phases:
 * - steady: --duration S at --rate R over --connections N; every request must answer 2xx.
 * - overload (--overload S, 0 skips): --overload-connections (256) as fast as they can; answers must
 *   be 2xx or 503/429 (load shed), never a reset or a timeout, while /health keeps answering within
 *   --max-probe-ms; RSS and event-loop delay are reported after it.
 * - csv (--csv S, 0 skips): --csv-uploads (2) clients upload --csv-rows (10,000) row CSVs back to back
 *   while /health is polled every 20 ms; reports the /health max and p99 (what a large upload
 *   costs everyone else on the event loop) and the uploads' latency. Bounded by --max-probe-ms.
 * - faults (--faults 1, 0 skips): a 2-worker cluster under --rate: one worker is SIGKILLed (the
 *   primary must restart it and the service keep answering), then the primary gets SIGTERM under
 *   load and must exit 0 within SHUTDOWN_TIMEOUT_MS.
 *
 * Options: --duration S (default 60), --window S (default 5), --rate R (default 200), --connections N
 * (default 16), --artifacts DIR (default ./artifacts), --warmup S (default 5: traffic before the
 * start snapshot, so JIT and first-use allocations are not counted as growth), --max-rss-growth-mb M
 * (default 50), --max-error-rate F (default 0), --overload S (default 10), --overload-connections N
 * (default 256), --max-probe-ms M (default 3000, the image HEALTHCHECK's timeout),
 * --max-overload-failures F (share of overload requests reset or over 10 s, default 0.02), --faults 0|1 (default 1), --csv S (default 0), --csv-rows N (default 10000),
 * --csv-uploads N (default 2), --json FILE.
 * The traffic mixes what users send: single JSON rows, JSON batches, the HTML form (result pages
 * rendered) and SageMaker /invocations.
 * Traffic goes only to 127.0.0.1 on ports the script picks; the servers are stopped at the end.
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
    overload: 10,
    overloadConnections: 256,
    maxProbeMs: 3000,
    maxOverloadFailures: 0.02,
    faults: 1,
    csv: 0,
    csvRows: 10000,
    csvUploads: 2,
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
        ...(options.rate > 0 ? { overallRate: options.rate } : {}),
        duration: options.window,
        timeout: 10,
        requests: requests(),
      },
      (error, result) => (error ? reject(error) : resolve({ ...result, errorCodes })),
    );
    const errorCodes = {};
    instance.on('reqError', (error) => {
      const code = error.code ?? error.message;
      errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    });
    instance.on('error', reject);
  });
}

/** /health every `everyMs` while `during` runs: the worst latency and any failure. */
async function probeWhile(base, during, everyMs = 100) {
  let running = true;
  const probes = [];
  const poller = (async () => {
    while (running) {
      const started = Date.now();
      const status = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.status,
        () => 0,
      );
      probes.push({ status, ms: Date.now() - started });
      await sleep(everyMs);
    }
  })();
  try {
    return { result: await during, probes };
  } finally {
    running = false;
    await poller;
  }
}

function statusCounts(result) {
  const counts = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) counts[code] = count;
  return counts;
}

function startServer(options, port, extraEnv = {}) {
  const serverEntry = path.resolve(__dirname, '..', 'dist', 'server.js');
  if (!fs.existsSync(serverEntry)) throw new Error('dist/server.js is missing: run `npm run build` first');
  return spawn(process.execPath, [serverEntry], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ARTIFACTS_DIR: options.artifacts,
      WEB_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => {
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

async function overloadPhase(base, child, options, problems) {
  console.log(
    `overload: ${options.overloadConnections} connections as fast as possible for ${options.overload} s`,
  );
  const { result, probes } = await probeWhile(
    base,
    runWindow(base, {
      ...options,
      rate: 0,
      connections: options.overloadConnections,
      window: options.overload,
    }),
  );
  const counts = statusCounts(result);
  const worstProbe = Math.max(0, ...probes.map((p) => p.ms));
  const row = {
    requests: result.requests.total,
    statuses: counts,
    resetsOrTimeouts: result.errors + result.timeouts,
    errorCodes: result.errorCodes,
    p50: result.latency.p50,
    p99: result.latency.p99,
    probes: probes.length,
    failedProbes: probes.filter((p) => p.status !== 200).length,
    worstProbeMs: worstProbe,
    rssMb: rssMb(child.pid),
    eventLoop: await eventLoopDelayMs(base),
  };
  console.log(
    `  ${row.requests} requests ${JSON.stringify(counts)}, resets/timeouts ${row.resetsOrTimeouts} ${JSON.stringify(result.errorCodes)}, ` +
      `p50 ${row.p50} ms p99 ${row.p99} ms; /health worst ${worstProbe} ms over ${probes.length} probes; ` +
      `rss ${row.rssMb.toFixed(1)} MB, event-loop p99 ${row.eventLoop.p99.toFixed(2)} ms`,
  );
  const bad = Object.entries(counts).filter(([code]) => !/^2/.test(code) && code !== '503' && code !== '429');
  if (bad.length > 0)
    problems.push(`overload: unexpected statuses ${JSON.stringify(Object.fromEntries(bad))}`);
  // autocannon counts each of these twice (an error and a timeout). The ones seen (~1% on a loaded
  // 2-core machine, more with --overload-connections 512) are connections still in the kernel's
  // accept queue after 10 s: libuv accepts one connection per event-loop turn (libuv#3696) and a
  // turn under overload runs every ready connection's request; admission never sees them.
  const failedShare = row.resetsOrTimeouts / 2 / Math.max(1, row.requests);
  if (failedShare > options.maxOverloadFailures)
    problems.push(
      `overload: ${row.resetsOrTimeouts} resets or timeouts (${(failedShare * 100).toFixed(2)}%)`,
    );
  if (row.failedProbes > 0) problems.push(`overload: ${row.failedProbes} /health probes failed`);
  if (worstProbe > options.maxProbeMs)
    problems.push(`overload: /health took ${worstProbe} ms > ${options.maxProbeMs}`);
  return row;
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A CSV upload of `rows` tweets-like rows, as a user's export would be. */
function csvBody(rows) {
  const lines = ['id,text'];
  for (let i = 0; i < rows; i += 1) {
    const text = `${TEXTS[i % TEXTS.length]} row ${i}`;
    lines.push(`${i + 1},"${text.replace(/"/g, '""')}"`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

async function csvPhase(base, options, problems) {
  const body = csvBody(options.csvRows);
  console.log(
    `csv: ${options.csvUploads} clients uploading ${options.csvRows}-row CSVs (${(body.length / 1e6).toFixed(1)} MB) for ${options.csv} s; /health every 20 ms`,
  );
  const deadline = Date.now() + options.csv * 1000;
  const uploads = [];
  const statuses = {};
  const client = async () => {
    while (Date.now() < deadline) {
      const started = Date.now();
      const status = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', accept: 'text/csv' },
        body,
        signal: AbortSignal.timeout(60_000),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200) uploads.push(Date.now() - started);
    }
  };
  const { probes } = await probeWhile(
    base,
    Promise.all(Array.from({ length: options.csvUploads }, client)),
    20,
  );
  const ms = probes.map((p) => p.ms);
  const row = {
    uploads: uploads.length,
    statuses,
    uploadP50: percentile(uploads, 50),
    uploadMax: Math.max(0, ...uploads),
    probes: probes.length,
    failedProbes: probes.filter((p) => p.status !== 200).length,
    healthP50: percentile(ms, 50),
    healthP99: percentile(ms, 99),
    healthMax: Math.max(0, ...ms),
  };
  console.log(
    `  ${row.uploads} uploads ${JSON.stringify(statuses)}, p50 ${row.uploadP50} ms max ${row.uploadMax} ms; ` +
      `/health over ${row.probes} probes: p50 ${row.healthP50} ms p99 ${row.healthP99} ms max ${row.healthMax} ms`,
  );
  if (row.uploads === 0) problems.push('csv: no upload succeeded');
  if (row.failedProbes > 0) problems.push(`csv: ${row.failedProbes} /health probes failed`);
  if (row.healthMax > options.maxProbeMs)
    problems.push(`csv: /health took ${row.healthMax} ms > ${options.maxProbeMs}`);
  return row;
}

function workerPids(pid) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function faultPhase(options, problems) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startServer(options, port, { WEB_CONCURRENCY: '2' });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const report = {};
  try {
    await waitReady(base, child, 30000);
    while (workerPids(child.pid).length < 2) await sleep(100);
    await sleep(1000);
    console.log(`faults: 2 workers at ${options.rate} req/s; SIGKILL one worker, then SIGTERM the primary`);
    const before = workerPids(child.pid);
    const load = runWindow(base, { ...options, window: 6 });
    await sleep(1500);
    process.kill(before[0], 'SIGKILL');
    const killedAt = Date.now();
    let restartedMs = -1;
    while (Date.now() - killedAt < 15000) {
      const now = workerPids(child.pid);
      if (now.length === 2 && !now.includes(before[0])) {
        restartedMs = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    const killWindow = await load;
    const after = await runWindow(base, { ...options, window: 3 });
    report.workerKill = {
      requests: killWindow.requests.total,
      statuses: statusCounts(killWindow),
      resetsOrTimeouts: killWindow.errors + killWindow.timeouts,
      p99: killWindow.latency.p99,
      restartedMs,
      afterRestart: { requests: after.requests.total, failed: after.errors + after.timeouts + after.non2xx },
    };
    console.log(
      `  worker kill: ${report.workerKill.requests} requests ${JSON.stringify(report.workerKill.statuses)}, ` +
        `resets/timeouts ${report.workerKill.resetsOrTimeouts} (connections of the killed worker and their retries), ` +
        `replaced in ${restartedMs} ms; the 3 s after: ${after.requests.total} requests, ${report.workerKill.afterRestart.failed} failed`,
    );
    if (restartedMs < 0) problems.push('faults: the killed worker was not replaced within 15 s');
    if (report.workerKill.afterRestart.failed > 0)
      problems.push(
        `faults: ${report.workerKill.afterRestart.failed} failures after the worker was replaced`,
      );
    // Not bounded: requests in flight on the killed worker are lost with it, and autocannon counts
    // every immediate retry of those connections; the bound is that the service answers after.

    const stopLoad = runWindow(base, { ...options, window: 3 });
    await sleep(1000);
    const termAt = Date.now();
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    const stopMs = Date.now() - termAt;
    const stopWindow = await stopLoad;
    report.sigterm = { code, signal, stopMs, statuses: statusCounts(stopWindow) };
    console.log(
      `  SIGTERM under load: exit ${code ?? signal} in ${stopMs} ms; answers ${JSON.stringify(report.sigterm.statuses)}`,
    );
    if (code !== 0) problems.push(`faults: the primary exited ${code ?? signal} on SIGTERM`);
    if (stopMs > 8000 + 2000) problems.push(`faults: SIGTERM took ${stopMs} ms`);
  } finally {
    await stopServer(child);
  }
  return report;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startServer(options, port);
  try {
    await waitReady(base, child, 15000);
    if (options.warmup > 0) await runWindow(base, { ...options, window: options.warmup });
    const start = { rssMb: rssMb(child.pid), eventLoop: await eventLoopDelayMs(base) };
    const windows = [];
    const windowsCount = Math.max(1, Math.round(options.duration / options.window));
    console.log(`soak: ${options.rate} req/s for ${windowsCount * options.window} s against ${base}`);
    console.log('window  requests  errors  non2xx  p50 ms  p99 ms  rss MB  loop p99 ms');
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
        eventLoopP99: (await eventLoopDelayMs(base)).p99,
      };
      windows.push(row);
      console.log(
        [
          row.window,
          row.requests,
          row.errors,
          row.non2xx,
          row.p50,
          row.p99,
          row.rssMb.toFixed(1),
          row.eventLoopP99.toFixed(2),
        ]
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
    const problems = [];
    if (options.csv > 0) summary.csv = await csvPhase(base, options, problems);
    if (options.overload > 0) summary.overload = await overloadPhase(base, child, options, problems);
    await stopServer(child);
    if (options.faults > 0) summary.faults = await faultPhase(options, problems);
    summary.problems = problems;
    if (options.json) fs.writeFileSync(options.json, JSON.stringify(summary, null, 2));
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
    await stopServer(child);
  }
}

main().catch((error) => {
  console.error(`soak: ${error.message}`);
  process.exit(1);
});
