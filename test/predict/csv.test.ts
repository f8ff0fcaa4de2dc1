import { parse } from 'csv-parse/sync';
import { HttpError } from '../../src/errors';
import { MAX_CSV_COLUMNS, mapColumns, parseCsv, predictionsToCsv } from '../../src/predict/csv';
import { neutraliseCell } from '../../src/csv/write';
import { predictRows } from '../../src/predict/predict';
import type { ModelInputs } from '../../src/predict/input';
import type { SiftRegistry } from '../../src/model/registry';
import { loadFixtureRegistry } from '../helpers/app';

const INPUTS: ModelInputs = [
  { name: 'text', label: 'Text', required: true, multiline: true, example: '' },
  { name: 'keyword', label: 'Keyword', required: false, multiline: false, example: '' },
];
const LIMITS = { maxTextChars: 100, maxBatch: 10, maxCsvRows: 5 };

async function failure(fn: () => unknown): Promise<HttpError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('neutraliseCell', () => {
  it.each(['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx', '\nx', '\0x', '＝1', '-1+cmd|" /C calc"!A0'])(
    'neutralises %p',
    (cell) => {
      expect(neutraliseCell(cell)).toBe(`'${cell}`);
    },
  );
  it.each(['plain', '', '-0.5', '+3', '12', '1e-5', 'a=b', ' =1'])('keeps %p', (cell) => {
    expect(neutraliseCell(cell)).toBe(cell);
  });
});

describe('parseCsv', () => {
  it('reads RFC 4180: quotes, escaped quotes, commas and newlines in cells, CRLF, a BOM', async () => {
    const table = await parseCsv('\ufeffid,text\r\n1,"a, ""b""\r\nc"\r\n2,plain\r\n', INPUTS, LIMITS);
    expect(table.columns).toEqual(['id', 'text']);
    expect(table.records).toEqual([
      ['1', 'a, "b"\r\nc'],
      ['2', 'plain'],
    ]);
    expect(table.rows).toEqual([
      { text: 'a, "b"\r\nc', keyword: '' },
      { text: 'plain', keyword: '' },
    ]);
  });

  it('skips empty lines', async () => {
    expect((await parseCsv('text\n\na\n\n', INPUTS, LIMITS)).rows).toHaveLength(1);
    // A CRLF header followed by LF rows (files edited on two systems) is still one table.
    const mixed = await parseCsv('id,text\r\n1,"quoted, cell"\n2,plain\r3,last\n', INPUTS, LIMITS);
    expect(mixed.rows.map((row) => row.text)).toEqual(['quoted, cell', 'plain', 'last']);
  });

  it('400s an empty file, a header alone and ragged rows', async () => {
    expect((await failure(() => parseCsv('', INPUTS, LIMITS))).message).toMatch(/empty/);
    expect((await failure(() => parseCsv('text\n', INPUTS, LIMITS))).message).toMatch(/no data rows/);
    const ragged = await failure(() => parseCsv('id,text\n1,a\n2,b,c\n3,d\n4,"e\nf",g,h\n', INPUTS, LIMITS));
    expect(ragged.code).toBe('invalid_csv');
    expect(ragged.message).toBe(
      'the CSV is malformed: the header has 2 cells but line 3 has 3, line 5 has 4; a cell that contains the delimiter (comma) must be in double quotes',
    );
    expect(ragged.details).toEqual({ reason: 'too_many_cells', delimiter: 'comma', lines: [3, 5] });
    // Shorter rows are padded with empty cells, as pandas reads them.
    expect((await parseCsv('id,text,keyword\n1,a\n', INPUTS, LIMITS)).records).toEqual([['1', 'a', '']]);
  });

  it('tells the user what to change: a wrong delimiter, a workbook instead of its CSV', async () => {
    const wrong = await failure(() => parseCsv('id;text\n1;fire\n', INPUTS, LIMITS, { delimiter: ',' }));
    expect(wrong.message).toBe(
      'the CSV has no "text" column; columns found: "id;text" (the header was read with the delimiter comma but holds a semicolon; set delimiter=semicolon)',
    );
    const xlsx = await failure(() =>
      parseCsv(Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'), INPUTS, LIMITS),
    );
    expect(xlsx.message).toMatch(
      /^this is a spreadsheet workbook \(.xlsx, .xls or .ods\), not a CSV file; save it as "CSV UTF-8"/,
    );
  });

  it('413s too many rows and too many columns', async () => {
    expect((await failure(() => parseCsv('text\na\nb\nc\nd\ne\nf\n', INPUTS, LIMITS))).status).toBe(413);
    const wide = `text,${Array.from({ length: MAX_CSV_COLUMNS }, (_, i) => `c${i}`).join(',')}\n`;
    expect(
      (await failure(() => parseCsv(`${wide}a${','.repeat(MAX_CSV_COLUMNS)}\n`, INPUTS, LIMITS))).status,
    ).toBe(413);
  });
});

describe('mapColumns', () => {
  it('prefers an exact header, then one ignoring case', () => {
    expect([...mapColumns(['Text', 'text'], INPUTS)]).toEqual([['text', 1]]);
    expect([...mapColumns(['KEYWORD', ' x', 'TEXT'], INPUTS)]).toEqual([
      ['text', 2],
      ['keyword', 0],
    ]);
  });

  it('400s ambiguous and duplicate columns', async () => {
    expect((await failure(() => mapColumns(['TEXT', 'Text'], INPUTS))).message).toMatch(
      /2 columns named "text"/,
    );
    expect((await failure(() => mapColumns(['text', 'text'], INPUTS))).message).toMatch(
      /more than one column named "text"/,
    );
  });
});

describe('predictionsToCsv', () => {
  let registry: SiftRegistry;
  beforeAll(async () => {
    registry = await loadFixtureRegistry();
  });
  afterAll(async () => {
    await registry.close();
  });

  it('writes multi-label predictions with joined labels and one probability per label', async () => {
    const table = await parseCsv('text,label\nshut up you idiot,=bad\nhave a nice day,ok\n', INPUTS, LIMITS);
    const result = await predictRows({ registry }, 'toxic-mini', table.rows);
    const out = (await predictionsToCsv(table, result)).text;
    const rows = parse(out) as string[][];
    expect(rows[0]).toEqual([
      'text',
      'label',
      'row_number',
      'predicted_labels',
      'predicted_label_names',
      'probability_0',
      'probability_1',
      'probability_2',
      'coverage_ratio',
      'low_signal',
      'model_version',
    ]);
    expect(rows[1][1]).toBe("'=bad");
    const names = ['Toxic', 'Obscene', 'Insult'];
    result.predictions.forEach((p, i) => {
      expect(rows[i + 1][2]).toBe(String(i + 1));
      expect(rows[i + 1][3]).toBe(p.positives.join('|'));
      expect(rows[i + 1][4]).toBe(p.positives.map((k) => names[k]).join('|'));
      expect(rows[i + 1].slice(5, 8).map(Number)).toEqual(p.values.map((v) => Number(String(v))));
    });
    expect(out.endsWith('\r\n')).toBe(true);
  });

  it('renames generated columns that clash with the file', async () => {
    const table = await parseCsv('id,text,predicted_label\n7,fire,x\n', INPUTS, LIMITS);
    const result = await predictRows({ registry }, 'tweets-mini', table.rows);
    const header = (parse((await predictionsToCsv(table, result)).text) as string[][])[0];
    expect(header.slice(0, 5)).toEqual([
      'id',
      'text',
      'predicted_label',
      'predicted_label_predicted',
      'predicted_label_name',
    ]);
  });
});
