import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decodeCsv } from '../../src/csv/decode';
import { READ_CHUNK_CHARS, parseDelimiter, readCsv, readCsvAsync, sniffDelimiter } from '../../src/csv/read';
import { writeCsv, writeCsvInChunks } from '../../src/csv/write';
import { httpErrorOf as failure } from '../protocols/fixtures';

const cells = (text: string) => readCsv(text).records.map((r) => r.cells);

describe('readCsv reads as pandas does', () => {
  it('keeps quotes inside unquoted cells', () => {
    expect(cells('id,text\n1,a 5" rain gauge\n2,=HYPERLINK("http://x")\n')).toEqual([
      ['id', 'text'],
      ['1', 'a 5" rain gauge'],
      ['2', '=HYPERLINK("http://x")'],
    ]);
  });

  it('keeps the quotes of a cell that goes on after its closing quote (pandas drops them)', () => {
    expect(cells('id,text\n1,"5" rain gauge\n')[1]).toEqual(['1', '"5" rain gauge']);
  });

  it('skips blank and whitespace-only lines, takes CRLF, LF and CR, and a missing final newline', () => {
    const read = readCsv('id,text\r\n\r\n1,a\n   \n2,"b\r\nc"\r3,d');
    expect(read.records).toEqual([
      { cells: ['id', 'text'], line: 1 },
      { cells: ['1', 'a'], line: 3 },
      { cells: ['2', 'b\r\nc'], line: 5 },
      { cells: ['3', 'd'], line: 7 },
    ]);
  });

  it('names the line where a never-closed quote opens', () => {
    const error = failure(() => readCsv('id,text\n1,"a\r\nb"\n\n2,"open\n3,x\n'));
    expect(error.code).toBe('invalid_csv');
    expect(error.message).toMatch(/^the CSV is malformed: line 5 opens a quote that is never closed/);
    expect(error.details).toEqual({ line: 5, reason: 'CSV_QUOTE_NOT_CLOSED' });
  });
});

describe('delimiters', () => {
  it('sniffs comma, semicolon, tab and pipe from the header', () => {
    expect(sniffDelimiter('a,b\n')).toBe(',');
    expect(sniffDelimiter('a;b;c\n1,5;2;3\n')).toBe(';');
    expect(sniffDelimiter('a\tb\n')).toBe('\t');
    expect(sniffDelimiter('a|b\n')).toBe('|');
    expect(sniffDelimiter('text\n')).toBe(',');
    // A header naming the inputs wins over a count: "text" is found only with the semicolon.
    const names = (c: readonly string[]) => c.includes('text');
    expect(sniffDelimiter('text;note, with comma, and more\n', names)).toBe(';');
    expect(sniffDelimiter('hello, world; ok\n', names, ',')).toBe(',');
  });

  it('takes the delimiter option by character or name', () => {
    expect(parseDelimiter(';')).toBe(';');
    expect(parseDelimiter('Tab')).toBe('\t');
    expect(parseDelimiter('\\t')).toBe('\t');
    expect(parseDelimiter('pipe')).toBe('|');
    expect(parseDelimiter('auto')).toBeUndefined();
    expect(failure(() => parseDelimiter(':')).message).toMatch(/"delimiter" must be auto, comma/);
  });
});

describe('writeCsv', () => {
  it('quotes every cell with a quote, the delimiter, CR or LF, whatever the record delimiter', () => {
    const row = ['a\nb', 'c\rd', 'q"', 'x;y', 'x,y', 'p|q', 't\tu', 'plain'];
    expect(writeCsv([row])).toBe('"a\nb","c\rd","q""",x;y,"x,y",p|q,t\tu,plain\r\n');
    expect(writeCsv([row], { delimiter: ';', recordDelimiter: '\n' })).toBe(
      '"a\nb";"c\rd";"q""";"x;y";x,y;p|q;t\tu;plain\n',
    );
    expect(writeCsv([row], { delimiter: '\t' })).toBe(
      '"a\nb"\t"c\rd"\t"q"""\tx;y\tx,y\tp|q\t"t\tu"\tplain\r\n',
    );
    expect(writeCsv([['a']], { bom: true })).toBe('\ufeffa\r\n');
  });
});

