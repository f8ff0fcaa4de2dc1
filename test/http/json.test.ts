import { jsonDepthExceeds, parseStrictJson } from '../../src/http/json';
import { HttpError } from '../../src/errors';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return `${error.status} ${error.code}`;
    throw error;
  }
  return 'ok';
}

describe('parseStrictJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseStrictJson('{"text": "a", "n": [1, {"b": null}]}', 32)).toEqual({
      text: 'a',
      n: [1, { b: null }],
    });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects the key %s at any depth', (key) => {
    expect(codeOf(() => parseStrictJson(`{"${key}": {"x": 1}}`, 32))).toBe('400 forbidden_key');
    expect(codeOf(() => parseStrictJson(`{"instances": [{"text": "a", "${key}": 1}]}`, 32))).toBe(
      '400 forbidden_key',
    );
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([
    ['\\u005f\\u005fproto__', '__proto__'],
    ['constructo\\u0072', 'constructor'],
    ['\\u0070rototype', 'prototype'],
  ])('rejects the key %s (escaped %s) too', (spelt) => {
    expect(codeOf(() => parseStrictJson(`{"text": "a", "${spelt}": {"x": 1}}`, 32))).toBe(
      '400 forbidden_key',
    );
  });

  it('allows those words as values', () => {
    expect(parseStrictJson('{"text": "__proto__ constructor prototype"}', 32)).toEqual({
      text: '__proto__ constructor prototype',
    });
  });

  it('rejects nesting deeper than the limit before parsing', () => {
    expect(codeOf(() => parseStrictJson(`${'['.repeat(4)}${']'.repeat(4)}`, 3))).toBe('400 json_too_deep');
    expect(parseStrictJson(`${'['.repeat(3)}${']'.repeat(3)}`, 3)).toEqual([[[]]]);
    const deep = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
    expect(codeOf(() => parseStrictJson(deep, 32))).toBe('400 json_too_deep');
  });

  it('does not count brackets inside strings', () => {
    expect(jsonDepthExceeds('{"text": "[[[[[[[[{{{{{{"}', 2)).toBe(false);
    expect(jsonDepthExceeds('{"text": "a \\" [[[[[["}', 2)).toBe(false);
  });

  it('reports invalid JSON with a position and never the body', () => {
    try {
      parseStrictJson('{"text": "my secret', 32);
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).code).toBe('invalid_json');
      expect((error as HttpError).message).not.toContain('secret');
    }
  });

  it('calls an empty body empty', () => {
    expect(codeOf(() => parseStrictJson('  \n', 32))).toBe('400 empty_body');
  });
});
