import { parseDelimiter, readCsv, sniffDelimiter } from '../../src/csv/read';
import { writeCsv } from '../../src/csv/write';
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
