import { HttpError } from '../../src/errors';
import { csvHeaderParam, parseSageMakerCsv } from '../../src/protocols/csv';
import { TWEET_INPUTS, httpErrorOf } from './fixtures';

async function errorOf(run: () => Promise<unknown>): Promise<HttpError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError, nothing was thrown');
}

const parse = (text: string, header?: string) =>
  parseSageMakerCsv(text, TWEET_INPUTS, header ? { header } : {});

describe('parseSageMakerCsv', () => {
  it('detects a header naming the required inputs and maps columns by name, ignoring others', async () => {
    const parsed = await parse('id,keyword,location,TEXT\n1,fire,,"Forest fire, ""near"" town"\n2,,,calm\n');
    expect(parsed.hasHeader).toBe(true);
    expect(parsed.rows).toEqual([
      { keyword: 'fire', location: '', text: 'Forest fire, "near" town' },
      { keyword: '', location: '', text: 'calm' },
    ]);
    expect(parsed.lines).toEqual([2, 3]);
  });

  it('reads rows without a header in the model input order, with quoted newlines, CRLF and blank lines', async () => {
    const parsed = await parse('"line one\nline two",storm\r\n\r\nplain text\r\n');
    expect(parsed.hasHeader).toBe(false);
    expect(parsed.rows).toEqual([['line one\nline two', 'storm'], ['plain text']]);
    expect(parsed.lines).toEqual([1, 4]);
  });

  it('accepts mixed line endings', async () => {
    expect((await parse('text\r\na\nb\rc\n')).rows).toEqual([{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
  });

  it('follows header=present|absent over the guess', async () => {
    expect((await parse('text\nhello\n', 'absent')).rows).toEqual([['text'], ['hello']]);
    const error = await errorOf(() => parse('hello\nworld\n', 'present'));
    expect(error.code).toBe('missing_columns');
    expect(error.message).toBe('the CSV has no "text" column; columns found: "hello"');
    expect((await errorOf(() => parse('a\n', 'yes'))).message).toBe(
      'the text/csv parameter header must be "present" or "absent", got "yes"',
    );
  });

  it('drops a byte order mark before looking for the header', async () => {
    expect((await parse('\uFEFFtext\nhi\n')).rows).toEqual([{ text: 'hi' }]);
  });

  it('names the line with the wrong number of columns', async () => {
    expect((await errorOf(() => parse('a\nb,c,d,e\n'))).message).toBe(
      'CSV line 2 has 4 columns; without a header row the columns must be text, keyword, location (in that order), or send a header naming them',
    );
    expect((await errorOf(() => parse('text,keyword\na,b\nc,d,e\n'))).message).toBe(
      'CSV line 3 has 3 columns; the header has 2 (a cell that contains the delimiter must be in double quotes)',
    );
    // A short row is padded, as pandas reads it.
    expect((await parse('text,keyword\na,b\nc\n')).rows).toEqual([
      { text: 'a', keyword: 'b' },
      { text: 'c', keyword: '' },
    ]);
  });

  it('answers 400 for broken or empty CSV without quoting the body', async () => {
    const broken = await errorOf(() => parse('text\n"unclosed\n'));
    expect(broken.status).toBe(400);
    expect(broken.code).toBe('invalid_csv');
    expect(broken.message).toBe(
      'the CSV is malformed: line 2 opens a quote that is never closed (a cell that starts with " must end with ", and a " inside it is written "")',
    );
    expect((await errorOf(() => parse('\n\n'))).message).toBe('the CSV body has no rows');
    expect((await errorOf(() => parse('text,text\na,b\n'))).message).toBe(
      'the CSV has more than one column named "text"; keep one',
    );
  });
});

describe('parseSageMakerCsv: delimiters and encodings as CSV uploads', () => {
  it('sniffs the delimiter that makes the first row a header, else keeps the comma', async () => {
    const semicolon = await parseSageMakerCsv('id;text\n1;fire, smoke\n', TWEET_INPUTS, {});
    expect(semicolon.format.delimiter).toBe(';');
    expect(semicolon.rows).toEqual([{ text: 'fire, smoke' }]);
    const tab = await parseSageMakerCsv('text\tkeyword\nfire; smoke\tfire\n', TWEET_INPUTS, {});
    expect(tab.rows).toEqual([{ text: 'fire; smoke', keyword: 'fire' }]);
    // Headerless free text says nothing reliable about its delimiter.
    const headerless = await parseSageMakerCsv('hello; world|again\n', TWEET_INPUTS, {});
    expect(headerless.format.delimiter).toBe(',');
    expect(headerless.rows).toEqual([['hello; world|again']]);
  });

  it('takes an explicit delimiter', async () => {
    expect((await parseSageMakerCsv('a;b\n', TWEET_INPUTS, {}, ';')).rows).toEqual([['a', 'b']]);
  });

  it('reads quotes inside unquoted cells, Windows-1252 with a notice, and UTF-16 with a BOM', async () => {
    expect((await parse('text\na 5" rain gauge\n')).rows).toEqual([{ text: 'a 5" rain gauge' }]);
    const latin = await parseSageMakerCsv(
      Buffer.from([0x74, 0x65, 0x78, 0x74, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x80]),
      TWEET_INPUTS,
      {},
    );
    expect(latin.rows).toEqual([{ text: 'café€' }]);
    expect(latin.format.encoding).toBe('windows-1252');
    expect(latin.format.notice).toMatch(/line 2/);
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('text\tkeyword\r\nfire\tflame\r\n', 'utf16le'),
    ]);
    expect((await parseSageMakerCsv(utf16, TWEET_INPUTS, {})).rows).toEqual([
      { text: 'fire', keyword: 'flame' },
    ]);
  });
});

describe('csvHeaderParam', () => {
  it('reads the RFC 4180 header parameter', () => {
    expect(csvHeaderParam({})).toBeUndefined();
    expect(csvHeaderParam({ header: 'Present' })).toBe('present');
    expect(httpErrorOf(() => csvHeaderParam({ header: 'yes' })).status).toBe(400);
  });
});
