import { csvHeaderParam, parseCsvRows, toCsv } from '../../src/protocols/csv';
import { TWEET_INPUTS, httpErrorOf } from './fixtures';

describe('parseCsvRows', () => {
  it('detects a header naming the required inputs and maps columns by name', () => {
    const parsed = parseCsvRows(
      'id,keyword,location,text\n1,fire,,"Forest fire, ""near"" town"\n',
      TWEET_INPUTS,
    );
    expect(parsed.hasHeader).toBe(true);
    expect(parsed.rows).toEqual([
      { id: '1', keyword: 'fire', location: '', text: 'Forest fire, "near" town' },
    ]);
  });

  it('reads rows without a header in the model input order, with quoted newlines and CRLF', () => {
    const parsed = parseCsvRows('"line one\nline two",storm\r\nplain text\r\n\r\n', TWEET_INPUTS);
    expect(parsed.hasHeader).toBe(false);
    expect(parsed.rows).toEqual([['line one\nline two', 'storm'], ['plain text']]);
  });

  it('follows header=present|absent over the guess', () => {
    expect(parseCsvRows('text\nhello\n', TWEET_INPUTS, 'absent').rows).toEqual([['text'], ['hello']]);
    const error = httpErrorOf(() => parseCsvRows('hello\nworld\n', TWEET_INPUTS, 'present'));
    expect(error.message).toBe('the CSV header has no "text" column (found: hello)');
  });

  it('drops a byte order mark before looking for the header', () => {
    expect(parseCsvRows('\uFEFFtext\nhi\n', TWEET_INPUTS).rows).toEqual([{ text: 'hi' }]);
  });

  it('names the row with the wrong number of columns', () => {
    expect(httpErrorOf(() => parseCsvRows('a\nb,c,d,e\n', TWEET_INPUTS)).message).toBe(
      'CSV line 2 has 4 columns; without a header row the columns must be text, keyword, location (in that order), or send a header naming them',
    );
    expect(httpErrorOf(() => parseCsvRows('text,keyword\na,b\nc\n', TWEET_INPUTS)).message).toBe(
      'CSV line 3 has 1 columns; the header has 2',
    );
  });

  it('answers 400 for broken or empty CSV', () => {
    const broken = httpErrorOf(() => parseCsvRows('text\n"unclosed\n', TWEET_INPUTS));
    expect(broken.status).toBe(400);
    expect(broken.message).toMatch(/^the CSV body cannot be read: Quote Not Closed/);
    expect(httpErrorOf(() => parseCsvRows('\n\n', TWEET_INPUTS)).message).toBe('the CSV body has no rows');
    expect(httpErrorOf(() => parseCsvRows('text,text\na,b\n', TWEET_INPUTS)).message).toBe(
      'the CSV header names the column "text" twice',
    );
  });
});

describe('csvHeaderParam', () => {
  it('reads RFC 4180 header parameter', () => {
    expect(csvHeaderParam({})).toBeUndefined();
    expect(csvHeaderParam({ header: 'Present' })).toBe('present');
    expect(httpErrorOf(() => csvHeaderParam({ header: 'yes' })).status).toBe(400);
  });
});

describe('toCsv', () => {
  it('quotes as RFC 4180 and adds an optional header', () => {
    expect(toCsv([['a,b', 0.5]], ['label', 'p'])).toBe('label,p\n"a,b",0.5\n');
    expect(toCsv([['x', 1]])).toBe('x,1\n');
  });
});
