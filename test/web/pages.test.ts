/**
 * The pages over the real app (createApp) and the real fixture bundles: what a browser gets from
 * GET /, GET /index and the form's POST /predict, escaping of everything a user can send, and the
 * HTML error pages.
 */
import request from 'supertest';
import type { SiftRegistry } from '../../src/model/registry';
import { type TestApp, buildTestApp, loadFixtureRegistry } from '../helpers/app';
import { attr, elementById, inlineCodeProblems, tagsNamed, textOf } from './html';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const XSS = `<script>alert("x")</script><img src=x onerror="alert(1)">'"&`;

let registry: SiftRegistry;
let t: TestApp;

beforeAll(async () => {
  registry = await loadFixtureRegistry();
  t = buildTestApp(registry);
});

afterAll(async () => {
  await registry.close();
});

const page = (path: string) => request(t.app).get(path).set('Accept', BROWSER_ACCEPT);

const submit = (fields: Record<string, string>) =>
  request(t.app).post('/predict').set('Accept', BROWSER_ACCEPT).type('form').send(fields);

/** Every HTML answer: strict-CSP clean, no stack trace. */
function expectCleanHtml(html: string): void {
  expect(inlineCodeProblems(html)).toEqual([]);
  expect(html).not.toMatch(/\n\s+at [^\n]+\([^)]*:\d+:\d+\)/);
  expect(html).not.toContain('node_modules');
}

describe('GET /', () => {
  it('redirects to /index', async () => {
    const res = await page('/');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/index');
  });
});

