/**
 * Prometheus metrics. Each app gets its own registry (not prom-client's global default) so tests can
 * build many apps in one process and a scrape shows only this app's series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModelRegistry } from '../model/types';
import { type Admission, REJECTION_REASONS } from '../http/admission';
import { registerPredictionLogMetrics } from '../monitor/prometheus';
import type { PredictionLog } from '../monitor/types';

export interface Metrics {
  /** This process's metrics. */
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly predictions: Counter<'model' | 'class'>;
  readonly modelInfo: Gauge<'model' | 'title' | 'task' | 'output' | 'classes' | 'version' | 'ready'>;
  /**
   * The text GET /metrics answers: this registry, or in cluster mode the sum over every worker
   * (src/cluster.ts replaces it), so a scrape never depends on which worker answered.
   */
  scrape(): Promise<string>;
  /** Count one answered request and its duration. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** Report these models in sift_model_info, read fresh at every scrape. */
  watchModels(models: ModelRegistry): void;
  /** Report admission (in flight, queued, reserved memory, refusals, queue waits) as sift_admission_*. */
  watchAdmission(admission: Admission): void;
  /** PREDICTION_LOG: the log's status and the monitor numbers of the watched models (sift_prediction_log_*, sift_monitor_*). */
  watchPredictionLog(log: PredictionLog): void;
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
  let watched: ModelRegistry | undefined;
  const modelInfo = new Gauge({
    name: 'sift_model_info',
    help: 'Loaded models (value 1); the ready label says whether its self-test passed.',
    labelNames: ['model', 'title', 'task', 'output', 'classes', 'version', 'ready'] as const,
    registers: [registry],
    // Every worker reports the same models: summing would count each once per worker.
    aggregator: 'max',
    collect() {
      if (watched === undefined) return;
      this.reset();
      for (const model of watched.list()) {
        this.set(
          {
            model: model.name,
            title: model.card.title,
            task: model.card.task,
            output: model.output,
            classes: String(model.card.classes.length),
            version: model.version ?? '',
            ready: String(model.status().ready),
          },
          1,
        );
      }
      // Registered but failed to load: alerting on ready="false" covers them too.
      for (const failed of watched.failed ?? []) {
        this.set(
          { model: failed.name, title: '', task: '', output: '', classes: '0', version: '', ready: 'false' },
          1,
        );
      }
    },
  });
  // Read from the registry at every scrape: it counts its own reloads.
  type Counts = Readonly<Record<string, number>>;
  const reloads = () =>
    watched as (ModelRegistry & { reloadCounts?: Counts; reloadRuns?: Counts }) | undefined;
  const countsCounter = (name: string, help: string, label: string, read: () => Counts | undefined) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const [value, n] of Object.entries(read() ?? {})) this.inc({ [label]: value }, n);
      },
    });
  countsCounter(
    'sift_model_reloads_total',
    'Model reloads (SIGHUP, admin call, WATCH_ARTIFACTS) by result: ok, or rejected (something was not swapped in).',
    'result',
    () => reloads()?.reloadRuns,
  );
  countsCounter(
    'sift_model_reload_bundles_total',
    'Bundles seen by reloads, by outcome: loaded (swapped in), unchanged, rejected (the old one kept serving), removed.',
    'outcome',
    () => reloads()?.reloadCounts,
  );
  // Admission and load shedding (src/http/admission.ts): gauges and refusals read at every scrape.
  let admission: Admission | undefined;
  const admissionGauge = (
    name: string,
    help: string,
    read: (stats: ReturnType<Admission['stats']>) => number,
  ) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (admission !== undefined) this.set(read(admission.stats()));
      },
    });
  admissionGauge(
    'sift_admission_in_flight',
    'Requests with a body admitted and being worked on (at most MAX_IN_FLIGHT per process).',
    (stats) => stats.inFlight,
  );
  admissionGauge(
    'sift_admission_queued',
    'Requests waiting for admission (at most MAX_QUEUED per process).',
    (stats) => stats.queued,
  );
  admissionGauge(
    'sift_admission_reserved_bytes',
    'Working memory reserved by admitted requests.',
    (stats) => stats.reservedBytes,
  );
  admissionGauge(
    'sift_admission_budget_bytes',
    "Working memory requests may reserve: this process's share of the memory limit less what it uses idle.",
    (stats) => stats.budgetBytes,
  );
  new Counter({
    name: 'sift_admission_rejections_total',
    help: 'Requests refused by admission, by reason: queue_full and queue_timeout (503), memory (503, a CSV that did not fit once read), too_large (413).',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      if (admission === undefined) return;
      const { rejectedBy } = admission.stats();
      this.reset();
      for (const reason of REJECTION_REASONS) this.inc({ reason }, rejectedBy[reason]);
    },
  });
  const queueWait = new Histogram({
    name: 'sift_admission_queue_wait_seconds',
    help: 'Time requests waited for admission: 0 when admitted at once; refused ones after QUEUE_TIMEOUT_MS count too.',
    buckets: [0, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  let watchedLog: PredictionLog | undefined;
  registerPredictionLogMetrics(
    registry,
    () => watchedLog,
    () => watched,
  );
  return {
    registry,
    httpRequests,
    httpDuration,
    predictions,
    modelInfo,
    scrape: () => registry.metrics(),
    observeHttp: (method, route, status, seconds) => {
      const labels = { method, route, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    watchModels: (models) => {
      watched = models;
    },
    watchAdmission: (watchedAdmission) => {
      if (admission === watchedAdmission) return;
      admission = watchedAdmission;
      watchedAdmission.onWait((seconds) => queueWait.observe(seconds));
    },
    watchPredictionLog: (log) => {
      watchedLog = log;
    },
  };
}
