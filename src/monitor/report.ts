/**
 * The monitor report of one model (GET /models/:name/monitor.json, the monitor page and the
 * Prometheus gauges): the store's buckets and term counts, put beside the card's training numbers.
 */
import type { LoadedModel } from '../model/types';
import {
  DRIFT_MIN_ROWS,
  type TermBaseline,
  type TermShare,
  type WindowSummary,
  psiLevel,
  summarize,
  termDrift,
  trainingBaseline,
  trainingClassShares,
} from './drift';
import type { BucketStats, PredictionLogStatus, PredictionStore } from './types';

export type BucketSize = 'hour' | 'day';

export const BUCKET_MS: Readonly<Record<BucketSize, number>> = { hour: 3_600_000, day: 86_400_000 };
/** Buckets a report covers: two days of hours, or a month of days. */
export const BUCKET_COUNT: Readonly<Record<BucketSize, number>> = { hour: 48, day: 30 };
/** Live terms read per window: the baseline's terms are nearly always among them. */
const LIVE_TERMS = 1000;

export interface DriftJson {
  /** PSI over the most common training terms; null without rows (or without a training baseline). */
  psi: number | null;
  level: 'stable' | 'moderate' | 'large' | null;
  rows: number;
  /** False below DRIFT_MIN_ROWS live rows: the PSI is then mostly sampling noise. */
  reliable: boolean;
  terms: TermShare[];
}

export interface SummaryJson {
  predictions: number;
  class_shares: Record<string, number>;
  low_signal_share: number;
  mean_coverage: number;
  unknown_term_share: number;
  with_feedback: number;
  accuracy: number | null;
}

export interface BucketJson extends SummaryJson {
  start: string;
  psi: number | null;
}

export interface MonitorReport {
  model: string;
  model_version: string | null;
  bucket: BucketSize;
  since: string;
  until: string;
  log: PredictionLogStatus & { store: 'sqlite' | 'postgres' };
  summary: SummaryJson;
  training: {
    /** Each class's share in training (the card's stratified held-out split). */
    class_shares: Record<string, number> | null;
    accuracy: number | null;
    /** Rows behind the term baseline; null when the bundle's idf cannot give document frequencies. */
    rows: number | null;
  };
  drift: DriftJson;
  buckets: BucketJson[];
}

const baselines = new WeakMap<LoadedModel, TermBaseline | null>();

/** The model's training term baseline, worked out once per loaded model. */
export function baselineOf(model: LoadedModel): TermBaseline | undefined {
  let baseline = baselines.get(model);
  if (baseline === undefined) {
    baseline = trainingBaseline(model.trainingTerms?.() ?? [], model.card) ?? null;
    baselines.set(model, baseline);
  }
  return baseline ?? undefined;
}

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

function summaryJson(s: WindowSummary): SummaryJson {
  return {
    predictions: s.predictions,
    class_shares: s.classShares,
    low_signal_share: s.lowSignalShare,
    mean_coverage: s.meanCoverage,
    unknown_term_share: s.unknownShare,
    with_feedback: s.withFeedback,
    accuracy: s.accuracy,
  };
}

async function driftOver(
  store: PredictionStore,
  model: LoadedModel,
  baseline: TermBaseline | undefined,
  window: { since: number; until: number },
): Promise<DriftJson> {
  if (baseline === undefined) return { psi: null, level: null, rows: 0, reliable: false, terms: [] };
  const live = await store.termCounts(model.name, { ...window, limit: LIVE_TERMS });
  const drift = termDrift(baseline, live);
  const psi = finite(drift.psi);
  return {
    psi,
    level: psi === null ? null : psiLevel(psi),
    rows: drift.rows,
    reliable: drift.rows >= DRIFT_MIN_ROWS,
    terms: [...drift.terms],
  };
}

/** The window of `count` whole buckets ending with the current one. */
export function windowOf(
  bucket: BucketSize,
  now: number,
  count = BUCKET_COUNT[bucket],
): { since: number; until: number } {
  const size = BUCKET_MS[bucket];
  const current = Math.floor(now / size) * size;
  return { since: current - (count - 1) * size, until: current + size };
}

/** Summary and drift of the last `count` buckets (the Prometheus gauges use one day of hours). */
export async function windowReport(
  store: PredictionStore,
  model: LoadedModel,
  options: { bucket: BucketSize; now: number; count?: number },
): Promise<{
  summary: WindowSummary;
  drift: DriftJson;
  buckets: BucketStats[];
  window: { since: number; until: number };
}> {
  const window = windowOf(options.bucket, options.now, options.count);
  const classNames = model.card.classes.map((c) => c.name);
  const buckets = (await store.buckets(model.name, { since: window.since, bucket: options.bucket })).filter(
    (b) => b.start >= window.since && b.start < window.until,
  );
  const drift = await driftOver(store, model, baselineOf(model), window);
  return { summary: summarize(buckets, classNames), drift, buckets, window };
}

export async function monitorReport(
  store: PredictionStore,
  status: PredictionLogStatus,
  model: LoadedModel,
  options: { bucket: BucketSize; now: number },
): Promise<MonitorReport> {
  const { summary, drift, buckets, window } = await windowReport(store, model, options);
  const classNames = model.card.classes.map((c) => c.name);
  const baseline = baselineOf(model);
  const size = BUCKET_MS[options.bucket];
  const rows: BucketJson[] = [];
  const stored = new Map(buckets.map((b) => [b.start, b]));
  for (let start = window.since; start < window.until; start += size) {
    // Hours or days without predictions are answered as zeros, so charts keep their time axis.
    const b: BucketStats = stored.get(start) ?? {
      start,
      predictions: 0,
      classCounts: {},
      lowSignal: 0,
      coverageSum: 0,
      withFeedback: 0,
      correct: 0,
    };
    // One term query per bucket that has predictions: at most BUCKET_COUNT of them.
    const bucketDrift =
      b.predictions > 0
        ? await driftOver(store, model, baseline, { since: b.start, until: b.start + size })
        : undefined;
    rows.push({
      start: new Date(b.start).toISOString(),
      ...summaryJson(summarize([b], classNames)),
      psi: bucketDrift?.psi ?? null,
    });
  }
  return {
    model: model.name,
    model_version: model.version ?? null,
    bucket: options.bucket,
    since: new Date(window.since).toISOString(),
    until: new Date(window.until).toISOString(),
    log: { ...status, store: store.kind },
    summary: summaryJson(summary),
    training: {
      class_shares: trainingClassShares(model.card) ?? null,
      accuracy: model.card.metrics?.accuracy ?? null,
      rows: baseline?.rows ?? null,
    },
    drift,
    buckets: rows,
  };
}
