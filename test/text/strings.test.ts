/**
 * lower(), NFKD, sklearn's accent strippers and str.split() against Python 3.11 / Unicode 14
 * (test/fixtures/core/strings.json).
 */
import { join } from 'node:path';
import { pythonLower } from '../../src/text/lowercase';
import { nfkd, stripAccentsAscii, stripAccentsUnicode } from '../../src/text/normalize';
import { collapseWhitespace, splitWhitespace } from '../../src/text/whitespace';
import { CORE_FIXTURES, python311Unicode, readJson } from './helpers';

interface StringCase {
  text: string;
  lower: string;
  nfkd: string;
  ascii: string;
  unicode: string;
  lower_unicode: string;
  split: string[];
}

const cases = readJson<StringCase[]>(join(CORE_FIXTURES, 'strings.json'));
const uni = python311Unicode();
const label = (c: StringCase): string => JSON.stringify(c.text).slice(0, 50);

describe.each(cases.map((c) => [label(c), c] as const))('%s', (_label, c) => {
  it('lower() as Python', () => expect(pythonLower(c.text, uni)).toBe(c.lower));
  it('NFKD as Python', () => expect(nfkd(c.text, uni)).toBe(c.nfkd));
  it("strip_accents='ascii'", () => expect(stripAccentsAscii(c.text, uni)).toBe(c.ascii));
  it("strip_accents='unicode'", () => expect(stripAccentsUnicode(c.text, uni)).toBe(c.unicode));
  it('lowercase then unicode accents', () =>
    expect(stripAccentsUnicode(pythonLower(c.text, uni), uni)).toBe(c.lower_unicode));
  it('split()', () => expect(splitWhitespace(c.text, uni)).toEqual(c.split));
});

describe('lowercase specifics', () => {
  it('applies the final-sigma rule on the original text', () => {
    expect(pythonLower('ΟΔΥΣΣΕΥΣ', uni)).toBe('οδυσσευς');
    expect(pythonLower('ΑΣ. Σ', uni)).toBe('ας. σ');
    expect(pythonLower("AΣ'", uni)).toBe("aς'");
    expect(pythonLower("AΣ'b", uni)).toBe("aσ'b");
  });

  it("maps 'İ' to 'i' + U+0307 like Python", () => {
    expect(pythonLower('İstanbul', uni)).toBe('i\u0307stanbul');
  });

  it('leaves characters newer than the tables alone', () => {
    // U+1C89 (Cyrillic capital TJE, Unicode 16) lowercases in Node but not in Python 3.11.
    expect('\u1c89'.toLowerCase()).not.toBe('\u1c89');
    expect(pythonLower('\u1c89', uni)).toBe('\u1c89');
  });

  it('returns ASCII text lowercased on the fast path', () => {
    expect(pythonLower('Hello WORLD 123', uni)).toBe('hello world 123');
  });

  it('keeps lone surrogates', () => {
    expect(pythonLower('A\ud800B', uni)).toBe('a\ud800b');
  });
});

describe('whitespace', () => {
  it('collapses runs of two or more Python whitespace characters only', () => {
    expect(collapseWhitespace('a\tb\n\nc \u3000d\u001c\u001de', uni)).toBe('a\tb c d e');
    expect(collapseWhitespace('a\ufeff\ufeffb', uni)).toBe('a\ufeff\ufeffb');
  });
});
