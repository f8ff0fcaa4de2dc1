/**
 * What the monitor page and /metrics compute from the prediction log. Pure.
 *
 * Drift on the input vocabulary is the population stability index over the terms most common in
 * training: each term's share of the rows containing one of those terms, in training (document
 * frequencies recovered from the bundle's idf) against live traffic. PSI < 0.1 is usually read as
 * no change, 0.1–0.25 as a moderate shift, > 0.25 as a large one. The share of unknown terms
 * (1 − mean coverage) catches what PSI cannot see: words the vocabulary has never heard of.
 */
import type { ModelCard } from '../model/schema';
import type { TrainingTerm } from '../model/types';
import type { BucketStats, TermCount } from './types';

/** Shares below this count as this (a term absent on one side would make PSI infinite). */
export const PSI_FLOOR = 1e-4;
/** Terms PSI is computed over. */
export const DRIFT_TERMS = 50;
/** Below this many live rows a window's PSI is mostly sampling noise (terms absent by chance). */
export const DRIFT_MIN_ROWS = 100;

/** Conventional PSI bands. */
export function psiLevel(value: number): 'stable' | 'moderate' | 'large' {
  return value < 0.1 ? 'stable' : value < 0.25 ? 'moderate' : 'large';
}

/**
 * Population stability index Σ (a − e) · ln(a / e) of two distributions over the same bins, each
 * normalised to sum 1 first; shares under PSI_FLOOR count as PSI_FLOOR. NaN when a side is empty.
 */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new RangeError('expected and actual need the same bins');
  const sumE = expected.reduce((s, v) => s + v, 0);
  const sumA = actual.reduce((s, v) => s + v, 0);
  if (!(sumE > 0) || !(sumA > 0)) return Number.NaN;
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(PSI_FLOOR, expected[i] / sumE);
    const a = Math.max(PSI_FLOOR, actual[i] / sumA);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * Document frequency behind an idf: sklearn's smooth_idf (the default) has idf = ln((1+n)/(1+df)) + 1,
 * so df = (1+n)/e^(idf−1) − 1; without smoothing idf = ln(n/df) + 1, so df = n/e^(idf−1).
 */
export function documentFrequency(idf: number, rows: number, smooth: boolean): number {
  const ratio = Math.exp(idf - 1);
  return smooth ? (1 + rows) / ratio - 1 : rows / ratio;
}

/** How far from whole numbers recovered document frequencies may be for (rows, smooth) to fit. */
const WHOLE_TOLERANCE = 1e-3;
const CHECKED_TERMS = 500;

/**
 * The training row count and smoothing that turn the idf back into whole document frequencies:
 * the bundle does not store either, so each candidate (the card's train_size, then data.rows) is
 * tried with and without smoothing. Undefined when none fits (then there is no training baseline).
 */
export function fitTrainingRows(
  idf: readonly number[],
  candidates: readonly number[],
): { rows: number; smooth: boolean } | undefined {
  const sample = idf.slice(0, CHECKED_TERMS);
  if (sample.length === 0) return undefined;
  for (const rows of candidates) {
    if (!Number.isInteger(rows) || rows <= 0) continue;
    for (const smooth of [true, false]) {
      const fits = sample.every((v) => {
        const df = documentFrequency(v, rows, smooth);
        return (
          df >= 1 - WHOLE_TOLERANCE &&
          df <= rows + WHOLE_TOLERANCE &&
          Math.abs(df - Math.round(df)) < WHOLE_TOLERANCE
        );
      });
      if (fits) return { rows, smooth };
    }
  }
  return undefined;
}

export interface TermBaseline {
  /** Training rows the document frequencies count. */
  readonly rows: number;
  /** The most common training terms, most common first. */
  readonly terms: readonly TermCount[];
}

