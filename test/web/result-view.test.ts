/**
 * The result page for the kinds of model the fixture bundles of tests/web/pages do not cover, with
 * real bundles from the parity fixtures run through the real inference core: decision scores
 * (LinearSVC, SGD hinge), multi-label scores, word + character n-gram unions, no metrics.
 */
import path from 'node:path';
import { type SiftModel, loadModel } from '../../src/model/classifier';
import { buildIndexView } from '../../src/web/index-view';
import { renderView } from '../../src/web/render';
import { buildResultView } from '../../src/web/result-view';
import { inlineCodeProblems, tagsNamed, attr, textOf } from './html';

const PARITY = path.resolve(__dirname, '..', 'fixtures', 'parity');
const models: Record<string, SiftModel> = {};

beforeAll(async () => {
  for (const name of ['union-word-char-sgd-hinge', 'ovr-multilabel-svc', 'charwb-2-4-lr-strings']) {
    models[name] = await loadModel(path.join(PARITY, name));
  }
});

afterAll(async () => {
  await Promise.all(Object.values(models).map((m) => m.close()));
});

async function resultPage(name: string, text: string) {
  const model = models[name];
  const inputs = { text };
  const [prediction] = await model.predict([inputs], { explain: true });
  const view = buildResultView(model, inputs, prediction);
  const html = renderView('result', { page: { title: 'test' }, view });
  expect(inlineCodeProblems(html)).toEqual([]);
  return { model, prediction, view, html, text: textOf(html) };
}

describe('result page for score models', () => {
  it('shows signed decision scores from a zero line, never percentages', async () => {
    const { prediction, html, text, view } = await resultPage(
      'union-word-char-sgd-hinge',
      'Forest fire near La Ronge Sask. Canada',
    );
    expect(view.output).toBe('scores');
    expect(text).toContain('Decision score of each class');
    expect(text).toContain('This model gives decision scores, not probabilities');
    expect(text).toMatch(/highest decision score \([+−]\d+\.\d{3}\)/);
    const values = [...html.matchAll(/<span class="bar-value">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(values).toHaveLength(2);
    for (const value of values) expect(value).toMatch(/^[+−]?\d+\.\d{3}$/);
    expect(values.join('')).not.toContain('%');
    // The axis at zero is drawn on every bar; the fills start or end there.
    expect(html.match(/class="bar-axis" x1="50"/g)).toHaveLength(2);
    const bars = /<ul class="bars score-bars"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
    const fills = tagsNamed(bars, 'rect').filter((tag) => attr(tag, 'class')?.startsWith('bar-fill'));
    expect(fills).toHaveLength(2);
    for (const [i, tag] of fills.entries()) {
      const x = Number(attr(tag, 'x'));
      const width = Number(attr(tag, 'width'));
      expect(prediction.values[i] >= 0 ? x : x + width).toBeCloseTo(50, 5);
    }
  });

  it('lists the character n-grams of a word + char union and marks only the words', async () => {
    const { view, prediction } = await resultPage(
      'union-word-char-sgd-hinge',
      'Forest fire near La Ronge Sask. Canada',
    );
    const terms = [...(prediction.explanation?.toward ?? []), ...(prediction.explanation?.against ?? [])];
    expect(terms.length).toBeGreaterThan(0);
    const marked = view.fields[0].segments.filter((s) => s.direction !== undefined);
    for (const segment of marked) {
      // Every marked word is a whole word of the text and carries at least one term of its own.
      expect(segment.text).toMatch(/^\w+$/u);
      expect(segment.terms?.length).toBeGreaterThan(0);
    }
    const fragments = [...(view.explanation?.toward ?? []), ...(view.explanation?.against ?? [])].filter(
      (row) => row.fragment,
    );
    // Character n-grams with spaces are shown with visible ␣ and counted as not placed.
    for (const row of fragments) expect(row.term).not.toMatch(/ /);
    expect(view.explanation?.unplacedCount ?? 0).toBeGreaterThanOrEqual(fragments.length);
  });

  it('multi-label scores: labels with a score above 0 apply, the rest is said plainly', async () => {
    const { view, prediction, text } = await resultPage(
      'ovr-multilabel-svc',
      'Forest fire near La Ronge Sask. Canada',
    );
    expect(view.multilabel).toBe(true);
    expect(text).toContain('Decision score of each label');
    const positives = prediction.values.flatMap((v, i) => (v > 0 ? [i] : []));
    expect(prediction.positives).toEqual(positives);
    if (positives.length === 0) expect(text).toContain('Every label’s decision score is at or below 0.');
    else
      expect(view.verdict.names).toEqual(
        positives.map((i) => models['ovr-multilabel-svc'].card.classes[i].name),
      );
  });
});

describe('index page for a model exported without metrics', () => {
  it('says so instead of drawing empty charts', () => {
    const model = models['charwb-2-4-lr-strings'];
    expect(model.card.metrics).toBeNull();
    const view = buildIndexView(
      [model],
      model,
      { values: {} },
      { maxTextChars: 100, maxCsvRows: 10, maxUploadBytes: 2048 },
    );
    const html = renderView('index', { page: { title: 't' }, view });
    expect(inlineCodeProblems(html)).toEqual([]);
    expect(textOf(html)).toContain('This model was exported without held-out metrics.');
    expect(html).not.toContain('confusion-matrix');
    expect(html).not.toContain('id="model-select"');
  });
});