/** What a read gives: its records, or the error it refuses the text with. */
async function outcome(read: () => unknown): Promise<unknown> {
  try {
    return await read();
  } catch (error) {
    return error;
  }
}

describe('readCsvAsync (fed in chunks, yielding between them) reads as readCsv does', () => {
  const DIR = path.resolve(__dirname, '..', 'fixtures', 'csv');
  const fixtures = readdirSync(DIR).filter((name) => !name.endsWith('.json'));

  it.each(fixtures)('%s: the same records and delimiter, whatever the chunk size', async (name) => {
    const { text } = decodeCsv(readFileSync(path.join(DIR, name)));
    const expected = readCsv(text);
    expect(expected.records.length).toBeGreaterThan(1);
    // One character at a time splits every quote, CRLF and surrogate pair across chunks.
    for (const chunk of [1, 2, 7, 64]) {
      expect(await readCsvAsync(text, {}, chunk)).toEqual(expected);
    }
    const isHeader = (cells: readonly string[]) => cells.includes('text');
    expect(await readCsvAsync(text, { isHeader, maxRecords: 3 }, 5)).toEqual(
      readCsv(text, { isHeader, maxRecords: 3 }),
    );
  });

  it.each([
    ['a quote never closed', 'id,text\n1,"a\r\nb"\n\n2,"open\n3,x\n'],
    [
      'blank lines, mixed line ends, a final record without a newline',
      'id,text\r\n\r\n1,a\n   \n2,"b\r\nc"\r3,d',
    ],
    ['a stray quote inside an unquoted cell', 'id,text\n1,a 5" rain gauge\n2,"5" rain gauge\n'],
    ['emoji and accents across chunks', 'text\n"😀😀 é ""q""\r\n😀"\n😀,x\n'],
  ])('%s: the same records or the same error', async (_, text) => {
    const expected = await outcome(() => readCsv(text));
    for (const chunk of [1, 3, 8])
      expect(await outcome(() => readCsvAsync(text, {}, chunk))).toEqual(expected);
  });

  it('reads a file many chunks long at the default chunk size, and stops at maxRecords', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => `${i},"tweet ${i}, with ""quotes""\r\nand 😀"`);
    const text = `id,text\r\n${rows.join('\r\n')}\r\n`;
    expect(text.length).toBeGreaterThan(3 * READ_CHUNK_CHARS);
    const expected = readCsv(text);
    expect(expected.records).toHaveLength(6001);
    expect(await readCsvAsync(text)).toEqual(expected);
    expect(await readCsvAsync(text, { maxRecords: 5002 })).toEqual(readCsv(text, { maxRecords: 5002 }));
    expect(await outcome(() => readCsvAsync(`${text}9,"open\n`))).toEqual(
      await outcome(() => readCsv(`${text}9,"open\n`)),
    );
  });
});

describe('writeCsvInChunks writes as writeCsv does', () => {
  it('gives the same text for any chunk size, with the byte-order mark once', async () => {
    const records = Array.from({ length: 23 }, (_, i) => [`a\nb ${i}`, 'q"', 'x;y', '=1', String(i)]);
    for (const options of [{}, { delimiter: ';' as const, recordDelimiter: '\n' as const, bom: true }]) {
      const expected = writeCsv(records, options);
      for (const chunk of [1, 5, 100]) {
        expect(await writeCsvInChunks(records.length, (i) => records[i], options, chunk)).toBe(expected);
      }
    }
    expect(await writeCsvInChunks(0, () => [], { bom: true })).toBe(writeCsv([], { bom: true }));
  });
});
