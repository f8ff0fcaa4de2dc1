/**
 * Prometheus metrics. Each app gets its own registry (not prom-client's global default) so tests can
 * build many apps in one process and a scrape shows only this app's series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModelRegistry } from '../model/types';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly predictions: Counter<'model' | 'class'>;
  readonly modelInfo: Gauge<'model' | 'title' | 'task' | 'output' | 'classes' | 'ready'>;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop, GC). Off in tests that build many apps. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'sift_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'sift_http_request_duration_seconds',
    help: 'Time from request received to response finished, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const predictions = new Counter({
    name: 'sift_predictions_total',
    help: 'Rows predicted, by model and predicted class (display name).',
    labelNames: ['model', 'class'] as const,
    registers: [registry],
  });
  const modelInfo = new Gauge({
    name: 'sift_model_info',
    help: 'Loaded models (value 1); the ready label says whether its self-test passed.',
    labelNames: ['model', 'title', 'task', 'output', 'classes', 'ready'] as const,
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration, predictions, modelInfo };
}

/** Refresh the model info gauge from the registry (called at scrape time, so readiness is current). */
export function recordModelInfo(metrics: Metrics, models: ModelRegistry): void {
  metrics.modelInfo.reset();
  for (const model of models.list()) {
    metrics.modelInfo.set(
      {
        model: model.name,
        title: model.card.title,
        task: model.card.task,
        output: model.output,
        classes: String(model.card.classes.length),
        ready: String(model.status().ready),
      },
      1,
    );
  }
}
