#!/usr/bin/env node
/**
 * The documented maxima, sent at once to a running Sift (meant for one under a memory limit, e.g.
 * `docker run -m 256m`): 2 CSV uploads of MAX_UPLOAD_BYTES with 512 mostly empty columns, 2 of
 * MAX_CSV_ROWS long-text rows, 8 JSON batches of MAX_BATCH rows near MAX_BODY_BYTES with
 * explanations (top_terms=50), while /health is polled. Every answer must be 200, 413 (needs more
 * memory than the server has) or 503 with Retry-After (not now), /health must keep answering, and
 * the server must still answer afterwards: refused, never killed. Synthetic text only.
 *
 *   node scripts/memory-check.js --url http://127.0.0.1:3000 [--json FILE]
 * Exit code 0 when the bounds held. Only loopback URLs are accepted.
 */
'use strict';
const fs = require('node:fs');

function parseArgs(argv) {
  const options = { url: '', json: '', maxHealthMs: 3000 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in options) || argv[i + 1] === undefined) throw new Error(`unknown option ${argv[i]}`);
    options[key] = typeof options[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  const host = new URL(options.url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error('--url must be a loopback URL');
  return options;
}

const WORDS = ['flood', 'fire', 'storm', 'lovely', 'day', 'river', 'smoke', 'music', 'warning', 'city'];
const sentence = (i, words) =>
  Array.from(
    { length: words },
    (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length] + (k % 5 === 0 ? i : ''),
  ).join(' ');

/** A CSV of `header` and lines from `lineFor(i)`, as many as fit in maxBytes and maxRows. */
function csvUpTo(header, maxBytes, maxRows, lineFor) {
  const lines = [header];
  let size = header.length + 2;
  for (let i = 0; i < maxRows; i++) {
    const line = lineFor(i);
    if (size + line.length + 2 > maxBytes) break;
    lines.push(line);
    size += line.length + 2;
  }
  return lines.join('\r\n') + '\r\n';
}

function wideCsv(maxBytes, maxRows) {
  const header = ['text', 'keyword', 'location', ...Array.from({ length: 509 }, (_, i) => `c${i}`)].join(',');
  const tail = ','.repeat(511);
  return csvUpTo(header, maxBytes, maxRows, (i) => sentence(i, 6) + tail);
}

function longCsv(maxBytes, maxRows) {
  const per = Math.floor(maxBytes / maxRows) - 12;
  return csvUpTo('id,text', maxBytes, maxRows, (i) => `${i},"${sentence(i, 80).slice(0, per)}"`);
}

function batchJson(maxBytes, maxBatch) {
  const per = Math.floor(maxBytes / maxBatch) - 8;
  const instances = Array.from({ length: maxBatch }, (_, i) => sentence(i, 200).slice(0, per));
  return JSON.stringify({ instances, explain: true, top_terms: 50 });
}

function upload(base, csv) {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'maxima.csv');
  return fetch(`${base}/predict`, { method: 'POST', body: form, headers: { Accept: 'text/csv' } });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const base = options.url.replace(/\/$/, '');
  // The documented defaults (README: MAX_UPLOAD_BYTES, MAX_CSV_ROWS, MAX_BODY_BYTES, MAX_BATCH).
  const maxUpload = 5 * 1024 * 1024;
  const maxRows = 10_000;
  const maxBody = 1024 * 1024;
  const maxBatch = 1000;
  const wide = wideCsv(maxUpload - 1024, maxRows);
  const long = longCsv(maxUpload - 1024, maxRows);
  const batch = batchJson(maxBody - 1024, maxBatch);

  let polling = true;
  const health = [];
  const poller = (async () => {
    while (polling) {
      const started = Date.now();
      const status = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.status,
        () => 0,
      );
      health.push({ status, ms: Date.now() - started });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const started = Date.now();
  const jobs = [
    ...[wide, wide].map((csv) => ['wide CSV', () => upload(base, csv)]),
    ...[long, long].map((csv) => ['10k-row CSV', () => upload(base, csv)]),
    ...Array.from({ length: 8 }, () => [
      'JSON batch + explain',
      () =>
        fetch(`${base}/predict`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: batch,
        }),
    ]),
  ];
  const results = await Promise.all(
    jobs.map(async ([name, send]) => {
      const t = Date.now();
      try {
        const response = await send();
        const body = await response.text();
        return {
          name,
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          ms: Date.now() - t,
          bytes: body.length,
        };
      } catch (error) {
        return { name, status: 0, error: String(error.cause?.code ?? error.message), ms: Date.now() - t };
      }
    }),
  );
  polling = false;
  await poller;
  const after = await fetch(`${base}/health`).then(
    (r) => r.status,
    () => 0,
  );

  const problems = [];
  for (const r of results) {
    if (![200, 413, 503].includes(r.status)) problems.push(`${r.name}: status ${r.status} ${r.error ?? ''}`);
    if (r.status === 503 && r.retryAfter === null) problems.push(`${r.name}: 503 without Retry-After`);
  }
  if (!results.some((r) => r.status === 200)) problems.push('no request was answered 200');
  const worstHealth = Math.max(0, ...health.map((h) => h.ms));
  if (health.some((h) => h.status !== 200)) problems.push('a /health probe failed during the load');
  if (worstHealth > options.maxHealthMs)
    problems.push(`/health took ${worstHealth} ms (> ${options.maxHealthMs})`);
  if (after !== 200) problems.push(`the server did not answer afterwards (/health: ${after})`);

  const byName = {};
  for (const r of results) {
    byName[r.name] ??= {};
    byName[r.name][r.status] = (byName[r.name][r.status] ?? 0) + 1;
  }
  const report = {
    seconds: (Date.now() - started) / 1000,
    sizes: { wideCsv: wide.length, longCsv: long.length, batch: batch.length },
    statuses: byName,
    health: { probes: health.length, worstMs: worstHealth },
    problems,
  };
  console.log(JSON.stringify(report, null, 2));
  if (options.json) fs.writeFileSync(options.json, JSON.stringify({ report, results }, null, 2));
  process.exit(problems.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
