/**
 * Server-rendered charts: the confusion matrix as an SVG heat map, and bar charts (per-class
 * metrics, class probabilities or scores) as HTML lists with one small SVG bar each, so labels and
 * values stay real text that wraps on a phone and reads well to a screen reader.
 *
 * Pure functions returning Markup. Colours come from CSS classes (public/css/site.css), never from
 * style attributes, so the page's CSP can forbid inline styles.
 */
import {
  Markup,
  escapeHtml,
  formatCount,
  formatMetric,
  formatPercent,
  formatScore,
  svgNumber,
  truncate,
  wrapWords,
} from './markup';

/** Heat levels 0..HEAT_LEVELS map to CSS classes heat-0 … heat-8. */
export const HEAT_LEVELS = 8;
/** From this level on, cell text is white: both sides keep a contrast of at least 4.5:1. */
const ON_DARK_FROM = 6;

export interface ConfusionMatrixOptions {
  /** Counts: rows are the actual classes, columns the predicted ones, in `classNames` order. */
  matrix: readonly (readonly number[])[];
  classNames: readonly string[];
  /** Makes the ids of <title>/<desc> unique on the page. */
  idPrefix: string;
  /** Side of one cell in SVG units; by default it shrinks as classes are added. */
  cellSize?: number;
  /** The chart's accessible title. */
  title?: string;
}

/** True when `matrix` is square with one row per class and only finite, non-negative counts. */
export function isConfusionMatrix(matrix: readonly (readonly number[])[], classCount: number): boolean {
  return (
    classCount > 0 &&
    matrix.length === classCount &&
    matrix.every((row) => row.length === classCount && row.every((v) => Number.isFinite(v) && v >= 0))
  );
}

const CHAR_WIDTH = 7.4;

/**
 * The confusion matrix as a heat map: each cell's shade is its share of the actual class's row
 * (so every row reads as "where did the examples of this class go"), with the count and that
 * share written in the cell. Undefined when the matrix does not match the classes.
 */
