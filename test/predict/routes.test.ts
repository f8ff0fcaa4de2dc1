/**
 * The prediction API over HTTP: every request format, every answer format, every status code the
 * prediction routes return. Real fixture bundles, real onnxruntime, real Express app.
 */
import request from 'supertest';
import { parse } from 'csv-parse/sync';
import type { SiftRegistry } from '../../src/model/registry';
import { buildTestApp, loadFixtureRegistry, type TestApp } from '../helpers/app';

let registry: SiftRegistry;
let t: TestApp;

beforeAll(async () => {
  registry = await loadFixtureRegistry();
  t = buildTestApp(registry);
});
afterAll(async () => {
  await registry.close();
});

const FIRE = 'Forest fire near La Ronge Sask. Canada';

interface PredictionBody {
  model?: string;
  label?: number | string | null;
  label_name?: string | null;
  labels?: (number | string)[];
  label_names?: string[];
  probabilities?: Record<string, number>;
  coverage: { total: number; known: number; ratio: number };
  low_signal: boolean;
  explanation?: {
    class: number | string;
    class_name: string;
    toward: { term: string }[];
    against: unknown[];
  };
}

function expectProbabilities(body: PredictionBody, keys: string[]): void {
  expect(Object.keys(body.probabilities ?? {})).toEqual(keys);
  const sum = Object.values(body.probabilities ?? {}).reduce((a, b) => a + b, 0);
  expect(sum).toBeCloseTo(1, 5);
}

