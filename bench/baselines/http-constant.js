/**
 * The floor for any Node server: raw node:http (no framework) reading the same JSON request,
 * parsing it and answering a constant JSON shaped like Sift's answer. One process.
 *
 *   PORT=3002 node bench/baselines/http-constant.js
 *
 * BUSY_US=N spins N µs of CPU before each prediction answer: raw node:http doing a model's worth of
 * work, to show what the kernel adds per answer at that lower request rate (loopback delivery wakes
 * the load generator more often, and that time is the server's).
 */
const http = require('node:http');

const port = Number(process.env.PORT ?? 3002);
const LIMIT = 1024 * 1024;
const BUSY_NS = BigInt(Math.round(Number(process.env.BUSY_US ?? 0) * 1000));

function spin() {
  if (BUSY_NS === 0n) return;
  const until = process.hrtime.bigint() + BUSY_NS;
  while (process.hrtime.bigint() < until);
}

const { ANSWER, ROW } = require('./answer');

function send(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ready') {
    send(res, 200, { status: 'ready' });
    return;
  }
  if (req.method !== 'POST' || req.url !== '/predict') {
    send(res, 404, { error: 'not found' });
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > LIMIT) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(res, 400, { error: 'bad json' });
      return;
    }
    spin();
    if (Array.isArray(body?.instances)) {
      send(res, 200, { model: ANSWER.model, predictions: body.instances.map(() => ROW) });
      return;
    }
    send(res, 200, ANSWER);
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