export function confusionMatrixSvg(options: ConfusionMatrixOptions): Markup | undefined {
  const { matrix, classNames, idPrefix } = options;
  const n = classNames.length;
  if (!isConfusionMatrix(matrix, n)) return undefined;

  const cell = options.cellSize ?? (n <= 2 ? 112 : n <= 3 ? 96 : n <= 5 ? 72 : 54);
  const showShare = cell >= 64;
  const rowLabelChars = Math.min(18, Math.max(...classNames.map((name) => Array.from(name).length)));
  const rowLabelWidth = Math.ceil(rowLabelChars * CHAR_WIDTH) + 12;
  const columnChars = Math.max(4, Math.floor((cell - 6) / CHAR_WIDTH));
  const left = 30 + rowLabelWidth;
  const top = 64;
  const width = left + n * cell + 4;
  const height = top + n * cell + 4;
  const titleId = `${idPrefix}-title`;
  const descId = `${idPrefix}-desc`;

  const rowSums = matrix.map((row) => row.reduce((sum, v) => sum + v, 0));
  const describe = classNames
    .map((actual, i) => {
      const parts = classNames.map((predicted, j) => `${formatCount(matrix[i][j])} predicted ${predicted}`);
      return `Actual ${actual}: ${parts.join(', ')}.`;
    })
    .join(' ');

  const out: string[] = [];
  out.push(
    `<svg class="chart confusion-matrix" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${escapeHtml(titleId)} ${escapeHtml(descId)}">`,
    `<title id="${escapeHtml(titleId)}">${escapeHtml(options.title ?? 'Confusion matrix on the held-out test set')}</title>`,
    `<desc id="${escapeHtml(descId)}">Rows are the actual classes, columns the predicted ones. ${escapeHtml(describe)}</desc>`,
    `<text class="axis-title" x="${svgNumber(left + (n * cell) / 2)}" y="14" text-anchor="middle">Predicted</text>`,
    `<text class="axis-title" transform="translate(14 ${svgNumber(top + (n * cell) / 2)}) rotate(-90)" text-anchor="middle">Actual</text>`,
  );

  classNames.forEach((name, j) => {
    const lines = wrapWords(name, columnChars, 2);
    const x = left + j * cell + cell / 2;
    const firstY = lines.length === 1 ? top - 12 : top - 26;
    out.push(
      `<text class="axis-label" x="${svgNumber(x)}" y="${firstY}" text-anchor="middle"><title>${escapeHtml(name)}</title>`,
    );
    lines.forEach((line, k) => {
      out.push(`<tspan x="${svgNumber(x)}" dy="${k === 0 ? 0 : 14}">${escapeHtml(line)}</tspan>`);
    });
    out.push('</text>');
  });

  classNames.forEach((name, i) => {
    const y = top + i * cell + cell / 2;
    out.push(
      `<text class="axis-label" x="${left - 8}" y="${svgNumber(y)}" text-anchor="end" dominant-baseline="middle"><title>${escapeHtml(name)}</title>${escapeHtml(truncate(name, 18))}</text>`,
    );
  });

  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      const count = matrix[i][j];
      const share = rowSums[i] > 0 ? count / rowSums[i] : 0;
      const level = Math.round(share * HEAT_LEVELS);
      const x = left + j * cell;
      const y = top + i * cell;
      const cx = x + cell / 2;
      const cy = y + cell / 2;
      const textClass = level >= ON_DARK_FROM ? 'cell-text on-dark' : 'cell-text';
      const label = `Actual ${classNames[i]}, predicted ${classNames[j]}: ${formatCount(count)} (${formatPercent(share)} of ${classNames[i]})`;
      out.push(
        `<g class="cell${i === j ? ' is-correct' : ''}"><title>${escapeHtml(label)}</title>`,
        `<rect class="heat-${level}" x="${svgNumber(x + 1)}" y="${svgNumber(y + 1)}" width="${cell - 2}" height="${cell - 2}" rx="4"/>`,
        `<text class="${textClass} cell-count" x="${svgNumber(cx)}" y="${svgNumber(showShare ? cy - 6 : cy)}" text-anchor="middle" dominant-baseline="middle">${escapeHtml(formatCount(count))}</text>`,
      );
      if (showShare) {
        out.push(
          `<text class="${textClass} cell-share" x="${svgNumber(cx)}" y="${svgNumber(cy + 14)}" text-anchor="middle" dominant-baseline="middle">${escapeHtml(formatPercent(share))}</text>`,
        );
      }
      out.push('</g>');
    }
  }
  out.push('</svg>');
  return new Markup(out.join(''));
}

interface TrackOptions {
  /** Where the bar ends, 0..1 of the track (ignored when `diverging` is set). */
  fraction: number;
  /** Draw a marker at this position (0..1), e.g. the 0.5 decision threshold. */
  marker?: number;
  /** Scores: a bar from the middle, left for negative values. Value is −1..1 of the half track. */
  diverging?: number;
}