describe('POST /predict with JSON', () => {
  it('predicts one row with the default model', async () => {
    const res = await request(t.app)
      .post('/predict')
      .send({ text: FIRE, keyword: 'wildfire', location: 'Canada' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.body as PredictionBody;
    expect(body.model).toBe('tweets-mini');
    expect([0, 1]).toContain(body.label);
    expect(body.label_name).toBe(body.label === 1 ? 'Real disaster' : 'Not a disaster');
    expectProbabilities(body, ['0', '1']);
    expect(body.coverage.total).toBeGreaterThan(0);
    expect(body.coverage.ratio).toBeCloseTo(body.coverage.known / body.coverage.total, 10);
    expect(body.low_signal).toBe(false);
    expect(body.explanation).toBeUndefined();
  });

  it('answers exactly what the model predicts for the same row', async () => {
    const model = registry.get('tweets-mini');
    const [direct] = await model!.predict([{ text: FIRE, keyword: '', location: '' }]);
    const res = await request(t.app).post('/predict').send({ text: FIRE });
    expect((res.body as PredictionBody).probabilities).toEqual({
      '0': direct.values[0],
      '1': direct.values[1],
    });
  });

  it('explains when asked in the body or the query, and not otherwise', async () => {
    const inBody = await request(t.app).post('/predict').send({ text: FIRE, explain: true, top_terms: 2 });
    expect(inBody.status).toBe(200);
    const explanation = (inBody.body as PredictionBody).explanation!;
    expect(explanation.class).toBe((inBody.body as PredictionBody).label);
    expect(explanation.toward.length).toBeLessThanOrEqual(2);
    expect(explanation.toward.length + explanation.against.length).toBeGreaterThan(0);

    const inQuery = await request(t.app).post('/predict?explain=true').send({ text: FIRE });
    expect((inQuery.body as PredictionBody).explanation).toBeDefined();
    const off = await request(t.app).post('/predict?explain=false').send({ text: FIRE });
    expect((off.body as PredictionBody).explanation).toBeUndefined();
  });

  it('explains by default when EXPLAIN_DEFAULT is on, unless the request says no', async () => {
    const explaining = buildTestApp(registry, { explainDefault: true });
    const on = await request(explaining.app).post('/predict').send({ text: FIRE });
    expect((on.body as PredictionBody).explanation).toBeDefined();
    const off = await request(explaining.app).post('/predict').send({ text: FIRE, explain: false });
    expect((off.body as PredictionBody).explanation).toBeUndefined();
  });

  it('predicts a batch of objects and strings, one answer per row in order', async () => {
    const res = await request(t.app)
      .post('/predict')
      .send({
        instances: [{ text: FIRE }, 'what a lovely sunny day', { text: 'flood warning', keyword: 'flood' }],
      });
    expect(res.status).toBe(200);
    const body = res.body as { model: string; predictions: PredictionBody[] };
    expect(body.model).toBe('tweets-mini');
    expect(body.predictions).toHaveLength(3);
    const single = await request(t.app).post('/predict').send({ text: 'what a lovely sunny day' });
    expect(body.predictions[1].probabilities).toEqual((single.body as PredictionBody).probabilities);
  });

  it('takes a top-level array as a batch', async () => {
    const res = await request(t.app).post('/predict').send(['one fire', 'two floods']);
    expect(res.status).toBe(200);
    expect((res.body as { predictions: unknown[] }).predictions).toHaveLength(2);
  });

  it('answers the seed SageMaker shape {"input": [...]} with {"output": [...]}', async () => {
    const res = await request(t.app)
      .post('/predict')
      .send({ input: [{ text: FIRE }, { text: 'lovely day' }] });
    expect(res.status).toBe(200);
    const body = res.body as { output: PredictionBody[] };
    expect(Object.keys(body)).toEqual(['output']);
    expect(body.output).toHaveLength(2);
    expect(body.output[0]).toHaveProperty('label');
  });

  it('picks the model from the body or the query', async () => {
    const byBody = await request(t.app)
      .post('/predict')
      .send({ text: 'worst flight ever', model: 'sentiment-mini' });
    expect(byBody.status).toBe(200);
    expect((byBody.body as PredictionBody).model).toBe('sentiment-mini');
    expect(['negative', 'neutral', 'positive']).toContain((byBody.body as PredictionBody).label);
    expectProbabilities(byBody.body as PredictionBody, ['negative', 'neutral', 'positive']);

    const byQuery = await request(t.app)
      .post('/predict?model=sentiment-mini')
      .send({ text: 'worst flight ever' });
    expect((byQuery.body as PredictionBody).model).toBe('sentiment-mini');
  });

  it('answers multi-label models with labels and label_names', async () => {
    const res = await request(t.app)
      .post('/predict?model=toxic-mini')
      .send({ text: 'shut up you idiot, nobody likes you' });
    expect(res.status).toBe(200);
    const body = res.body as PredictionBody;
    expect(body.label).toBeUndefined();
    expect(Array.isArray(body.labels)).toBe(true);
    expect(body.label_names).toHaveLength(body.labels!.length);
    expect(Object.keys(body.probabilities!)).toEqual(['0', '1', '2']);
    const names = { 0: 'Toxic', 1: 'Obscene', 2: 'Insult' } as Record<string, string>;
    expect(body.label_names).toEqual(body.labels!.map((l) => names[String(l)]));
    for (const [key, p] of Object.entries(body.probabilities!)) {
      expect(body.labels!.map(String).includes(key)).toBe(p > 0.5);
    }
  });

  it('flags low signal when the model knows none of the words', async () => {
    const res = await request(t.app).post('/predict').send({ text: 'zzqx vvbnm qwrtp' });
    expect(res.status).toBe(200);
    const body = res.body as PredictionBody;
    expect(body.coverage.known).toBe(0);
    expect(body.low_signal).toBe(true);
  });

  it('accepts media types with parameters and +json', async () => {
    const res = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/vnd.sift+json; charset=UTF-8')
      .send(JSON.stringify({ text: FIRE }));
    expect(res.status).toBe(200);
  });
});

describe('POST /models/:name/predict', () => {
  it('uses the model in the path', async () => {
    const res = await request(t.app)
      .post('/models/sentiment-mini/predict')
      .send({ text: 'thanks, great crew' });
    expect(res.status).toBe(200);
    expect((res.body as PredictionBody).model).toBe('sentiment-mini');
  });

  it('refuses a body naming another model', async () => {
    const res = await request(t.app)
      .post('/models/sentiment-mini/predict')
      .send({ text: 'x', model: 'tweets-mini' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/URL names "sentiment-mini"/);
  });

  it('404s an unknown model, listing the loaded ones', async () => {
    const res = await request(t.app).post('/models/nope/predict').send({ text: 'x' });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ status: 404, code: 'not_found' });
    expect(res.body.error.message).toContain(
      'sentiment-mini, tweets-mini, toxic-mini'.split(', ').sort().join(', '),
    );
  });

  it('404s path traversal and odd names without touching the file system', async () => {
    for (const name of ['..%2F..%2Fetc%2Fpasswd', '__proto__', 'constructor', '%00', 'a'.repeat(300)]) {
      const res = await request(t.app).post(`/models/${name}/predict`).send({ text: 'x' });
      expect(res.status).toBe(404);
    }
  });
});

describe('forms and plain text', () => {
  it('takes an urlencoded form and answers JSON to API clients', async () => {
    const res = await request(t.app)
      .post('/predict')
      .type('form')
      .send({ text: FIRE, keyword: 'wildfire', submit: 'Classify' });
    expect(res.status).toBe(200);
    expect((res.body as PredictionBody).model).toBe('tweets-mini');
  });

  it('renders the result page for a browser form post, explanation included', async () => {
    const res = await request(t.app)
      .post('/predict')
      .set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')
      .type('form')
      .send({ text: `${FIRE} <script>alert(1)</script>`, model: 'tweets-mini' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;');
    expect(res.text).toMatch(/Real disaster|Not a disaster/);
  });

  it('takes a multipart form without a file as one row', async () => {
    const res = await request(t.app).post('/predict').field('text', FIRE).field('model', 'tweets-mini');
    expect(res.status).toBe(200);
    expect((res.body as PredictionBody).model).toBe('tweets-mini');
  });

  it('takes text/plain as the text of the main input', async () => {
    const res = await request(t.app).post('/predict').set('Content-Type', 'text/plain').send(FIRE);
    expect(res.status).toBe(200);
    const json = await request(t.app).post('/predict').send({ text: FIRE });
    expect((res.body as PredictionBody).probabilities).toEqual((json.body as PredictionBody).probabilities);
  });

  it('400s a repeated input field in a form', async () => {
    const res = await request(t.app).post('/predict').type('form').send('text=a&text=b');
    expect(res.status).toBe(400);
    expect(res.body.error.details.rows[0]).toMatchObject({
      field: 'text',
      message: 'must be a string, got an array',
    });
  });
});

describe('CSV', () => {
  const csv =
    'id,text,keyword\r\n1,"Forest fire, near La Ronge",wildfire\r\n2,"=HYPERLINK(""http://x"")",\r\n3,"multi\nline ""quoted""",\r\n';

  function readCsv(text: string): string[][] {
    return parse(text, { relax_column_count: false }) as string[][];
  }

  it('returns a CSV download with the original columns and the prediction columns', async () => {
    const res = await request(t.app).post('/predict').attach('file', Buffer.from(csv), 'tweets.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="predictions-tweets-mini.csv"');
    expect(res.text).toContain('\r\n');
    const rows = readCsv(res.text);
    expect(rows[0]).toEqual([
      'id',
      'text',
      'keyword',
      'predicted_label',
      'predicted_label_name',
      'probability_0',
      'probability_1',
      'coverage_ratio',
      'low_signal',
      'model_version',
    ]);
    expect(rows).toHaveLength(4);
    expect(rows[1].slice(0, 3)).toEqual(['1', 'Forest fire, near La Ronge', 'wildfire']);
    expect(rows[2][1]).toBe(`'=HYPERLINK("http://x")`);
    expect(rows[3][1]).toBe('multi\nline "quoted"');
    const json = await request(t.app)
      .post('/predict')
      .send({ text: 'Forest fire, near La Ronge', keyword: 'wildfire' });
    expect(Number(rows[1][6])).toBeCloseTo((json.body as PredictionBody).probabilities!['1'], 6);
  });

  it('takes a text/csv body too, and answers JSON when Accept asks for it', async () => {
    const asCsv = await request(t.app).post('/predict').set('Content-Type', 'text/csv').send(csv);
    expect(asCsv.status).toBe(200);
    expect(asCsv.headers['content-type']).toMatch(/^text\/csv/);

    const asJson = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'text/csv')
      .set('Accept', 'application/json')
      .send(csv);
    expect(asJson.status).toBe(200);
    expect((asJson.body as { predictions: unknown[] }).predictions).toHaveLength(3);
  });

  it('matches headers case-insensitively and uses the model named in the form', async () => {
    const res = await request(t.app)
      .post('/predict')
      .field('model', 'sentiment-mini')
      .attach('file', Buffer.from('TEXT\nworst airline ever\n'), 'a.csv');
    expect(res.status).toBe(200);
    expect(readCsv(res.text)[0]).toEqual([
      'TEXT',
      'row_number',
      'predicted_label',
      'predicted_label_name',
      'probability_negative',
      'probability_neutral',
      'probability_positive',
      'coverage_ratio',
      'low_signal',
      'model_version',
    ]);
  });

  it('400s a CSV without the text column, listing the columns found', async () => {
    const res = await request(t.app)
      .post('/predict')
      .attach('file', Buffer.from('id,body\n1,hello\n'), 'a.csv');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('missing_columns');
    expect(res.body.error.message).toBe(
      'the CSV has no "text" column; columns found: "id", "body". Uploads may have up to 10,000 data rows (MAX_CSV_ROWS) and 5 MB (MAX_UPLOAD_BYTES) per file.',
    );
    expect(res.body.error.details).toMatchObject({ missing: ['text'], found: ['id', 'body'] });
  });

  it('400s rows with empty text, naming each row and its line', async () => {
    const res = await request(t.app)
      .post('/predict')
      .attach('file', Buffer.from('id,text\n1,ok\n2,\n3,"two\nlines"\n4,  \n'), 'a.csv');
    expect(res.status).toBe(400);
    expect(res.body.error.details.rows).toEqual([
      { index: 1, line: 3, field: 'text', message: 'is empty' },
      { index: 3, line: 6, field: 'text', message: 'is empty' },
    ]);
  });

  it('400s malformed CSV without quoting the cell', async () => {
    const res = await request(t.app)
      .post('/predict')
      .attach('file', Buffer.from('id,text\n1,ok\n2,"secret stuff\n3,more\n'), 'a.csv');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_csv');
    expect(res.body.error.message).toMatch(
      /^the CSV is malformed: line 3 opens a quote that is never closed/,
    );
    expect(res.body.error.message).not.toContain('secret');
  });

  it('413s more rows than MAX_CSV_ROWS and files larger than MAX_UPLOAD_BYTES', async () => {
    const small = buildTestApp(registry, { maxCsvRows: 2, maxUploadBytes: 2048 });
    const tooMany = await request(small.app)
      .post('/predict')
      .attach('file', Buffer.from('text\na\nb\nc\n'), 'a.csv');
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.message).toBe(
      'the CSV has more than 2 data rows (MAX_CSV_ROWS; line 4 is row 3); split it into smaller files. Uploads may have up to 2 data rows (MAX_CSV_ROWS) and 2 KB (MAX_UPLOAD_BYTES) per file.',
    );
    const tooBig = await request(small.app)
      .post('/predict')
      .attach('file', Buffer.from(`text\n${'x'.repeat(3000)}\n`), 'a.csv');
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.message).toBe(
      'the uploaded file is larger than 2 KB (2048 bytes, MAX_UPLOAD_BYTES); uploads may have up to 2 data rows (MAX_CSV_ROWS) and 2 KB (MAX_UPLOAD_BYTES) per file',
    );
  });

  it('takes delimiter and formula_guard from the query string or the form, and 400s bad values', async () => {
    const body = 'text;note\n"=1+1, not a formula";@here\n';
    const res = await request(t.app)
      .post('/predict?delimiter=semicolon&formula_guard=off')
      .set('Content-Type', 'text/csv')
      .send(body);
    expect(res.status).toBe(200);
    expect(res.headers['x-csv-delimiter']).toBe('semicolon');
    expect(res.headers['x-csv-cells-neutralised']).toBe('0');
    expect((parse(res.text, { delimiter: ';' }) as string[][])[1].slice(0, 3)).toEqual([
      '=1+1, not a formula',
      '@here',
      '1',
    ]);
    const guarded = await request(t.app)
      .post('/predict')
      .field('delimiter', ';')
      .attach('file', Buffer.from(body), 'a.csv');
    expect(guarded.headers['x-csv-cells-neutralised']).toBe('2');
    expect(guarded.headers['x-csv-join-column']).toBe('row_number');
    expect(guarded.headers['x-csv-rows']).toBe('1');
    const comma = await request(t.app)
      .post('/predict?delimiter=comma')
      .attach('file', Buffer.from('text\na;b\n'), 'a.csv');
    expect((parse(comma.text) as string[][])[1][0]).toBe('a;b');
    const bad = await request(t.app)
      .post('/predict?delimiter=colon')
      .attach('file', Buffer.from(body), 'a.csv');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/"delimiter" must be auto, comma/);
    const badGuard = await request(t.app)
      .post('/predict?formula_guard=maybe')
      .attach('file', Buffer.from(body), 'a.csv');
    expect(badGuard.status).toBe(400);
  });

  it('follows a text/csv charset, 415s an unknown one and 400s bytes that do not match it', async () => {
    const latin = Buffer.from([0x74, 0x65, 0x78, 0x74, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]);
    const declared = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'text/csv; charset=windows-1252')
      .send(latin);
    expect(declared.status).toBe(200);
    expect(declared.headers['x-csv-encoding']).toBe('windows-1252');
    expect(declared.headers['x-csv-notice']).toBeUndefined();
    expect((parse(declared.text, { bom: true }) as string[][])[1][0]).toBe('café');
    const unknown = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'text/csv; charset=x-klingon')
      .send(latin);
    expect(unknown.status).toBe(415);
    const wrong = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'text/csv; charset=utf-8')
      .send(latin);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(
      /^the request declares charset=utf-8, but line 2 has bytes that are not UTF-8/,
    );
  });

  it('400s a file in another field and 413s a second file', async () => {
    const other = await request(t.app).post('/predict').attach('upload', Buffer.from('text\na\n'), 'a.csv');
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/field "file"/);
    const two = await request(t.app)
      .post('/predict')
      .attach('file', Buffer.from('text\na\n'), 'a.csv')
      .attach('file', Buffer.from('text\nb\n'), 'b.csv');
    expect([400, 413]).toContain(two.status);
  });
});

