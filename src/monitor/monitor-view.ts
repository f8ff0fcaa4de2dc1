/**
 * View data of the monitor page (views/monitor.ejs) and of the page that thanks for feedback
 * (views/feedback.ejs). Pure: report in, view data out; charts come from src/web/svg.ts.
 */
import type { LoadedModel } from '../model/types';
import { type Markup, formatCount, formatMetric, formatPercent } from '../web/markup';
import { columnChart, valueBars } from '../web/svg';
import type { StatTile } from '../web/card-view';
import { DRIFT_MIN_ROWS } from './drift';
import type { MonitorReport } from './report';
import type { PredictionRecord } from './types';

export interface ChartView {
  heading: string;
  help: string;
  chart: Markup;
}

export interface MonitorView {
  modelName: string;
  modelTitle: string;
  bucket: 'hour' | 'day';
  /** "the last 48 hours" / "the last 30 days". */
  windowText: string;
  empty: boolean;
  tiles: StatTile[];
  classes: { chart: Markup; note: string };
  charts: ChartView[];
  drift: {
    available: boolean;
    psi: string;
    level: string;
    rows: { term: string; field?: string; training: string; live: string }[];
  };
  log: { store: string; healthy: boolean; lastError?: string; numbers: { label: string; value: string }[] };
}

const LEVEL_TEXT: Readonly<Record<string, string>> = {
  stable: 'stable (below 0.1)',
  moderate: 'moderate shift (0.1–0.25)',
  large: 'large shift (above 0.25)',
};

/** `keyword:fire` → "fire" in the Keyword field; the main field's terms have no prefix. */
function splitTerm(model: LoadedModel, key: string): { term: string; field?: string } {
  const colon = key.indexOf(':');
  if (colon > 0) {
    const input = model.card.inputs.find((i) => i.name === key.slice(0, colon));
    if (input !== undefined) return { term: key.slice(colon + 1), field: input.label };
  }
  return { term: key };
}

function bucketLabel(iso: string, bucket: 'hour' | 'day'): string {
  // UTC, like the buckets: "14:00" for hours, "03 Dec" for days.
  const date = new Date(iso);
  if (bucket === 'hour') return `${String(date.getUTCHours()).padStart(2, '0')}:00`;
  const month = date.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' });
  return `${String(date.getUTCDate()).padStart(2, '0')} ${month}`;
}