/** One bar: a 100 × 10 SVG stretched to the track's CSS width (preserveAspectRatio none). */
function barTrack(options: TrackOptions): string {
  const parts: string[] = [
    '<svg class="bar-track" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">',
    '<rect class="bar-bg" x="0" y="0" width="100" height="10"/>',
  ];
  if (options.diverging !== undefined) {
    const half = Math.min(1, Math.abs(options.diverging)) * 50;
    const negative = options.diverging < 0;
    parts.push(
      `<rect class="bar-fill${negative ? ' is-negative' : ''}" x="${svgNumber(negative ? 50 - half : 50)}" y="0" width="${svgNumber(half)}" height="10"/>`,
      '<line class="bar-axis" x1="50" x2="50" y1="0" y2="10" vector-effect="non-scaling-stroke"/>',
    );
  } else {
    const fraction = Math.min(1, Math.max(0, Number.isFinite(options.fraction) ? options.fraction : 0));
    parts.push(`<rect class="bar-fill" x="0" y="0" width="${svgNumber(fraction * 100)}" height="10"/>`);
  }
  if (options.marker !== undefined) {
    const x = svgNumber(Math.min(1, Math.max(0, options.marker)) * 100);
    parts.push(
      `<line class="bar-threshold" x1="${x}" x2="${x}" y1="0" y2="10" vector-effect="non-scaling-stroke"/>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

export type ClassMetric = 'f1' | 'accuracy' | 'precision' | 'recall';

export const CLASS_METRICS: readonly { key: ClassMetric; label: string; help: string }[] = [
  { key: 'f1', label: 'F1', help: 'Harmonic mean of precision and recall.' },
  {
    key: 'accuracy',
    label: 'Accuracy',
    help: 'Share of test examples this class was right about, counting both "is" and "is not" decisions.',
  },
  {
    key: 'precision',
    label: 'Precision',
    help: 'Of the examples predicted as this class, the share that were.',
  },
  { key: 'recall', label: 'Recall', help: 'Of the examples of this class, the share the model found.' },
];

export interface MetricBar {
  name: string;
  value: number;
  support?: number;
}

/** Per-class values of one metric in [0, 1], one bar each, with the test support beside. */
export function metricBars(rows: readonly MetricBar[], metricLabel: string): Markup {
  const items = rows.map((row) => {
    const support =
      row.support === undefined
        ? ''
        : `<span class="bar-note">n = ${escapeHtml(formatCount(row.support))}</span>`;
    return (
      `<li class="bar-row"><span class="bar-label">${escapeHtml(row.name)}${support}</span>` +
      `${barTrack({ fraction: row.value })}<span class="bar-value">${escapeHtml(formatMetric(row.value))}</span></li>`
    );
  });
  return new Markup(
    `<ul class="bars metric-bars" aria-label="${escapeHtml(`${metricLabel} per class`)}">${items.join('')}</ul>`,
  );
}

export interface ValueBar {
  name: string;
  value: number;
  /** The predicted class (single-label) or a positive label (multi-label). */
  chosen: boolean;
  /** Draw the decision threshold on this bar (probabilities only). */
  threshold?: number;
}

export interface ValueBarsOptions {
  output: 'probabilities' | 'scores';
  /** Names the list for assistive technology, e.g. "Probability of each class". */
  label: string;
  /** Word for a chosen row's badge: "predicted" or "applies". */
  chosenBadge: string;
}

/**
 * Probabilities as bars from 0 to 1 (with the threshold marked where one applies), or decision
 * scores as bars from a zero line, scaled to the largest magnitude — scores are not probabilities
 * and are never shown as percentages.
 */
export function valueBars(rows: readonly ValueBar[], options: ValueBarsOptions): Markup {
  const scale = Math.max(1e-9, ...rows.map((row) => (Number.isFinite(row.value) ? Math.abs(row.value) : 0)));
  const items = rows.map((row) => {
    const track =
      options.output === 'scores'
        ? barTrack({ fraction: 0, diverging: row.value / scale })
        : barTrack({ fraction: row.value, marker: row.threshold });
    const shown = options.output === 'scores' ? formatScore(row.value) : formatPercent(row.value);
    const badge = row.chosen ? ` <span class="badge">${escapeHtml(options.chosenBadge)}</span>` : '';
    return (
      `<li class="bar-row${row.chosen ? ' is-chosen' : ''}"><span class="bar-label">${escapeHtml(row.name)}${badge}</span>` +
      `${track}<span class="bar-value">${escapeHtml(shown)}</span></li>`
    );
  });
  const kind = options.output === 'scores' ? ' score-bars' : ' probability-bars';
  return new Markup(
    `<ul class="bars${kind}" aria-label="${escapeHtml(options.label)}">${items.join('')}</ul>`,
  );
}

/** A small bar for an explanation term: its weight relative to the page's strongest term. */
export function termBar(fraction: number, direction: 'toward' | 'against'): Markup {
  const width = svgNumber(Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0)) * 100);
  return new Markup(
    `<svg class="term-bar ${direction}" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">` +
      `<rect class="bar-bg" x="0" y="0" width="100" height="10"/><rect class="bar-fill" x="0" y="0" width="${width}" height="10"/></svg>`,
  );
}

export interface Column {
  /** Axis label (shown for some columns only when there are many). */
  label: string;
  /** null: no value in this column (no predictions, no feedback): drawn as a gap. */
  value: number | null;
}

export interface ColumnChartOptions {
  /** Makes the ids of <title>/<desc> unique on the page. */
  idPrefix: string;
  title: string;
  /** How a value reads (percent, count, PSI). */
  format: (value: number) => string;
  /** Top of the axis; default the largest value. */
  max?: number;
  /** A horizontal reference line (the training value), labelled. */
  reference?: { value: number; label: string };
}

/**
 * A value per time bucket as columns (the monitor page's hours or days), with the axis maximum and
 * an optional reference line; the description lists the non-empty columns for screen readers.
 */
export function columnChart(columns: readonly Column[], options: ColumnChartOptions): Markup {
  const width = 640;
  const height = 146;
  // Room above the plot for the reference line's legend (a label at the line's right end sat on
  // the newest column, which is always drawn there).
  const top = 20;
  const bottom = 20;
  const left = 60;
  const plot = height - top - bottom;
  const values = columns.map((c) => c.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(1e-12, options.max ?? Math.max(0, ...values, options.reference?.value ?? 0));
  const step = (width - left - 4) / Math.max(1, columns.length);
  const barWidth = Math.max(1, step * 0.75);
  const y = (v: number) => top + plot - (Math.min(max, Math.max(0, v)) / max) * plot;
  const titleId = `${options.idPrefix}-title`;
  const descId = `${options.idPrefix}-desc`;
  const described = columns
    .filter((c) => c.value !== null)
    .map((c) => `${c.label}: ${options.format(c.value as number)}`)
    .slice(-24)
    .join('; ');
  const out: string[] = [
    `<svg class="column-chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${titleId} ${descId}">`,
    `<title id="${titleId}">${escapeHtml(options.title)}</title>`,
    `<desc id="${descId}">${escapeHtml(described === '' ? 'No values yet.' : described)}</desc>`,
    `<line class="bar-axis" x1="${left}" x2="${width}" y1="${top + plot}" y2="${top + plot}"/>`,
    `<text class="axis-text" x="${left - 6}" y="${top + 4}" text-anchor="end">${escapeHtml(options.format(max))}</text>`,
    `<text class="axis-text" x="${left - 6}" y="${top + plot}" text-anchor="end">${escapeHtml(options.format(0))}</text>`,
  ];
  const every = Math.max(1, Math.ceil(columns.length / 8));
  columns.forEach((c, i) => {
    const x = left + i * step + (step - barWidth) / 2;
    if (c.value !== null && Number.isFinite(c.value)) {
      const yTop = y(c.value);
      out.push(
        `<rect class="column" x="${svgNumber(x)}" y="${svgNumber(yTop)}" width="${svgNumber(barWidth)}" height="${svgNumber(top + plot - yTop)}"><title>${escapeHtml(`${c.label}: ${options.format(c.value)}`)}</title></rect>`,
      );
    }
    if (i % every === 0) {
      out.push(
        `<text class="axis-text" x="${svgNumber(x + barWidth / 2)}" y="${height - 6}" text-anchor="middle">${escapeHtml(c.label)}</text>`,
      );
    }
  });
  if (options.reference !== undefined && Number.isFinite(options.reference.value)) {
    const ry = svgNumber(y(options.reference.value));
    const legend = `${options.reference.label}: ${options.format(options.reference.value)}`;
    out.push(
      `<line class="bar-threshold" x1="${left}" x2="${width}" y1="${ry}" y2="${ry}"/>`,
      `<line class="bar-threshold" x1="${left}" x2="${left + 22}" y1="7" y2="7"/>`,
      `<text class="axis-text" x="${left + 28}" y="11">${escapeHtml(legend)}</text>`,
    );
  }
  out.push('</svg>');
  return new Markup(out.join(''));
}