describe('validation errors', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a number', { text: 42 }, /field "text" must be a string, got a number/],
    ['null', { text: null }, /field "text" must be a string, got null/],
    ['an array', { text: ['a'] }, /field "text" must be a string, got an array/],
    ['an object', { text: { a: 1 } }, /field "text" must be a string, got an object/],
    ['missing text', { keyword: 'fire' }, /field "text" is required/],
    ['empty text', { text: '' }, /field "text" is empty/],
    ['blank text', { text: ' \n\t ' }, /field "text" is empty/],
    ['an unknown field', { text: 'a', keywords: 'fire' }, /field "keywords" is not an input of this model/],
    ['a non-boolean explain', { text: 'a', explain: 'yes' }, /"explain" is a string/],
    ['a bad top_terms', { text: 'a', top_terms: 0 }, /"top_terms" must be a whole number/],
    ['a non-string model', { text: 'a', model: 3 }, /"model" is a number/],
    ['a JSON string', 'just text', /the body is a string/],
    ['instances that are not an array', { instances: 'x' }, /"instances" is a string/],
    [
      'extra keys next to instances',
      { instances: ['a'], text: 'b' },
      /unknown top-level field\(s\) next to "instances": "text"/,
    ],
    ['an empty batch', { instances: [] }, /no rows to predict/],
  ];
  it.each(cases)('400s %s', async (_name, body, message) => {
    const res = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.body.error.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('lists exactly the failing rows of a batch', async () => {
    const res = await request(t.app)
      .post('/predict')
      .send({ instances: ['fine', { text: 1 }, 'fine', '', { text: 'ok', extra: 'x' }, 7] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(res.body.error.details).toEqual({
      failed: 4,
      rows: [
        { index: 1, field: 'text', message: 'must be a string, got a number' },
        { index: 3, field: 'text', message: 'is empty' },
        {
          index: 4,
          field: 'extra',
          message: 'is not an input of this model (inputs: text, keyword, location)',
        },
        { index: 5, field: '', message: 'is a number; a row must be an object of fields or a string' },
      ],
    });
  });

  it('400s text longer than MAX_TEXT_CHARS and 413s batches over MAX_BATCH', async () => {
    const small = buildTestApp(registry, { maxTextChars: 10, maxBatch: 2 });
    const long = await request(small.app)
      .post('/predict')
      .send({ text: 'x'.repeat(11) });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/11 characters long; the limit is 10 \(MAX_TEXT_CHARS\)/);
    const exact = await request(small.app)
      .post('/predict')
      .send({ text: 'x'.repeat(10) });
    expect(exact.status).toBe(200);
    const big = await request(small.app)
      .post('/predict')
      .send({ instances: ['a', 'b', 'c'] });
    expect(big.status).toBe(413);
    expect(big.body.error.message).toMatch(/MAX_BATCH/);
  });

  it('400s an empty body and a request without one', async () => {
    const empty = await request(t.app).post('/predict').set('Content-Type', 'application/json').send('');
    expect(empty.status).toBe(400);
    const none = await request(t.app).post('/predict');
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('empty_body');
  });

  it('400s invalid JSON without echoing it', async () => {
    const res = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .send('{"text": "secret"');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    expect(res.body.error.message).not.toContain('secret');
  });

  it('replaces invalid UTF-8 and lone surrogates with U+FFFD rather than failing', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"text": "fire '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const res = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .serialize(() => bytes as unknown as string)
      .send({});
    expect(res.status).toBe(200);
    const surrogate = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .send('{"text": "fire \\ud800 here"}');
    expect(surrogate.status).toBe(200);
  });

  it('415s other content types and charsets', async () => {
    const xml = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/xml')
      .send('<text>a</text>');
    expect(xml.status).toBe(415);
    expect(xml.body.error.message).toMatch(/application\/json/);
    const latin1 = await request(t.app)
      .post('/predict')
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{"text": "a"}');
    expect(latin1.status).toBe(415);
  });

  it('413s JSON bodies over MAX_BODY_BYTES', async () => {
    const small = buildTestApp(registry, { maxBodyBytes: 1024 });
    const res = await request(small.app)
      .post('/predict')
      .send({ text: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/MAX_BODY_BYTES/);
  });
});

describe('errors as HTML for browsers', () => {
  it('renders the error page with the message, never a stack trace', async () => {
    const res = await request(t.app)
      .post('/predict')
      .set('Accept', 'text/html')
      .type('form')
      .send({ text: '' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('is empty');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('GET /models and /models/:name', () => {
  it('lists every loaded model with the default flagged', async () => {
    const res = await request(t.app).get('/models');
    expect(res.status).toBe(200);
    expect(res.body.default).toBe('tweets-mini');
    const models = res.body.models as {
      name: string;
      default: boolean;
      ready: boolean;
      inputs: { name: string }[];
    }[];
    expect(models.map((m) => m.name).sort()).toEqual(['sentiment-mini', 'toxic-mini', 'tweets-mini']);
    expect(models.filter((m) => m.default).map((m) => m.name)).toEqual(['tweets-mini']);
    expect(models.every((m) => m.ready)).toBe(true);
    expect(models.find((m) => m.name === 'tweets-mini')!.inputs.map((i) => i.name)).toEqual([
      'text',
      'keyword',
      'location',
    ]);
  });

  it('gives one model with its card', async () => {
    const res = await request(t.app).get('/models/toxic-mini');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'toxic-mini', task: 'multilabel', card: { name: 'toxic-mini' } });
    expect(res.body.card.classes).toHaveLength(3);
  });

  it('404s an unknown model', async () => {
    const res = await request(t.app).get('/models/unknown');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('a model that stops working', () => {
  it('answers 503 for that model while the others keep serving', async () => {
    const own = await loadFixtureRegistry();
    try {
      const app = buildTestApp(own).app;
      await own.get('sentiment-mini')!.close();
      const broken = await request(app).post('/models/sentiment-mini/predict').send({ text: 'hello' });
      expect(broken.status).toBe(503);
      expect(broken.body.error.code).toBe('model_unavailable');
      expect(broken.body.error.message).toBe(
        'model "sentiment-mini" is not available: closed; see GET /ready',
      );
      const fine = await request(app).post('/models/tweets-mini/predict').send({ text: 'hello' });
      expect(fine.status).toBe(200);
      // Not the default and not required: the server stays ready and says which model is down.
      const ready = await request(app).get('/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.models).toContainEqual(
        expect.objectContaining({ name: 'sentiment-mini', state: 'not_ready', reason: 'closed' }),
      );
      expect((await request(app).get('/models/sentiment-mini/ready')).status).toBe(503);
    } finally {
      await own.close();
    }
  });
});
