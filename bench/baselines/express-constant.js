/**
 * The ceiling for any Express app: bare Express 5 parsing the same JSON request and answering a
 * constant JSON shaped like Sift's answer. No helmet, no logging, no metrics.
 *
 *   PORT=3001 WEB_CONCURRENCY=2 node bench/baselines/express-constant.js
 *
 * WEB_CONCURRENCY > 1 forks that many workers with node:cluster, like Sift does.
 */
const cluster = require('node:cluster');
const express = require('express');

const port = Number(process.env.PORT ?? 3001);
const workers = Number(process.env.WEB_CONCURRENCY ?? 1);

// The same shape and size as Sift's single-row answer (src/predict/format.ts).
const ANSWER = Object.freeze({
  model: 'disaster-tweets',
  label: 1,
  label_name: 'Real disaster',
  probabilities: { 0: 0.12345679, 1: 0.87654321 },
  coverage: { total: 14, known: 12, ratio: 0.8571428571428571 },
  low_signal: false,
});
const ROW = Object.freeze({ ...ANSWER, model: undefined });

function serve() {
  const app = express();
  app.disable('x-powered-by');
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
