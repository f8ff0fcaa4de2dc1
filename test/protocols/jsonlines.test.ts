import { parseJsonLines, toJsonLines } from '../../src/protocols/jsonlines';
import { httpErrorOf } from './fixtures';

describe('parseJsonLines', () => {
  it('reads objects, strings and arrays, one per line, skipping blank lines', () => {
    const parsed = parseJsonLines('{"text": "a"}\r\n\n"b"\n["c", "k"]\n', 5);
    expect(parsed.rows).toEqual([{ text: 'a' }, 'b', ['c', 'k']]);
  });

  it('names the broken line', () => {
    const error = httpErrorOf(() => parseJsonLines('{"text": "a"}\n{"text": x}\n', 5));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^line 2: the line is not valid JSON/);
    expect(httpErrorOf(() => parseJsonLines('"a"\n12\n', 5)).message).toBe(
      'line 2 is a number; expected an object of fields, a string or an array',
    );
    expect(httpErrorOf(() => parseJsonLines('[[[[1]]]]', 3)).message).toBe(
      'line 1: JSON nesting is deeper than 3 levels (MAX_JSON_DEPTH)',
    );
    expect(httpErrorOf(() => parseJsonLines('\n \n', 5)).message).toBe('the JSON Lines body has no rows');
  });
});

describe('toJsonLines', () => {
  it('writes one JSON document per line', () => {
    expect(toJsonLines([{ label: 1 }, 'x'])).toBe('{"label":1}\n"x"\n');
    const escaped = toJsonLines([{ term: '<b>&' }]);
    expect(escaped).toBe('{"term":"\\u003cb\\u003e\\u0026"}\n');
    expect(JSON.parse(escaped)).toEqual({ term: '<b>&' });
  });
});

describe('parseJsonLines safety', () => {
  it('refuses prototype keys like every JSON body', () => {
    const error = httpErrorOf(() => parseJsonLines('{"text": "a", "__proto__": {"x": 1}}', 5));
    expect(error.code).toBe('forbidden_key');
    expect(error.message).toBe('line 1: the key "__proto__" is not accepted anywhere in a request');
  });
});
