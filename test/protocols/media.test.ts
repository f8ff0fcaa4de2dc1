import { bodyFormatOf, negotiate, parseMediaType, requireBodyFormat } from '../../src/protocols/media';
import { httpErrorOf } from './fixtures';

describe('parseMediaType', () => {
  it('lowercases the essence and reads parameters, quoted or not', () => {
    expect(parseMediaType('Text/CSV; Header=present; charset="utf-8"')).toEqual({
      essence: 'text/csv',
      params: { header: 'present', charset: 'utf-8' },
    });
  });

  it('keeps semicolons inside quoted values', () => {
    expect(parseMediaType('application/json; x="a;b"')?.params).toEqual({ x: 'a;b' });
  });

  it('is undefined for absent or unreadable headers', () => {
    expect(parseMediaType(undefined)).toBeUndefined();
    expect(parseMediaType('json')).toBeUndefined();
    expect(parseMediaType('text/')).toBeUndefined();
    expect(parseMediaType('te xt/csv')).toBeUndefined();
  });
});

describe('bodyFormatOf / requireBodyFormat', () => {
  it('maps the JSON, CSV and JSON Lines names', () => {
    const format = (type: string) => bodyFormatOf(parseMediaType(type)!);
    expect(format('application/json')).toBe('json');
    expect(format('application/vnd.api+json')).toBe('json');
    expect(format('text/csv')).toBe('csv');
    expect(format('application/jsonlines')).toBe('jsonlines');
    expect(format('application/x-ndjson')).toBe('jsonlines');
    expect(format('text/plain')).toBeUndefined();
  });

  it('answers 415 naming what is accepted', () => {
    const error = httpErrorOf(() => requireBodyFormat('text/plain', ['json']));
    expect(error.status).toBe(415);
    expect(error.message).toBe('Content-Type must be application/json; got "text/plain"');
    expect(httpErrorOf(() => requireBodyFormat(undefined, ['json', 'csv'])).message).toContain(
      'no Content-Type',
    );
    expect(httpErrorOf(() => requireBodyFormat('text/csv', ['json'])).status).toBe(415);
  });
});

describe('negotiate', () => {
  const offered = ['application/json', 'text/csv', 'application/jsonlines'];

  it('defaults to the first offer', () => {
    expect(negotiate(undefined, offered)).toBe('application/json');
    expect(negotiate('', offered)).toBe('application/json');
    expect(negotiate('*/*', offered)).toBe('application/json');
  });

  it('matches types with parameters, wildcards and q values', () => {
    expect(negotiate('text/csv; header=present', offered)).toBe('text/csv');
    expect(negotiate('text/*', offered)).toBe('text/csv');
    expect(negotiate('application/json;q=0.5, text/csv', offered)).toBe('text/csv');
    expect(negotiate('text/csv, application/jsonlines', offered)).toBe('text/csv');
    expect(negotiate('*/*;q=0.1, application/jsonlines', offered)).toBe('application/jsonlines');
  });

  it('is undefined when nothing offered is acceptable', () => {
    expect(negotiate('text/html', offered)).toBeUndefined();
    expect(negotiate('text/csv;q=0', ['text/csv'])).toBeUndefined();
    expect(negotiate('*/*, text/csv;q=0', ['text/csv'])).toBeUndefined();
  });
});
