/**
 * Files as Excel (CSV UTF-8, CSV UTF-8 with ";", CSV = Windows-1252, Unicode Text = UTF-16LE with
 * tabs), LibreOffice, Google Sheets, pandas' to_csv and a hand-typed file save them
 * (test/fixtures/csv, made by scripts/gen_csv_fixtures.py), uploaded to POST /predict and sent to
 * SageMaker's /invocations: every row and cell comes back as pandas reads it, plus the predictions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { neutraliseCell } from '../../src/csv/write';
import { useFixtureApp } from '../helpers/app';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'csv');

interface Expected {
  encoding: string;
  delimiter: 'comma' | 'semicolon' | 'tab';
  header: string[];
  rows: string[][];
}

const EXPECTED = JSON.parse(readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<
  string,
  Expected
>;
const CHARS = { comma: ',', semicolon: ';', tab: '\t' } as const;
const ADDED = ['predicted_label', 'predicted_label_name', 'probability_0', 'probability_1'];
const PREDICTION_COLUMNS = [...ADDED, 'coverage_ratio', 'low_signal', 'model_version'];

const app = useFixtureApp();

function readDownload(res: request.Response, expected: Expected): string[][] {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
  expect(res.headers['x-csv-delimiter']).toBe(expected.delimiter);
  // The download is UTF-8 with a byte-order mark whenever Excel would otherwise misread it.
  if (expected.encoding !== 'utf-8' || res.text.startsWith('\ufeff')) expect(res.text[0]).toBe('\ufeff');
  return parse(res.text, { bom: true, delimiter: CHARS[expected.delimiter] }) as string[][];
}

describe.each(Object.keys(EXPECTED))('%s', (name) => {
  const expected = EXPECTED[name];
  const bytes = readFileSync(path.join(DIR, name));
  const width = expected.header.length;
  const hasId = expected.header.includes('id');

  it('comes back with every row and cell intact (formula_guard=off) plus the predictions', async () => {
    const res = await request(app().app)
      .post('/predict')
      .field('formula_guard', 'off')
      .attach('file', bytes, name);
    const rows = readDownload(res, expected);
    expect(res.headers['x-csv-encoding']).toBe(expected.encoding);
    if (expected.encoding === 'windows-1252') {
      expect(res.headers['x-csv-notice']).toMatch(/read as Windows-1252/);
    } else {
      expect(res.headers['x-csv-notice']).toBeUndefined();
    }
    expect(res.headers['x-csv-cells-neutralised']).toBe('0');
    expect(res.headers['x-csv-join-column']).toBe(hasId ? 'id' : 'row_number');
    expect(rows[0]).toEqual([...expected.header, ...(hasId ? [] : ['row_number']), ...PREDICTION_COLUMNS]);
    expect(rows.slice(1).map((row) => row.slice(0, width))).toEqual(expected.rows);
    for (const row of rows.slice(1)) {
      expect(row).toHaveLength(rows[0].length);
      expect(['0', '1']).toContain(row[rows[0].indexOf('predicted_label')]);
    }
  });

  it('neutralises formula-like cells by default and says how many', async () => {
    const res = await request(app().app).post('/predict').attach('file', bytes, name);
    const rows = readDownload(res, expected);
    const cells = [expected.header, ...expected.rows].flat();
    const changed = cells.filter((cell) => neutraliseCell(cell) !== cell).length;
    expect(changed).toBeGreaterThan(0);
    expect(res.headers['x-csv-cells-neutralised']).toBe(String(changed));
    expect(rows.slice(1).map((row) => row.slice(0, width))).toEqual(
      expected.rows.map((row) => row.map(neutraliseCell)),
    );
  });

  it('reads the same as a text/csv body on /predict and on SageMaker /invocations', async () => {
    const upload = readDownload(
      await request(app().app).post('/predict').attach('file', bytes, name),
      expected,
    );
    const body = await request(app().app).post('/predict').set('Content-Type', 'text/csv').send(bytes);
    expect(readDownload(body, expected)).toEqual(upload);

    const sagemaker = await request(app().app)
      .post('/invocations')
      .set('Content-Type', 'text/csv')
      .set('Accept', 'text/csv')
      .send(bytes);
    expect(sagemaker.status).toBe(200);
    expect(sagemaker.headers['x-csv-encoding']).toBe(expected.encoding);
    expect(sagemaker.headers['x-csv-delimiter']).toBe(expected.delimiter);
    const answers = parse(sagemaker.text) as string[][];
    const labels = upload.slice(1).map((row) => row[upload[0].indexOf('predicted_label')]);
    expect(answers.map((row) => row[0])).toEqual(labels);
  });
});
