import { validateRawRows } from '../../src/protocols/rows';
import { LIMITS, TWEET_INPUTS, httpErrorOf } from './fixtures';

const ignore = { unknownFields: 'ignore' } as const;

describe('validateRawRows', () => {
  it('reads records, bare text and positional values', () => {
    expect(
      validateRawRows(
        [
          { text: 'fire', keyword: 'wildfire', id: '7' },
          'flood',
          ['quake', 'earthquake'],
          ['storm', null, 'Paris'],
        ],
        TWEET_INPUTS,
        LIMITS,
        ignore,
      ),
    ).toEqual([
      { text: 'fire', keyword: 'wildfire', location: '' },
      { text: 'flood', keyword: '', location: '' },
      { text: 'quake', keyword: 'earthquake', location: '' },
      { text: 'storm', keyword: '', location: 'Paris' },
    ]);
  });

  it('treats null as missing only for data frames', () => {
    expect(
      validateRawRows([{ text: 'a', keyword: null }], TWEET_INPUTS, LIMITS, {
        ...ignore,
        nullIsMissing: true,
      }),
    ).toEqual([{ text: 'a', keyword: '', location: '' }]);
    expect(
      httpErrorOf(() => validateRawRows([{ text: 'a', keyword: null }], TWEET_INPUTS, LIMITS, ignore))
        .message,
    ).toBe('invalid input: field "keyword" must be a string, got null');
  });

  it('rejects unknown fields when asked to', () => {
    const error = httpErrorOf(() =>
      validateRawRows([{ text: 'a', keywords: 'x' }], TWEET_INPUTS, LIMITS, { unknownFields: 'reject' }),
    );
    expect(error.message).toBe(
      'invalid input: field "keywords" is not an input of this model (inputs: text, keyword, location)',
    );
  });

  it('lists every failing row with its line when lines are known', () => {
    const error = httpErrorOf(() =>
      validateRawRows([['ok'], [''], ['a', 'b', 'c', 'd']], TWEET_INPUTS, LIMITS, {
        ...ignore,
        lines: [2, 3, 5],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(
      '2 of 3 rows are invalid: line 3: field "text" is empty; line 5: the row has 4 values; the model takes at most 3 (text, keyword, location, in that order)',
    );
    expect(error.details).toEqual({
      failed: 2,
      rows: [
        { index: 1, line: 3, field: 'text', message: 'is empty' },
        {
          index: 2,
          line: 5,
          field: '',
          message: 'has 4 values; the model takes at most 3 (text, keyword, location, in that order)',
        },
      ],
    });
  });

  it('answers 413 for a batch over MAX_BATCH or a text over MAX_TEXT_CHARS, 400 for no rows', () => {
    expect(httpErrorOf(() => validateRawRows(Array(6).fill('a'), TWEET_INPUTS, LIMITS, ignore)).status).toBe(
      413,
    );
    const long = httpErrorOf(() => validateRawRows(['x'.repeat(51)], TWEET_INPUTS, LIMITS, ignore));
    expect(long.message).toBe(
      'invalid input: field "text" is 51 characters long; the limit is 50 (MAX_TEXT_CHARS)',
    );
    expect(httpErrorOf(() => validateRawRows([], TWEET_INPUTS, LIMITS, ignore)).status).toBe(400);
  });
});
