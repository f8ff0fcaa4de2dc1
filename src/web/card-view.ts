/**
 * The model card as the index page shows it: headline numbers, per-class metric charts, the
 * confusion matrix, training data fingerprint and versions. Pure: card in, view data out.
 */
import type { ModelCard } from '../model/schema';
import { Markup, formatCount, formatMetric } from './markup';
import { CLASS_METRICS, type ClassMetric, confusionMatrixSvg, metricBars } from './svg';

export interface StatTile {
  label: string;
  value: string;
  help: string;
}

export interface MetricPanel {
  key: ClassMetric;
  label: string;
  help: string;
  chart: Markup;
  checked: boolean;
}

export interface ConfusionView {
  /** Multi-label models: the label this 2 × 2 matrix is about. */
  caption?: string;
  chart: Markup;
  classNames: string[];
  rows: { name: string; cells: string[] }[];
}

export interface CardMetricsView {
  tiles: StatTile[];
  panels: MetricPanel[];
  /** One matrix (single-label) or one 2 × 2 matrix per label (multi-label). */
  confusions: ConfusionView[];
  multilabelConfusion: boolean;
}

export interface CardView {
  name: string;
  title: string;
  description: string;
  taskLabel: string;
  /** "Classes" or "Labels" (multi-label), for headings. */
  classesWord: 'Classes' | 'Labels';
  classNames: string[];
  /** How a label is decided, in words (binary threshold, multi-label rule). */
  decisionRule?: string;
  metrics?: CardMetricsView;
  data?: { file: string; rows: string; sha256: string };
  versions: { name: string; value: string }[];
  createdAt: string;
}

export function taskLabel(card: ModelCard): string {
  const n = card.classes.length;
  if (card.task === 'binary') return 'Binary classifier';
  if (card.task === 'multilabel') return `Multi-label classifier · ${n} labels`;
  return `Multi-class classifier · ${n} classes`;
}

export function isClassMetric(value: unknown): value is ClassMetric {
  return typeof value === 'string' && CLASS_METRICS.some((m) => m.key === value);
}

function decisionRule(card: ModelCard, output: 'probabilities' | 'scores'): string | undefined {
  if (card.task === 'multilabel') {
    const thresholds = card.label_thresholds;
    if (thresholds !== undefined && output === 'probabilities') {
      const each = card.classes.map((c, k) => `“${c.name}” above ${thresholds[k]}`).join(', ');
      return `A label applies when its probability is above its own threshold (${each}); several may apply at once.`;
    }
    return output === 'scores'
      ? 'A label applies when its decision score is above 0.'
      : 'A label applies when its probability is above 0.5; several may apply at once.';
  }
  if (card.task === 'binary' && card.positive_class !== undefined && card.threshold !== undefined) {
    const positive = card.classes[card.positive_class]?.name;
    if (positive !== undefined && card.threshold !== 0.5 && output === 'probabilities') {
      return `“${positive}” when its probability is above ${card.threshold}.`;
    }
  }
  return 'The class with the highest ' + (output === 'scores' ? 'decision score.' : 'probability.');
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().slice(0, 10);
}

const VERSION_NAMES: Readonly<Record<string, string>> = {
  sklearn: 'scikit-learn',
  python: 'Python',
  numpy: 'NumPy',
  onnx: 'ONNX',
  unicode: 'Unicode',
  scipy: 'SciPy',
  pandas: 'pandas',
};

export function buildCardView(
  card: ModelCard,
  output: 'probabilities' | 'scores',
  selectedMetric: ClassMetric,
): CardView {
  const classNames = card.classes.map((c) => c.name);
  const view: CardView = {
    name: card.name,
    title: card.title,
    description: card.description,
    taskLabel: taskLabel(card),
    classesWord: card.task === 'multilabel' ? 'Labels' : 'Classes',
    classNames,
    decisionRule: decisionRule(card, output),
    versions: Object.entries(card.versions).map(([name, value]) => ({
      name: VERSION_NAMES[name] ?? name,
      value,
    })),
    createdAt: formatDate(card.created_at),
  };
  if (card.data !== null) {
    view.data = { file: card.data.file, rows: formatCount(card.data.rows), sha256: card.data.sha256 };
  }
  const metrics = card.metrics;
  if (metrics === null) return view;

  const tiles: StatTile[] = [
    {
      label: 'Accuracy',
      value: formatMetric(metrics.accuracy),
      help: 'Share of test examples classified right.',
    },
    {
      label: 'Macro F1',
      value: formatMetric(metrics.macro_f1),
      help: 'F1 averaged over classes, each counting the same.',
    },
  ];
  if (metrics.roc_auc !== undefined) {
    tiles.push({
      label: 'ROC AUC',
      value: formatMetric(metrics.roc_auc),
      help: 'Chance that a random positive example is ranked above a random negative one.',
    });
  }
  tiles.push({
    label: 'Test set',
    value: formatCount(metrics.test_size),
    // train_size 0: the exporter was not told (export_sklearn.py --train-size).
    help:
      metrics.train_size > 0
        ? `Examples held out from training (${formatCount(metrics.train_size)} were used for training).`
        : 'Examples held out from training.',
  });

  const nameOf = (value: number | string): string =>
    card.classes.find((c) => String(c.value) === String(value))?.name ?? String(value);
  const panels: MetricPanel[] =
    metrics.per_class.length === 0
      ? []
      : CLASS_METRICS.map((metric) => ({
          key: metric.key,
          label: metric.label,
          help: metric.help,
          checked: metric.key === selectedMetric,
          chart: metricBars(
            metrics.per_class.map((row) => ({
              name: nameOf(row.class),
              value: row[metric.key],
              support: row.support,
            })),
            metric.label,
          ),
        }));

  const idPrefix = `cm-${card.name.replace(/[^a-z0-9-]/g, '-')}`;
  const confusions: ConfusionView[] = [];
  const matrix = metrics.confusion_matrix;
  const perLabel =
    card.task === 'multilabel' &&
    matrix.length === classNames.length &&
    matrix.every((row) => row.length === 4);
  if (perLabel) {
    // sklearn's multilabel_confusion_matrix, flattened per label: [tn, fp, fn, tp].
    const sides = ['No', 'Yes'];
    classNames.forEach((label, i) => {
      const [tn, fp, fn, tp] = matrix[i];
      const square = [
        [tn, fp],
        [fn, tp],
      ];
      const chart = confusionMatrixSvg({
        matrix: square,
        classNames: sides,
        idPrefix: `${idPrefix}-${i}`,
        cellSize: 64,
        title: `Confusion matrix for the label ${label}`,
      });
      if (chart !== undefined) {
        confusions.push({
          caption: label,
          chart,
          classNames: sides,
          rows: sides.map((name, r) => ({ name, cells: square[r].map(formatCount) })),
        });
      }
    });
  } else {
    const chart = confusionMatrixSvg({ matrix, classNames, idPrefix });
    if (chart !== undefined) {
      confusions.push({
        chart,
        classNames,
        rows: classNames.map((name, i) => ({ name, cells: matrix[i].map(formatCount) })),
      });
    }
  }
  view.metrics = { tiles, panels, confusions, multilabelConfusion: perLabel };
  return view;
}
