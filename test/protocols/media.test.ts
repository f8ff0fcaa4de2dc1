import { bodyFormatOf, parseMediaType, requireBodyFormat } from '../../src/protocols/media';
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