export function buildMonitorView(model: LoadedModel, report: MonitorReport): MonitorView {
  const { summary, training, drift } = report;
  const classNames = model.card.classes.map((c) => c.name);
  const tiles: StatTile[] = [
    {
      label: 'Predictions',
      value: formatCount(summary.predictions),
      help: 'Rows predicted in the window.',
    },
    {
      label: 'Live accuracy',
      value: summary.accuracy === null ? '–' : formatPercent(summary.accuracy),
      help:
        summary.with_feedback > 0
          ? `Right on ${formatCount(Math.round((summary.accuracy ?? 0) * summary.with_feedback))} of ${formatCount(summary.with_feedback)} predictions with feedback${training.accuracy === null ? '' : ` (test set: ${formatPercent(training.accuracy)})`}.`
          : 'No feedback yet: use “Was this right?” on the result page or POST /predictions/{id}/feedback.',
    },
    {
      label: 'Mean coverage',
      value: formatPercent(summary.mean_coverage),
      help: 'Share of a row’s terms the model knows, on average.',
    },
    {
      label: 'Low signal',
      value: formatPercent(summary.low_signal_share),
      help: 'Predictions whose text had no term the model knows: they only reflect the training data’s priors.',
    },
  ];
  if (drift.psi !== null) {
    tiles.push({
      label: 'Term drift (PSI)',
      value: formatMetric(drift.psi),
      help: `Population stability index over the ${drift.terms.length} terms most common in training: ${LEVEL_TEXT[drift.level ?? 'stable']}.`,
    });
  }
  tiles.push({
    label: 'Unknown terms',
    value: formatPercent(summary.unknown_term_share),
    help: 'Share of the terms in live text that the vocabulary does not know.',
  });

  const shares = training.class_shares;
  const classChart = valueBars(
    classNames.map((name) => ({
      name,
      value: summary.class_shares[name] ?? 0,
      chosen: false,
      threshold: shares?.[name],
    })),
    { output: 'probabilities', label: 'Live share of each class', chosenBadge: '' },
  );
  const classNote =
    shares === null
      ? 'The card has no per-class test counts, so there is no training share to compare with.'
      : `The dashed line marks each ${model.card.task === 'multilabel' ? 'label' : 'class'}’s share in training (the card’s held-out split, stratified).`;

  const labels = report.buckets.map((b) => bucketLabel(b.start, report.bucket));
  const per = (pick: (b: MonitorReport['buckets'][number]) => number | null) =>
    report.buckets.map((b, i) => ({ label: labels[i], value: pick(b) }));
  const id = (name: string) => `mon-${model.name.replace(/[^a-z0-9-]/g, '-')}-${name}`;
  const percent = (v: number) => formatPercent(v);
  const charts: ChartView[] = [
    {
      heading: 'Predictions',
      help: `Rows predicted per ${report.bucket} (UTC).`,
      chart: columnChart(
        per((b) => b.predictions),
        { idPrefix: id('count'), title: `Predictions per ${report.bucket}`, format: formatCount },
      ),
    },
    {
      heading: 'Live accuracy',
      help: 'Share right among the predictions that received feedback; the line is the test-set accuracy on the card.',
      chart: columnChart(
        per((b) => b.accuracy),
        {
          idPrefix: id('accuracy'),
          title: `Live accuracy per ${report.bucket}`,
          format: percent,
          max: 1,
          reference: training.accuracy === null ? undefined : { value: training.accuracy, label: 'test set' },
        },
      ),
    },
    {
      heading: 'Mean coverage',
      help: 'Share of each row’s terms the model knows, averaged; a fall means text unlike the training data.',
      chart: columnChart(
        per((b) => (b.predictions > 0 ? b.mean_coverage : null)),
        { idPrefix: id('coverage'), title: `Mean coverage per ${report.bucket}`, format: percent, max: 1 },
      ),
    },
    {
      heading: 'Low-signal inputs',
      help: 'Share of predictions whose text had no known term.',
      chart: columnChart(
        per((b) => (b.predictions > 0 ? b.low_signal_share : null)),
        { idPrefix: id('low'), title: `Low-signal share per ${report.bucket}`, format: percent, max: 1 },
      ),
    },
  ];
  if (training.rows !== null) {
    charts.push({
      heading: 'Term drift (PSI)',
      help: 'Population stability index of the most common training terms; the line marks 0.25, a large shift.',
      chart: columnChart(
        per((b) => b.psi),
        {
          idPrefix: id('psi'),
          title: `Term drift per ${report.bucket}`,
          format: (v) => formatMetric(v),
          reference: { value: 0.25, label: 'large shift' },
        },
      ),
    });
  }

  const { log } = report;
  return {
    modelName: model.name,
    modelTitle: model.card.title,
    bucket: report.bucket,
    windowText:
      report.bucket === 'hour'
        ? `the last ${report.buckets.length} hours`
        : `the last ${report.buckets.length} days`,
    empty: summary.predictions === 0,
    tiles,
    classes: { chart: classChart, note: classNote },
    charts,
    drift: {
      available: training.rows !== null,
      psi: drift.psi === null ? '–' : formatMetric(drift.psi),
      level:
        drift.level === null
          ? 'no live rows yet'
          : drift.reliable
            ? LEVEL_TEXT[drift.level]
            : `${LEVEL_TEXT[drift.level]}, but from only ${formatCount(drift.rows)} rows: below about ${DRIFT_MIN_ROWS} rows terms are missing by chance and the index reads high`,
      rows: drift.terms.slice(0, 15).map((t) => ({
        ...splitTerm(model, t.term),
        training: formatPercent(t.training),
        live: formatPercent(t.live),
      })),
    },
    log: {
      store: log.store === 'sqlite' ? 'SQLite' : 'PostgreSQL',
      healthy: log.healthy,
      lastError: log.lastError,
      numbers: [
        { label: 'Written', value: formatCount(log.written) },
        { label: 'Queued', value: formatCount(log.queued) },
        { label: 'Dropped', value: formatCount(log.dropped) },
        { label: 'Failed writes', value: formatCount(log.failedWrites) },
      ],
    },
  };
}

export interface FeedbackView {
  modelName: string;
  modelTitle: string;
  predicted: string;
  labels: string;
  correct: boolean;
}

export function buildFeedbackView(
  model: LoadedModel,
  record: PredictionRecord,
  labels: readonly string[],
  correct: boolean,
): FeedbackView {
  const list = (names: readonly string[]) => (names.length === 0 ? 'no label' : names.join(', '));
  return {
    modelName: model.name,
    modelTitle: model.card.title,
    predicted: list(record.labels),
    labels: list(labels),
    correct,
  };
}
