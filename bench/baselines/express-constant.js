/**
 * The ceiling for any Express app: bare Express 5 parsing the same JSON request and answering a
 * constant JSON shaped like Sift's answer. No helmet, no logging, no metrics.
 *
 *   PORT=3001 WEB_CONCURRENCY=2 node bench/baselines/express-constant.js
 *
 * WEB_CONCURRENCY > 1 forks that many workers with node:cluster, like Sift does.
 *
 * ADD (comma list, default empty = bare) adds one of Sift's per-request costs at a time, so
 * `npm run bench -- --profile` can price each: `headers` (the 15 response headers Sift sends on a
 * JSON answer), `context` (request id + child logger + an access-log line through pino to stdout),
 * `metrics` (prom-client counter + histogram observed per request).
 */
const cluster = require('node:cluster');
const { randomUUID } = require('node:crypto');
const express = require('express');

const port = Number(process.env.PORT ?? 3001);
const workers = Number(process.env.WEB_CONCURRENCY ?? 1);
const added = new Set((process.env.ADD ?? '').split(',').filter((part) => part !== ''));

const { ANSWER, ROW } = require('./answer');

// What Sift (helmet with its CSP, plus its own) sets on a JSON answer, copied from a live response.
const SIFT_HEADERS = Object.freeze({
  'Content-Security-Policy':
    "default-src 'self';script-src 'self';script-src-attr 'none';style-src 'self';style-src-attr 'none';" +
    "img-src 'self' data:;font-src 'self';connect-src 'self';object-src 'none';base-uri 'self';" +
    "form-action 'self';frame-ancestors 'none'",
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'DENY',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
  'Cache-Control': 'no-store',
  Vary: 'Accept',
});

function contextMiddleware() {
  const logger = require('pino')();
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const id = randomUUID();
    const log = logger.child({ reqId: id });
    res.setHeader('X-Request-Id', id);
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({ method: req.method, path: req.path, status: res.statusCode, ms, ip: req.ip }, 'request');
    });
    next();
  };
}

function metricsMiddleware() {
  const { Counter, Histogram, Registry } = require('prom-client');
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'];
  const requests = new Counter({
    name: 'requests_total',
    help: 'requests',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'request_seconds',
    help: 'duration',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method, route: '/predict', status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

function serve() {
  const app = express();
  app.disable('x-powered-by');
  if (added.has('context')) app.use(contextMiddleware());
  if (added.has('metrics')) app.use(metricsMiddleware());
  if (added.has('headers')) {
    app.use((_req, res, next) => {
      for (const [name, value] of Object.entries(SIFT_HEADERS)) res.setHeader(name, value);
      next();
    });
  }
  app.use(express.json({ limit: '1mb' }));
  app.get('/ready', (_req, res) => {
    res.json({ status: 'ready' });
  });
  app.post('/predict', (req, res) => {
    if (Array.isArray(req.body?.instances)) {
      res.json({ model: ANSWER.model, predictions: req.body.instances.map(() => ROW) });
      return;
    }
    res.json(ANSWER);
  });
  const server = app.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  });
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
} else {
  serve();
}
