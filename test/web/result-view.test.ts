/**
 * The result page for the kinds of model the fixture bundles of tests/web/pages do not cover, with
 * real bundles from the parity fixtures run through the real inference core: decision scores
 * (LinearSVC, SGD hinge), multi-label scores, word + character n-gram unions, no metrics.
 */
import { readFileSync } from 'node:fs';
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

  it('folds the character n-grams of a word + char union onto the words: the list shows words', async () => {
    const text = 'Forest fire near La Ronge Sask. Canada';
    const { view, prediction } = await resultPage('union-word-char-sgd-hinge', text);
    const terms = [...(prediction.explanation?.toward ?? []), ...(prediction.explanation?.against ?? [])];
    expect(terms.some((t) => t.analyzer === 'char' || t.analyzer === 'char_wb')).toBe(true);
    const rows = [...(view.explanation?.toward ?? []), ...(view.explanation?.against ?? [])];
    expect(rows.length).toBeGreaterThan(0);
    const words = new Set(
      text.split(/\s+/).flatMap((w) => w.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]+/gu) ?? []),
    );
    for (const row of rows) expect(words).toContain(row.term);
    expect(view.explanation?.unplacedCount).toBe(0);
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

describe('explanations people can read (issue 17)', () => {
  const ARTIFACT = path.resolve(__dirname, '..', '..', 'artifacts', 'disaster-tweets');
  let model: SiftModel;
  beforeAll(async () => {
    model = await loadModel(ARTIFACT);
  });
  afterAll(async () => {
    await model.close();
  });

  /** The parity fixtures' hard strings, and tweets-like texts made of them. */
  function hardTexts(): string[] {
    const expected = JSON.parse(
      readFileSync(path.join(PARITY, 'word-bigram-english-sublinear-multinomial', 'expected.json'), 'utf8'),
    ) as { cases: { inputs: { text: string } }[] };
    const texts = expected.cases.map((c) => c.inputs.text);
    return [
      ...texts,
      'Losing my house to the flood, always the same evacuations',
      'fire fire FIRE! 🔥🔥 firefighters on fire',
      ...texts.slice(0, 40).map((t, i) => `${t} ${texts[(i * 7) % texts.length]}`),
    ];
  }

  it('the list shows surface words, and every listed word is marked on its side wherever it occurs', async () => {
    const texts = hardTexts();
    expect(texts.length).toBeGreaterThan(100);
    let checked = 0;
    for (const text of texts) {
      const inputs = { text, keyword: 'fire', location: 'La Ronge' };
      const [prediction] = await model.predict([inputs], {
        explain: true,
        topTerms: Number.POSITIVE_INFINITY,
      });
      const view = buildResultView(model, inputs, prediction);
      const ex = view.explanation!;
      const marks = view.fields.flatMap((field) =>
        field.segments
          .filter((s) => s.direction !== undefined)
          .map((s) => ({ field: field.label, text: s.text, direction: s.direction!, score: s.score! })),
      );
      for (const [direction, rows] of [
        ['toward', ex.toward],
        ['against', ex.against],
      ] as const) {
        for (const row of rows) {
          const field = row.fieldLabel ?? 'Tweet';
          const value = field === 'Tweet' ? text : field === 'Keyword' ? inputs.keyword : inputs.location;
          // A word of the input as typed, not a stem or a character n-gram.
          expect(value).toContain(row.term);
          const hits = marks.filter((m) => m.field === field && m.text === row.term);
          expect(hits.length).toBeGreaterThan(0);
          for (const hit of hits) expect(hit.direction).toBe(direction);
          checked += 1;
        }
      }
      // No mark contradicts the list: a marked word that is listed is listed on its own side.
      for (const mark of marks) {
        const other = mark.direction === 'toward' ? ex.against : ex.toward;
        expect(other.some((r) => r.term === mark.text && (r.fieldLabel ?? 'Tweet') === mark.field)).toBe(
          false,
        );
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('folds stems back: "losing" carries lose, and the keyword is judged on its own', async () => {
    const inputs = { text: 'Losing everything in the wildfire evacuation', keyword: 'fire', location: '' };
    const [prediction] = await model.predict([inputs], { explain: true, topTerms: Number.POSITIVE_INFINITY });
    const view = buildResultView(model, inputs, prediction);
    const segments = view.fields[0].segments.filter((s) => s.direction !== undefined);
    const losing = segments.find((s) => s.text === 'Losing');
    expect(losing?.terms?.map((t) => t.term)).toContain('lose');
    const keyword = view.fields[1].segments.find((s) => s.text === 'fire');
    const rows = [...view.explanation!.toward, ...view.explanation!.against];
    const keywordRow = rows.find((r) => r.fieldLabel === 'Keyword' && r.term === 'fire');
    if (keywordRow !== undefined) {
      const side = view.explanation!.toward.includes(keywordRow) ? 'toward' : 'against';
      expect(keyword?.direction).toBe(side);
    }
  });
});
