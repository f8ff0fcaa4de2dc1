import { charNgrams, charWbNgrams, wordNgrams } from '../../src/text/ngrams';
import { python311Unicode } from './helpers';

const uni = python311Unicode();

describe('word n-grams', () => {
  it('removes stop words before building n-grams', () => {
    expect(wordNgrams(['quick', 'the', 'fox'], 1, 2, new Set(['the']))).toEqual([
      'quick',
      'fox',
      'quick fox',
    ]);
  });

  it('emits unigrams, then bigrams, then trigrams, left to right', () => {
    expect(wordNgrams(['a', 'b', 'c'], 1, 3, null)).toEqual(['a', 'b', 'c', 'a b', 'b c', 'a b c']);
    expect(wordNgrams(['a', 'b', 'c'], 2, 2, null)).toEqual(['a b', 'b c']);
    expect(wordNgrams(['a'], 2, 3, null)).toEqual([]);
  });

  it('does not return the caller’s array', () => {
    const tokens = ['a'];
    expect(wordNgrams(tokens, 1, 1, null)).not.toBe(tokens);
  });
});

describe('char n-grams', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(charNgrams('a😀b', 2, 2, uni)).toEqual(['a😀', '😀b']);
    expect(charNgrams('😀', 1, 3, uni)).toEqual(['😀']);
  });

  it('collapses whitespace runs but keeps a single tab', () => {
    expect(charNgrams('a\tb  c', 3, 3, uni)).toEqual(['a\tb', '\tb ', 'b c']);
  });
});

describe('char_wb n-grams', () => {
  it('pads words and emits a short word once', () => {
    expect(charWbNgrams('ab', 2, 5, uni)).toEqual([' a', 'ab', 'b ', ' ab', 'ab ', ' ab ']);
    expect(charWbNgrams('a', 3, 5, uni)).toEqual([' a ']);
  });

  it('splits on Python whitespace (U+001C counts, U+200B does not)', () => {
    expect(charWbNgrams('a\u001cb', 3, 3, uni)).toEqual([' a ', ' b ']);
    expect(charWbNgrams('a\u200bb', 5, 5, uni)).toEqual([' a\u200bb ']);
  });

  it('slices astral words by code point', () => {
    expect(charWbNgrams('😀x', 2, 2, uni)).toEqual([' 😀', '😀x', 'x ']);
  });
});