/** The `limit` most common training terms, from the model's term idfs and its card. */
export function trainingBaseline(
  terms: readonly TrainingTerm[],
  card: Pick<ModelCard, 'metrics' | 'data'>,
  limit = DRIFT_TERMS,
): TermBaseline | undefined {
  if (terms.length === 0) return undefined;
  const candidates = [card.metrics?.train_size ?? 0, card.data?.rows ?? 0];
  const fit = fitTrainingRows(
    terms.map((t) => t.idf),
    candidates,
  );
  if (fit === undefined) return undefined;
  // Lowest idf = highest document frequency; a key shared by two blocks keeps its first.
  const seen = new Set<string>();
  const ranked = [...terms].sort((a, b) => a.idf - b.idf || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const top: TermCount[] = [];
  for (const t of ranked) {
    if (seen.has(t.key)) continue;
    seen.add(t.key);
    top.push({ term: t.key, rows: Math.round(documentFrequency(t.idf, fit.rows, fit.smooth)) });
    if (top.length === limit) break;
  }
  return { rows: fit.rows, terms: top };
}

export interface TermShare {
  readonly term: string;
  /** Share of training rows containing the term. */
  readonly training: number;
  /** Share of live rows containing it. */
  readonly live: number;
}

export interface TermDrift {
  /** NaN when the window has no row with any of the baseline's terms. */
  readonly psi: number;
  /** Live rows in the window. */
  readonly rows: number;
  /** The baseline's terms, largest contribution to the PSI first. */
  readonly terms: readonly TermShare[];
}

/** PSI of a window's term counts against the training baseline, over the baseline's terms. */
export function termDrift(
  baseline: TermBaseline,
  live: { rows: number; terms: readonly TermCount[] },
): TermDrift {
  const liveRows = new Map(live.terms.map((t) => [t.term, t.rows]));
  const expected = baseline.terms.map((t) => t.rows);
  const actual = baseline.terms.map((t) => liveRows.get(t.term) ?? 0);
  const psi = populationStabilityIndex(expected, actual);
  const shares = baseline.terms.map((t, i) => ({
    term: t.term,
    training: t.rows / baseline.rows,
    live: live.rows > 0 ? actual[i] / live.rows : 0,
  }));
  const sumE = expected.reduce((s, v) => s + v, 0);
  const sumA = actual.reduce((s, v) => s + v, 0);
  const part = (i: number): number => {
    if (!(sumA > 0)) return 0;
    const e = Math.max(PSI_FLOOR, expected[i] / sumE);
    const a = Math.max(PSI_FLOOR, actual[i] / sumA);
    return (a - e) * Math.log(a / e);
  };
  const order = shares.map((_s, i) => i).sort((x, y) => part(y) - part(x));
  return { psi, rows: live.rows, terms: order.map((i) => shares[i]) };
}

/**
 * Each class's share of the card's held-out rows (per_class support): the split is stratified,
 * so these are the training proportions. Undefined when the card has no per-class metrics.
 */
export function trainingClassShares(
  card: Pick<ModelCard, 'metrics' | 'classes'>,
): Record<string, number> | undefined {
  const perClass = card.metrics?.per_class ?? [];
  if (perClass.length === 0) return undefined;
  const total = perClass.reduce((s, row) => s + row.support, 0);
  if (!(total > 0)) return undefined;
  const shares: Record<string, number> = {};
  for (const c of card.classes) {
    const row = perClass.find((r) => String(r.class) === String(c.value));
    shares[c.name] = row === undefined ? 0 : row.support / total;
  }
  return shares;
}

export interface WindowSummary {
  readonly predictions: number;
  /** Share of predictions per predicted class name (multi-label: per label, may sum above 1). */
  readonly classShares: Record<string, number>;
  /** Predictions whose row had no known term. */
  readonly lowSignalShare: number;
  /** Mean known / total terms per prediction. */
  readonly meanCoverage: number;
  /** Of the tokens the model saw, the share its vocabulary does not know (1 − mean coverage). */
  readonly unknownShare: number;
  readonly withFeedback: number;
  /** Share right among predictions with feedback; null without feedback. */
  readonly accuracy: number | null;
}

/** One summary over several buckets (a window), or over one. */
export function summarize(buckets: readonly BucketStats[], classNames: readonly string[]): WindowSummary {
  let predictions = 0;
  let lowSignal = 0;
  let coverageSum = 0;
  let withFeedback = 0;
  let correct = 0;
  const counts: Record<string, number> = Object.fromEntries(classNames.map((name) => [name, 0]));
  for (const b of buckets) {
    predictions += b.predictions;
    lowSignal += b.lowSignal;
    coverageSum += b.coverageSum;
    withFeedback += b.withFeedback;
    correct += b.correct;
    for (const [name, n] of Object.entries(b.classCounts)) counts[name] = (counts[name] ?? 0) + n;
  }
  const share = (n: number): number => (predictions > 0 ? n / predictions : 0);
  const meanCoverage = share(coverageSum);
  return {
    predictions,
    classShares: Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, share(n)])),
    lowSignalShare: share(lowSignal),
    meanCoverage,
    unknownShare: predictions > 0 ? 1 - meanCoverage : 0,
    withFeedback,
    accuracy: withFeedback > 0 ? correct / withFeedback : null,
  };
}
