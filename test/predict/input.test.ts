import { HttpError } from '../../src/errors';
import {
  type ModelInputs,
  mergeOptions,
  primaryInput,
  readJsonPayload,
  readTextOptions,
  rowFromForm,
  rowFromText,
  rowsFromItems,
  wellFormed,
} from '../../src/predict/input';

const INPUTS: ModelInputs = [
  { name: 'text', label: 'Text', required: true, multiline: true, example: '' },
  { name: 'keyword', label: 'Keyword', required: false, multiline: false, example: '' },
];
const LIMITS = { maxTextChars: 20, maxBatch: 3 };

function failure(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('readJsonPayload', () => {
  it('sorts the four shapes', () => {
    expect(readJsonPayload({ text: 'a', model: 'm', explain: true, top_terms: 3 })).toEqual({
      shape: 'single',
      items: [{ text: 'a' }],
      options: { model: 'm', explain: true, topTerms: 3 },
    });
    expect(readJsonPayload({ instances: ['a', { text: 'b' }] })).toEqual({
      shape: 'batch',
      items: ['a', { text: 'b' }],
      options: {},
    });
    expect(readJsonPayload(['a'])).toEqual({ shape: 'batch', items: ['a'], options: {} });
    expect(readJsonPayload({ input: [{ text: 'a' }] })).toEqual({
      shape: 'seed',
      items: [{ text: 'a' }],
      options: {},
    });
  });

  it('treats a non-array "input" as a field of a single row', () => {
    expect(readJsonPayload({ input: 'x' }).shape).toBe('single');
  });

  it.each([null, 3, 'text', true])('400s a body that is %p', (body) => {
    expect(failure(() => readJsonPayload(body)).status).toBe(400);
  });
});

describe('rowsFromItems', () => {
  it('fills the primary input from a string and optional inputs with ""', () => {
    expect(rowsFromItems(['hello'], INPUTS, LIMITS)).toEqual([{ text: 'hello', keyword: '' }]);
    expect(rowsFromItems([{ text: 'a', keyword: 'k' }], INPUTS, LIMITS)).toEqual([
      { text: 'a', keyword: 'k' },
    ]);
  });

  it('builds rows without a prototype, from own properties only', () => {
    const inherited = Object.create({ text: 'from the prototype' }) as Record<string, unknown>;
    const error = failure(() => rowsFromItems([inherited], INPUTS, LIMITS));
    expect(error.details).toMatchObject({ rows: [{ index: 0, field: 'text', message: 'is required' }] });
    const [row] = rowsFromItems([{ text: 'a' }], INPUTS, LIMITS);
    expect(Object.getPrototypeOf(row)).toBeNull();
    expect(Object.isFrozen(row)).toBe(true);
  });

  it('lists every problem of every row', () => {
    const error = failure(() =>
      rowsFromItems([{ text: 'x'.repeat(21) }, { text: 'ok', keyword: 5, other: 'y' }, null], INPUTS, LIMITS),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.details).toEqual({
      failed: 3,
      rows: [
        { index: 0, field: 'text', message: 'is 21 characters long; the limit is 20 (MAX_TEXT_CHARS)' },
        { index: 1, field: 'other', message: 'is not an input of this model (inputs: text, keyword)' },
        { index: 1, field: 'keyword', message: 'must be a string, got a number' },
        { index: 2, field: '', message: 'is null; a row must be an object of fields or a string' },
      ],
    });
    expect(error.message).toMatch(/^3 of 3 rows are invalid: row 0: field "text" is 21 characters long/);
  });

  it('413s more rows than the batch limit and 400s none', () => {
    expect(failure(() => rowsFromItems(['a', 'b', 'c', 'd'], INPUTS, LIMITS)).status).toBe(413);
    expect(failure(() => rowsFromItems([], INPUTS, LIMITS)).status).toBe(400);
  });

  it('counts length in UTF-16 units, like JavaScript and the limit documentation', () => {
    expect(rowsFromItems(['😀'.repeat(10)], INPUTS, LIMITS)).toHaveLength(1);
    expect(failure(() => rowsFromItems(['😀'.repeat(11)], INPUTS, LIMITS)).status).toBe(400);
  });
});

describe('forms and text', () => {
  it('ignores extra form fields and 400s repeated inputs', () => {
    expect(rowFromForm({ text: 'a', submit: 'Go', model: 'm' }, INPUTS, LIMITS)).toEqual({
      text: 'a',
      keyword: '',
    });
    expect(failure(() => rowFromForm({ text: ['a', 'b'] }, INPUTS, LIMITS)).details).toMatchObject({
      rows: [{ field: 'text', message: 'must be a string, got an array' }],
    });
  });

  it('takes plain text as the primary input', () => {
    expect(rowFromText('hello', INPUTS, LIMITS)).toEqual({ text: 'hello', keyword: '' });
    expect(failure(() => rowFromText('   ', INPUTS, LIMITS)).status).toBe(400);
  });

  it('picks the first required input as primary', () => {
    expect(primaryInput([{ ...INPUTS[1] }, { ...INPUTS[0] }]).name).toBe('text');
    expect(primaryInput([{ ...INPUTS[1] }]).name).toBe('keyword');
  });
});

describe('options', () => {
  it('reads query and form options', () => {
    expect(readTextOptions({ model: 'm', explain: 'on', top_terms: '7' })).toEqual({
      model: 'm',
      explain: true,
      topTerms: 7,
    });
    expect(readTextOptions({ explain: 'false', model: '' })).toEqual({ explain: false });
  });

  it.each([
    [{ explain: 'maybe' }],
    [{ top_terms: '0' }],
    [{ top_terms: '51' }],
    [{ top_terms: '1e1' }],
    [{ model: ['a', 'b'] }],
  ])('400s %p', (source) => {
    expect(failure(() => readTextOptions(source)).status).toBe(400);
  });

  it('lets later sources win', () => {
    expect(mergeOptions({ model: 'a', explain: true }, { model: 'b' }, {})).toEqual({
      model: 'b',
      explain: true,
    });
  });
});

describe('wellFormed', () => {
  it('replaces lone surrogates and keeps pairs', () => {
    expect(wellFormed('a\ud800b')).toBe('a\ufffdb');
    expect(wellFormed('a\udc00')).toBe('a\ufffd');
    expect(wellFormed('😀 ok')).toBe('😀 ok');
    expect(wellFormed('\u0000nul')).toBe('\u0000nul');
  });
});
