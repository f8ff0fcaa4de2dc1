import { mlflowFormatOf, parseMlflowPayload } from '../../src/protocols/mlflow';
import { TWEET_INPUTS, httpErrorOf } from './fixtures';

describe('parseMlflowPayload', () => {
  it('reads dataframe_split by column name, ignoring index and extra columns', () => {
    const payload = parseMlflowPayload(
      {
        dataframe_split: {
          index: [0, 1],
          columns: ['id', 'text', 'keyword'],
          data: [
            [1, 'fire', 'wildfire'],
            [2, 'calm', null],
          ],
        },
      },
      TWEET_INPUTS,
    );
    expect(payload.format).toBe('dataframe_split');
    expect(payload.rows).toEqual([
      { id: 1, text: 'fire', keyword: 'wildfire' },
      { id: 2, text: 'calm', keyword: null },
    ]);
  });

  it('reads dataframe_split without columns in the model input order, and flat data for one column', () => {
    expect(
      parseMlflowPayload({ dataframe_split: { data: [['fire', 'wildfire']] } }, TWEET_INPUTS).rows,
    ).toEqual([['fire', 'wildfire']]);
    expect(
      parseMlflowPayload({ dataframe_split: { columns: ['text'], data: ['a', 'b'] } }, TWEET_INPUTS).rows,
    ).toEqual([{ text: 'a' }, { text: 'b' }]);
  });

  it('says what is wrong with a dataframe_split', () => {
    const message = (body: unknown) => httpErrorOf(() => parseMlflowPayload(body, TWEET_INPUTS)).message;
    expect(message({ dataframe_split: { columns: ['body'], data: [['x']] } })).toBe(
      'dataframe_split.columns has no "text" column (found: body)',
    );
    expect(message({ dataframe_split: { columns: ['text', 'keyword'], data: [['a', 'b'], ['c']] } })).toBe(
      'dataframe_split.data[1] has 1 values for 2 columns (text, keyword)',
    );
    expect(message({ dataframe_split: { columns: ['text'], data: 'x' } })).toBe(
      'dataframe_split.data is a string; expected an array of rows',
    );
    expect(message({ dataframe_split: { columns: ['text', 'text'], data: [] } })).toBe(
      'dataframe_split.columns names "text" twice',
    );
    expect(message({ dataframe_split: { columns: [1], data: [] } })).toBe(
      'dataframe_split.columns must be an array of column names (strings)',
    );
    expect(message({ dataframe_split: [] })).toBe(
      'dataframe_split is an array; expected {"columns": [...], "data": [[...]]}',
    );
  });

  it('reads dataframe_records and refuses rows that are not objects', () => {
    expect(parseMlflowPayload({ dataframe_records: [{ text: 'a' }] }, TWEET_INPUTS).rows).toEqual([
      { text: 'a' },
    ]);
    const error = httpErrorOf(() =>
      parseMlflowPayload({ dataframe_records: [{ text: 'a' }, 'b'] }, TWEET_INPUTS),
    );
    expect(error.message).toBe('dataframe_records[1] is a string; expected an object');
    expect(httpErrorOf(() => parseMlflowPayload({ dataframe_records: {} }, TWEET_INPUTS)).message).toBe(
      'dataframe_records is an object; expected an array of objects',
    );
  });

  it('reads instances and inputs as rows or as columns', () => {
    expect(parseMlflowPayload({ inputs: ['a', ['b', 'k'], { text: 'c' }] }, TWEET_INPUTS).rows).toEqual([
      'a',
      ['b', 'k'],
      { text: 'c' },
    ]);
    expect(
      parseMlflowPayload({ instances: { text: ['a', 'b'], keyword: ['x', 'y'] } }, TWEET_INPUTS).rows,
    ).toEqual([
      { text: 'a', keyword: 'x' },
      { text: 'b', keyword: 'y' },
    ]);
    expect(parseMlflowPayload({ inputs: { text: 'a' } }, TWEET_INPUTS).rows).toEqual([{ text: 'a' }]);
  });

  it('says what is wrong with instances or inputs', () => {
    const message = (body: unknown) => httpErrorOf(() => parseMlflowPayload(body, TWEET_INPUTS)).message;
    expect(message({ inputs: { text: ['a', 'b'], keyword: ['x'] } })).toBe(
      'inputs.keyword has 1 values but inputs.text has 2; columns must be the same length',
    );
    expect(message({ inputs: { text: ['a'], keyword: 'x' } })).toBe(
      'inputs.keyword is a string; every column must be an array of values',
    );
    expect(message({ instances: [1] })).toBe(
      'instances[0] is a number; expected an object of fields, a string or an array',
    );
    expect(message({ instances: 'a' })).toBe(
      'instances is a string; expected an array of rows or an object of columns',
    );
    expect(message({ inputs: {} })).toBe('inputs is an empty object; expected columns of values');
  });

  it('needs exactly one format key', () => {
    expect(mlflowFormatOf({ params: {}, inputs: [] })).toBe('inputs');
    expect(mlflowFormatOf({ text: 'a' })).toBeUndefined();
    expect(httpErrorOf(() => mlflowFormatOf({ inputs: [], instances: [] })).message).toBe(
      'the payload must have exactly one of dataframe_split, dataframe_records, instances, inputs; it has instances and inputs',
    );
    expect(httpErrorOf(() => parseMlflowPayload({ data: [] }, TWEET_INPUTS)).message).toBe(
      'the payload must have one of dataframe_split, dataframe_records, instances, inputs; it has data',
    );
    expect(httpErrorOf(() => parseMlflowPayload([], TWEET_INPUTS)).status).toBe(400);
  });
});

describe('parseMlflowPayload safety', () => {
  it('keeps a "__proto__" column as data, never as a prototype', () => {
    const { rows } = parseMlflowPayload(
      { dataframe_split: { columns: ['text', '__proto__'], data: [['a', { polluted: true }]] } },
      TWEET_INPUTS,
    );
    const row = rows[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(row)).toBeNull();
    expect((row as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
