/**
 * Python `re.findall` semantics through the pattern translator, against values produced by Python
 * 3.11's own `re` (test/fixtures/core/findall.json, make_core_fixtures.py).
 */
import { join } from 'node:path';
import { createTokenizer, PatternError } from '../../src/text/tokenize';
import { translatePythonPattern } from '../../src/text/pyregex';
import { CORE_FIXTURES, python311Unicode, readJson } from './helpers';

interface FindallFixture {
  cases: { pattern: string; text: string; tokens: string[] }[];
  refused: string[];
}

const fixture = readJson<FindallFixture>(join(CORE_FIXTURES, 'findall.json'));
const byPattern = new Map<string, { text: string; tokens: string[] }[]>();
for (const c of fixture.cases) {
  const list = byPattern.get(c.pattern) ?? [];
  list.push(c);
  byPattern.set(c.pattern, list);
}

describe('re.findall parity', () => {
  it.each([...byPattern.keys()])('%s', (pattern) => {
    const tokenize = createTokenizer(pattern, python311Unicode());
    for (const c of byPattern.get(pattern) ?? []) {
      expect({ text: c.text, tokens: tokenize(c.text) }).toEqual({ text: c.text, tokens: c.tokens });
    }
  });
});

describe('patterns JavaScript cannot reproduce exactly, or that Python rejects', () => {
  it.each(fixture.refused)('%s is refused with a PatternError', (pattern) => {
    expect(() => createTokenizer(pattern, python311Unicode())).toThrow(PatternError);
  });

  it('names the pattern and the position in the message', () => {
    expect(() => translatePythonPattern('ab(', python311Unicode())).toThrow(
      /token_pattern "ab\(".*position 2/,
    );
  });
});

describe('translation details', () => {
  const uni = python311Unicode();

  it('drops (?u) and keeps one capturing group as the token', () => {
    const t = translatePythonPattern('(?u)#?(\\w+)', uni);
    expect(t.groupCount).toBe(1);
    expect(t.tokenGroup).toBe(1);
    expect(t.flags).toBe('gu');
  });

  it('numbers the token group after the groups that emulate possessive quantifiers', () => {
    const t = translatePythonPattern('\\w++(\\d)', uni);
    expect(t.tokenGroup).toBe(2);
    expect(createTokenizer('\\w++(\\d)', uni)('abc1')).toEqual([]);
    expect(createTokenizer('[a-z]++(\\d)', uni)('abc1')).toEqual(['1']);
  });

  it('uses the fitting Python’s word characters, not JavaScript’s', () => {
    // U+A7CB was assigned in Unicode 15: a letter to Node, not a word character to Python 3.11.
    const tokenize = createTokenizer('(?u)\\b\\w\\w+\\b', uni);
    expect(tokenize('ab\ua7cbcd')).toEqual(['ab', 'cd']);
    expect(createTokenizer('\\w+', uni)('ab\ua7cbcd')).toEqual(['ab', 'cd']);
    // '²' and '½' are alphanumeric to Python (isalnum), like the Arabic-Indic digits.
    expect(tokenize('x² ½ ٣٤٥')).toEqual(['x²', '٣٤٥']);
  });

  it('handles astral code points as one character', () => {
    expect(createTokenizer('.', uni)('a😀')).toEqual(['a', '😀']);
    expect(createTokenizer('(?u)\\b\\w\\w+\\b', uni)('𝐁𝐨𝐥𝐝 𐐔𐐯')).toEqual(['𝐁𝐨𝐥𝐝', '𐐔𐐯']);
  });
});
