/**
 * Round trip, as a property: random cells (line breaks, quotes, every delimiter, tabs, Unicode,
 * leading = + - @) written by a standard CSV writer in any delimiter, line end, quoting and BOM →
 * uploaded to POST /predict → the download parsed by a standard parser → the same cells, once per
 * row, in order (verbatim with formula_guard=off, neutralised by default).
 */
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import request from 'supertest';
import { neutraliseCell } from '../../src/csv/write';
import { useFixtureApp } from '../helpers/app';

const app = useFixtureApp();

const ALPHABET = [
  ...'abcXYZ019 ',
  '\n',
  '\r',
  '\r\n',
  '"',
  "'",
  ',',
  ';',
  '\t',
  '|',
  '=',
  '+',
  '-',
  '@',
  'é',
  'ß',
  '€',
  '’',
  '—',
  '日本',
  '🔥',
  '\u00a0',
  '\ufeff',
];
const cell = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 12 }).map((parts) => parts.join(''));
const text = cell.filter((value) => /\S/.test(value) && value.trim() !== '\ufeff');
const DELIMITERS = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' } as const;

const table = fc.record({
  extra: fc.integer({ min: 1, max: 3 }),
  rows: fc.array(fc.tuple(text, cell, cell, cell), { minLength: 1, maxLength: 6 }),
  delimiter: fc.constantFrom(',', ';', '\t', '|'),
  recordDelimiter: fc.constantFrom('unix', 'windows', 'mac'),
  quoted: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
  guard: fc.boolean(),
});

it('gives back every uploaded cell, whatever it holds', async () => {
  await fc.assert(
    fc.asyncProperty(table, async (spec) => {
      const header = ['text', 'note', 'other', 'more'].slice(0, spec.extra + 1);
      const records = spec.rows.map((row) => row.slice(0, header.length));
      let csv = stringify([header, ...records], {
        delimiter: spec.delimiter,
        record_delimiter: spec.recordDelimiter as 'unix' | 'windows' | 'mac',
        quoted: spec.quoted,
        // csv-stringify quotes only its own record delimiter; any line break needs quotes.
        quoted_match: /[\r\n]/,
        bom: spec.bom,
      });
      if (!spec.finalNewline) csv = csv.replace(/(\r\n|\n|\r)$/, '');
      const res = await request(app().app)
        .post('/predict')
        .field('formula_guard', spec.guard ? 'on' : 'off')
        .attach('file', Buffer.from(csv), 'random.csv');
      expect(res.status).toBe(200);
      expect(res.headers['x-csv-delimiter']).toBe(DELIMITERS[spec.delimiter]);
      const out = parse(res.text, { bom: true, delimiter: spec.delimiter }) as string[][];
      const expect_ = (value: string) => (spec.guard ? neutraliseCell(value) : value);
      expect(out).toHaveLength(records.length + 1);
      expect(out[0].slice(0, header.length)).toEqual(header);
      expect(out[0][header.length]).toBe('row_number');
      expect(out.slice(1).map((row) => row.slice(0, header.length))).toEqual(
        records.map((row) => row.map(expect_)),
      );
      expect(out.slice(1).map((row) => row[header.length])).toEqual(records.map((_, i) => String(i + 1)));
      const changed = records.flat().filter((value) => expect_(value) !== value).length;
      expect(res.headers['x-csv-cells-neutralised']).toBe(String(changed));
    }),
    { numRuns: 150 },
  );
});