describe('GET /index', () => {
  it('renders the default model: form from its inputs, labels for every field, required marked', async () => {
    const res = await page('/index');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expectCleanHtml(res.text);

    const form = elementById(res.text, 'predict-form');
    expect(form).toBeDefined();
    const textareas = tagsNamed(form ?? '', 'textarea');
    const inputs = tagsNamed(form ?? '', 'input').filter((tag) => attr(tag, 'type') === 'text');
    expect(textareas.map((tag) => attr(tag, 'name'))).toEqual(['text']);
    expect(inputs.map((tag) => attr(tag, 'name'))).toEqual(['keyword', 'location']);
    expect(textareas[0]).toMatch(/\srequired[\s>]/);
    expect(inputs.every((tag) => !/\srequired[\s>]/.test(tag))).toBe(true);
    expect(attr(textareas[0], 'maxlength')).toBe(String(t.config.maxTextChars));

    // Every control of the page has a label pointing at it.
    const labelled = new Set(tagsNamed(res.text, 'label').map((tag) => attr(tag, 'for')));
    for (const control of [
      ...tagsNamed(res.text, 'textarea'),
      ...tagsNamed(res.text, 'select'),
      ...tagsNamed(res.text, 'input'),
    ]) {
      const type = attr(control, 'type');
      if (type === 'hidden' || type === 'radio') continue;
      expect(labelled).toContain(attr(control, 'id'));
    }
    // The model picker belongs to the form (form attribute), so the choice is posted with the text.
    const picker = tagsNamed(res.text, 'select').find((tag) => attr(tag, 'name') === 'model');
    expect(attr(picker ?? '', 'form')).toBe('predict-form');
    expect(tagsNamed(form ?? '', 'input').some((tag) => attr(tag, 'name') === 'model')).toBe(false);
    expect(/<option value="tweets-mini" selected>/.test(res.text)).toBe(true);
    expect(textOf(res.text)).toContain('Disaster tweets (mini)');
  });

  it('shows the model card: headline metrics, per-class bars for each metric, the confusion matrix', async () => {
    const res = await page('/index');
    const text = textOf(res.text);
    expect(text).toContain('Accuracy 0.84');
    expect(text).toContain('ROC AUC 0.91');
    expect(text).toContain('Test set 240');
    // One panel per metric, F1 selected by default, with a bar per class.
    const radios = tagsNamed(res.text, 'input').filter((tag) => attr(tag, 'type') === 'radio');
    expect(radios.map((tag) => attr(tag, 'value'))).toEqual(['f1', 'accuracy', 'precision', 'recall']);
    expect(radios.filter((tag) => /\schecked[\s>]/.test(tag)).map((tag) => attr(tag, 'value'))).toEqual([
      'f1',
    ]);
    expect(res.text.match(/class="bars metric-bars"/g)).toHaveLength(4);
    expect(tagsNamed(res.text, 'ul').map((tag) => attr(tag, 'aria-label'))).toEqual(
      expect.arrayContaining([
        'F1 per class',
        'Accuracy per class',
        'Precision per class',
        'Recall per class',
      ]),
    );
    // Heat map with counts, and the same numbers as a table.
    expect(res.text).toContain('class="chart confusion-matrix"');
    expect(res.text).toMatch(/<text[^>]*cell-count[^>]*>106<\/text>/);
    expect(text).toContain(
      'Actual Not a disaster: 106 predicted Not a disaster, 16 predicted Real disaster.',
    );
    expect(text).toContain('2cf32091dc23024e2145015129090ac1b2a064456b2f5f741b975f6bf5fc5280');
    expect(text).toContain('scikit-learn 1.2.1');
  });

  it('?metric=accuracy selects the accuracy panel; an unknown metric falls back to F1', async () => {
    const checked = async (path: string) => {
      const res = await page(path);
      return tagsNamed(res.text, 'input')
        .filter((tag) => attr(tag, 'type') === 'radio' && /\schecked[\s>]/.test(tag))
        .map((tag) => attr(tag, 'value'));
    };
    expect(await checked('/index?metric=accuracy')).toEqual(['accuracy']);
    expect(await checked('/index?metric=bogus')).toEqual(['f1']);
  });

  it('offers a model picker naming every loaded model, with the current one selected', async () => {
    const res = await page('/index?model=sentiment-mini');
    const select = elementById(res.text, 'model-select') ?? '';
    const options = tagsNamed(select, 'option');
    expect(options.map((tag) => attr(tag, 'value')).sort()).toEqual([
      'sentiment-mini',
      'toxic-mini',
      'tweets-mini',
    ]);
    expect(options.filter((tag) => /\sselected[\s>]/.test(tag)).map((tag) => attr(tag, 'value'))).toEqual([
      'sentiment-mini',
    ]);
    // The sentiment model reads the text only.
    const form = elementById(res.text, 'predict-form') ?? '';
    expect(tagsNamed(form, 'textarea')).toHaveLength(1);
    expect(tagsNamed(form, 'input').filter((tag) => attr(tag, 'type') === 'text')).toHaveLength(0);
    expect(res.text.match(/class="cell"|class="cell is-correct"/g)).toHaveLength(9);
  });

  it('multi-label card: a 2 × 2 confusion matrix per label, "Per label" metrics', async () => {
    const res = await page('/index?model=toxic-mini');
    expect(res.status).toBe(200);
    expectCleanHtml(res.text);
    const labels = registry.get('toxic-mini')?.card.classes.map((c) => c.name) ?? [];
    expect(labels.length).toBeGreaterThan(1);
    expect(res.text.match(/<svg class="chart confusion-matrix"/g)).toHaveLength(labels.length);
    expect([...res.text.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1])).toEqual(labels);
    const text = textOf(res.text);
    expect(text).toContain('Per label');
    expect(text).toContain(`Labels ${labels.join(', ')}`);
    expect(text).toContain('A label applies when its probability is above 0.5');
    // The multi-label CSV download names the label columns in the plural.
    expect(text).toContain('predicted_labels');
  });

  it('has no picker when only one model is loaded', async () => {
    const single = buildTestApp({
      defaultModel: 'tweets-mini',
      list: () => registry.list().filter((m) => m.name === 'tweets-mini'),
      get: (name) => (name === 'tweets-mini' ? registry.get(name) : undefined),
      close: async () => undefined,
    });
    const res = await request(single.app).get('/index').set('Accept', BROWSER_ACCEPT);
    expect(res.status).toBe(200);
    expect(elementById(res.text, 'model-select')).toBeUndefined();
  });

  it('lists the examples and prefills the form from ?example=N', async () => {
    const card = registry.get('tweets-mini')?.card;
    const example = card?.examples[0];
    expect(example).toBeDefined();
    const res = await page('/index?example=0');
    const select = elementById(res.text, 'example-select') ?? '';
    const options = tagsNamed(select, 'option').filter((tag) => attr(tag, 'value') !== '');
    expect(options).toHaveLength(card?.examples.length ?? -1);
    expect(JSON.parse(attr(options[0], 'data-inputs') ?? '')).toEqual(example?.inputs);
    const textarea = /<textarea[^>]*name="text"[^>]*>([^<]*)<\/textarea>/.exec(res.text);
    expect(textOf(textarea?.[1] ?? '')).toBe(example?.inputs.text);
    // Out of range or malformed: an empty form, not an error.
    for (const bad of ['99', '-1', 'x', '1e3']) {
      const other = await page(`/index?example=${bad}`);
      expect(other.status).toBe(200);
      expect(/<textarea[^>]*name="text"[^>]*><\/textarea>/.test(other.text)).toBe(true);
    }
  });

  it('never takes typed text from the URL; POST /index shows it again as typed, escaped', async () => {
    const viaUrl = await page(`/index?text=${encodeURIComponent('secret tweet')}`);
    expect(viaUrl.status).toBe(200);
    expect(viaUrl.text).not.toContain('secret tweet');

    const res = await request(t.app)
      .post('/index')
      .set('Accept', BROWSER_ACCEPT)
      .type('form')
      .send({ model: 'tweets-mini', text: XSS, keyword: '"><b>k' });
    expect(res.status).toBe(200);
    expectCleanHtml(res.text);
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;');
    const keyword = tagsNamed(res.text, 'input').find((tag) => attr(tag, 'name') === 'keyword') ?? '';
    expect(attr(keyword, 'value')).toBe('"><b>k');
  });

  it('switching the model posts the typed text along, so fields of the same name keep it', async () => {
    const names = registry.list().map((m) => m.name);
    const other = names.find((n) => n !== 'tweets-mini');
    expect(other).toBeDefined();
    const res = await request(t.app)
      .post('/index')
      .set('Accept', BROWSER_ACCEPT)
      .type('form')
      .send({ model: other!, text: 'still here' });
    expect(res.status).toBe(200);
    expect(new RegExp(`<option value="${other!}" selected>`).test(res.text)).toBe(true);
    const form = elementById(res.text, 'predict-form') ?? '';
    const textarea = tagsNamed(form, 'textarea')[0] ?? '';
    expect(textarea).toBeDefined();
    expect(res.text).toContain('>still here</textarea>');
    const button = tagsNamed(res.text, 'button').find((tag) => attr(tag, 'formaction') === '/index');
    expect(attr(button ?? '', 'formmethod')).toBe('post');
    expect(attr(button ?? '', 'form')).toBe('predict-form');
  });

  it('stops whitespace-only text in the browser too: a pattern on inputs, a hook for text areas', async () => {
    const res = await request(t.app)
      .post('/index')
      .set('Accept', BROWSER_ACCEPT)
      .type('form')
      .send({ model: 'tweets-mini' });
    const form = elementById(res.text, 'predict-form') ?? '';
    const area = tagsNamed(form, 'textarea')[0] ?? '';
    expect(area).toMatch(/\sdata-not-blank[\s>]/);
    for (const input of tagsNamed(form, 'input').filter((tag) => / required[\s>]/.test(tag))) {
      expect(attr(input, 'pattern')).toBe('.*\\S.*');
    }
    const script = await request(t.app).get('/static/js/enhance.js');
    expect(script.text).toContain('textarea[data-not-blank]');
    expect(script.text).toContain('setCustomValidity');
  });

  it('answers an unknown model with an HTML 404 that names it, escaped', async () => {
    const res = await page(`/index?model=${encodeURIComponent('<svg onload=alert(1)>')}`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectCleanHtml(res.text);
    expect(res.text).not.toContain('<svg onload');
    expect(textOf(res.text)).toContain('There is no model called “<svg onload=alert(1)>”');
    expect(textOf(res.text)).toContain('tweets-mini');
  });

  it('sends the strict CSP with the page and links only same-origin assets', async () => {
    const res = await page('/index');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    for (const tag of [...tagsNamed(res.text, 'link'), ...tagsNamed(res.text, 'script')]) {
      expect(attr(tag, 'href') ?? attr(tag, 'src')).toMatch(/^\/static\//);
    }
  });

  it('serves the stylesheet, script and icon the pages link to', async () => {
    for (const [path, type] of [
      ['/static/css/site.css', 'text/css'],
      ['/static/js/enhance.js', 'javascript'],
      ['/static/favicon.svg', 'image/svg+xml'],
    ]) {
      const res = await request(t.app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain(type);
    }
  });

  it('the CSV upload form posts multipart to /predict with a file field', async () => {
    const res = await page('/index');
    const form =
      tagsNamed(res.text, 'form').find((tag) => attr(tag, 'enctype') === 'multipart/form-data') ?? '';
    expect(attr(form, 'action')).toBe('/predict');
    expect(attr(form, 'method')).toBe('post');
    const file = tagsNamed(res.text, 'input').find((tag) => attr(tag, 'type') === 'file') ?? '';
    expect(attr(file, 'name')).toBe('file');
    expect(textOf(res.text)).toContain('probability_0');
  });
});

describe('POST /predict from the form', () => {
  it('shows the predicted class, a bar per class, coverage and the highlighted input', async () => {
    const fields = {
      text: 'Forest fire near La Ronge Sask. Canada, evacuation ordered',
      keyword: 'wildfire',
      location: '',
    };
    const res = await submit({ model: 'tweets-mini', ...fields });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expectCleanHtml(res.text);
    const text = textOf(res.text);

    // The same row through the JSON API: the page must agree with it.
    const api = await request(t.app)
      .post('/predict')
      .set('Accept', 'application/json')
      .send({ ...fields, model: 'tweets-mini', explain: true });
    expect(api.status).toBe(200);
    const json = api.body as {
      label_name: string;
      probabilities: Record<string, number>;
      coverage: { total: number; known: number };
      explanation: { toward: { term: string; field: string }[]; against: { term: string; field: string }[] };
    };
    expect(textOf(elementById(res.text, 'verdict-heading') ?? '')).toBe(json.label_name);
    const p = Math.max(...Object.values(json.probabilities));
    expect(text).toContain(`${(p * 100).toFixed(1)}% probability`);
    expect(res.text.match(/<li class="bar-row[^"]*">/g)).toHaveLength(2);
    expect(text).toContain(
      `The model knows ${json.coverage.known} of the ${json.coverage.total} terms in this input (${Math.round((json.coverage.known / json.coverage.total) * 100)}%)`,
    );

    // Every word of the lists is marked in the text on the same side, and every mark is a listed
    // word or a weaker one on the same side (issue 17: highlighting and list agree).
    const marks = [
      ...res.text.matchAll(/<mark class="hl (toward|against) s[123]" title="([^"]*)">([^<]*)</g),
    ].map((m) => ({ direction: m[1], title: m[2], word: m[3].toLowerCase() }));
    expect(json.explanation.toward.length + json.explanation.against.length).toBeGreaterThan(0);
    const listed = (side: string) => {
      const column =
        new RegExp(`<h3 class="terms-title ${side}-title">[\\s\\S]*?</ol>`).exec(res.text)?.[0] ?? '';
      return [...column.matchAll(/<span class="term">([^<]*)<\/span>/g)].map((m) => m[1].toLowerCase());
    };
    const toward = listed('toward');
    const against = listed('against');
    expect(toward.length + against.length).toBeGreaterThan(0);
    for (const [direction, words] of [
      ['toward', toward],
      ['against', against],
    ] as const) {
      for (const word of words) {
        const hits = marks.filter((mark) => mark.word === word);
        expect(hits.length).toBeGreaterThan(0);
        for (const hit of hits) {
          expect(hit.direction).toBe(direction);
          expect(hit.title).toMatch(new RegExp(`^Pushes ${direction} ${json.label_name}: `));
        }
      }
    }
    expect(text).toContain(`Toward ${json.label_name}`);

    // Back to the form: a POST carrying the model and the inputs, never a link with the text.
    const editTag = tagsNamed(res.text, 'form').find((tag) => attr(tag, 'id') === 'edit-form') ?? '';
    expect(attr(editTag, 'method')).toBe('post');
    expect(attr(editTag, 'action')).toBe('/index');
    const edit = elementById(res.text, 'edit-form') ?? '';
    const hidden = Object.fromEntries(
      tagsNamed(edit, 'input').map((tag) => [attr(tag, 'name'), attr(tag, 'value')]),
    );
    expect(hidden).toEqual({ model: 'tweets-mini', ...fields });
    for (const tag of tagsNamed(res.text, 'a')) expect(attr(tag, 'href') ?? '').not.toContain('Forest');
  });

  it('shows validation errors on the form itself, as typed, in the form’s words', async () => {
    const res = await submit({ model: 'tweets-mini', text: '   \n ', keyword: 'wild <fire>' });
    expect(res.status).toBe(400);
    expectCleanHtml(res.text);
    const text = textOf(res.text);
    expect(text).toContain('Please check the form.');
    expect(text).toContain('Tweet is empty. Type some text (spaces alone do not count).');
    expect(text).not.toMatch(/field "text"|failed: 1/);
    const form = elementById(res.text, 'predict-form') ?? '';
    const keyword = tagsNamed(form, 'input').find((tag) => attr(tag, 'name') === 'keyword') ?? '';
    expect(attr(keyword, 'value')).toBe('wild <fire>');
    const area = tagsNamed(form, 'textarea')[0] ?? '';
    expect(attr(area, 'aria-invalid')).toBe('true');
    expect(res.text).toContain('<option value="tweets-mini" selected>');

    const long = await submit({ model: 'tweets-mini', text: 'x'.repeat(t.config.maxTextChars + 1) });
    expect(long.status).toBe(400);
    expect(textOf(long.text)).toContain(
      `Tweet is ${(t.config.maxTextChars + 1).toLocaleString('en-US')} characters long; shorten it to`,
    );
  });

  it('echoes hostile input escaped, in the text and in the back link', async () => {
    const res = await submit({ model: 'tweets-mini', text: `fire ${XSS}`, keyword: XSS, location: XSS });
    expect(res.status).toBe(200);
    expectCleanHtml(res.text);
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&lt;img src=x onerror=&#34;alert(1)&#34;&gt;');
  });

  it('warns of a low signal when the model knows none of the terms', async () => {
    const res = await submit({ model: 'sentiment-mini', text: 'Zxqv blorptang quizzlewump' });
    expect(res.status).toBe(200);
    const text = textOf(res.text);
    expect(text).toContain('Low signal:');
    expect(text).toContain('the model knows none of the');
  });

  it('multi-label: one bar per label with the 0.5 threshold marked, the labels that apply as the verdict', async () => {
    const res = await submit({ model: 'toxic-mini', text: 'shut up you idiot, nobody likes you' });
    expect(res.status).toBe(200);
    const labels = registry.get('toxic-mini')?.card.classes.map((c) => c.name) ?? [];
    expect(res.text.match(/<li class="bar-row[^"]*">/g)).toHaveLength(labels.length);
    expect(res.text.match(/class="bar-threshold" x1="50"/g)).toHaveLength(labels.length);
    expect(textOf(res.text)).toContain('The vertical line marks the decision threshold (0.5).');
    const verdict = textOf(elementById(res.text, 'verdict-heading') ?? '');
    expect(verdict.length).toBeGreaterThan(0);
    expect(res.text).toContain('applies</span>');
  });

  it('a missing required field is an HTML 400 saying what is missing', async () => {
    const res = await submit({ model: 'tweets-mini', text: '', keyword: 'fire' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectCleanHtml(res.text);
    expect(textOf(res.text)).toMatch(/text/i);
    expect(res.text).toContain('href="/index"');
  });

  it('an unknown model in the form is an HTML 404', async () => {
    const res = await submit({ model: 'nope', text: 'fire' });
    expect(res.status).toBe(404);
    expect(textOf(res.text)).toContain('nope');
  });
});

describe('HTML errors', () => {
  it('an unknown path is a 404 page with a way back', async () => {
    const res = await page('/no/such/page');
    expect(res.status).toBe(404);
    expectCleanHtml(res.text);
    expect(textOf(elementById(res.text, 'error-heading') ?? '')).toBe('Page not found');
  });

  it('a wrong method on a page is a 405 page', async () => {
    const res = await request(t.app).put('/index').set('Accept', BROWSER_ACCEPT);
    expect(res.status).toBe(405);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(textOf(res.text)).toContain('Method not allowed');
  });
});
