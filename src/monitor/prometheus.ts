/**
 * The prediction log in /metrics: the writer's own counts (queued, written, dropped, failed
 * writes, healthy) and, per model over the last 24 hours, the monitor page's numbers (class
 * shares, low-signal share, mean coverage, unknown-term share, feedback, live accuracy, term PSI).
 * Read from the store at scrape time; a store that is down leaves the monitor gauges out and
 * the scrape succeeds.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LoadedModel, ModelRegistry } from '../model/types';
import { trainingClassShares } from './drift';
import { windowReport } from './report';
import type { PredictionLog } from './types';
import type { DriftJson } from './report';
import type { WindowSummary } from './drift';

/** One day of hourly buckets: what the gauges summarise. */
const GAUGE_HOURS = 24;
/** A scrape reads every gauge in turn: one store read serves them all. */
const SNAPSHOT_MS = 1000;

/** A share over predictions: absent (not 0) without predictions, so alerts do not fire on silence. */
const ratio = (s: ModelSnapshot, value: number): number | null => (s.summary.predictions > 0 ? value : null);

interface ModelSnapshot {
  model: LoadedModel;
  summary: WindowSummary;
  drift: DriftJson;
}

export function registerPredictionLogMetrics(
  registry: Registry,
  log: () => PredictionLog | undefined,
  models: () => ModelRegistry | undefined,
): void {
  let cached: { at: number; value: Promise<ModelSnapshot[]> } | undefined;
  const snapshot = (): Promise<ModelSnapshot[]> => {
    const now = Date.now();
    if (cached !== undefined && now - cached.at < SNAPSHOT_MS) return cached.value;
    const current = log();
    const loaded = models()?.list() ?? [];
    const value =
      current === undefined
        ? Promise.resolve([])
        : Promise.all(
            loaded.map(async (model) => {
              const report = await windowReport(current.store, model, {
                bucket: 'hour',
                now,
                count: GAUGE_HOURS,
              });
              return { model, summary: report.summary, drift: report.drift };
            }),
          ).catch(() => [] as ModelSnapshot[]);
    cached = { at: now, value };
    return value;
  };

  const statusCounter = (
    name: string,
    help: string,
    read: (s: ReturnType<PredictionLog['status']>) => number,
  ) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const current = log();
        if (current !== undefined) this.inc(read(current.status()));
      },
    });
  statusCounter(
    'sift_prediction_log_written_total',
    'Predictions written to the prediction log.',
    (s) => s.written,
  );
  statusCounter(
    'sift_prediction_log_dropped_total',
    'Predictions given up on (queue full, or their batch kept failing); they were served all the same.',
    (s) => s.dropped,
  );
  statusCounter(
    'sift_prediction_log_failed_writes_total',
    'Batch writes the store refused.',
    (s) => s.failedWrites,
  );
  new Gauge({
    name: 'sift_prediction_log_queued',
    help: 'Predictions waiting to be written.',
    registers: [registry],
    collect() {
      const current = log();
      this.set(current === undefined ? 0 : current.status().queued);
    },
  });
  new Gauge({
    name: 'sift_prediction_log_healthy',
    help: '1 while the prediction log writes normally, 0 while its store fails (absent: the log is off).',
    registers: [registry],
    // Every worker has its own writer: the cluster is healthy only when all are.
    aggregator: 'min',
    collect() {
      this.reset();
      const current = log();
      if (current !== undefined) this.set(current.status().healthy ? 1 : 0);
    },
  });

  /** A gauge per model from the snapshot; every worker reads the same store, so the max, not the sum. */
  const modelGauge = (name: string, help: string, read: (s: ModelSnapshot) => number | null) =>
    new Gauge({
      name,
      help: `${help} Last 24 hours.`,
      labelNames: ['model'] as const,
      registers: [registry],
      aggregator: 'max',
      async collect() {
        this.reset();
        for (const s of await snapshot()) {
          const value = read(s);
          if (value !== null && Number.isFinite(value)) this.set({ model: s.model.name }, value);
        }
      },
    });
  modelGauge('sift_monitor_predictions', 'Predictions in the prediction log.', (s) => s.summary.predictions);
  modelGauge('sift_monitor_low_signal_share', 'Share of predictions whose text had no known term.', (s) =>
    ratio(s, s.summary.lowSignalShare),
  );
  modelGauge('sift_monitor_mean_coverage', "Mean share of a row's terms the model knows.", (s) =>
    ratio(s, s.summary.meanCoverage),
  );
  modelGauge(
    'sift_monitor_unknown_term_share',
    'Share of the terms of live text the vocabulary does not know.',
    (s) => ratio(s, s.summary.unknownShare),
  );
  modelGauge('sift_monitor_feedback', 'Predictions that received feedback.', (s) => s.summary.withFeedback);
  modelGauge(
    'sift_monitor_accuracy',
    'Share right among predictions with feedback (absent without feedback).',
    (s) => s.summary.accuracy,
  );
  modelGauge(
    'sift_monitor_term_psi',
    'Population stability index of the most common training terms, live against training (absent below 100 rows, where it is noise, or without idf).',
    (s) => (s.drift.reliable ? s.drift.psi : null),
  );
  new Gauge({
    name: 'sift_monitor_class_share',
    help: 'Share of predictions per predicted class (multi-label: per label). Last 24 hours.',
    labelNames: ['model', 'class'] as const,
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const s of await snapshot()) {
        if (s.summary.predictions === 0) continue;
        for (const [name, share] of Object.entries(s.summary.classShares)) {
          this.set({ model: s.model.name, class: name }, share);
        }
      }
    },
  });
  new Gauge({
    name: 'sift_monitor_training_class_share',
    help: "Each class's share in training (the card's stratified held-out split), beside sift_monitor_class_share.",
    labelNames: ['model', 'class'] as const,
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.reset();
      if (log() === undefined) return;
      for (const model of models()?.list() ?? []) {
        for (const [name, share] of Object.entries(trainingClassShares(model.card) ?? {})) {
          this.set({ model: model.name, class: name }, share);
        }
      }
    },
  });
}
