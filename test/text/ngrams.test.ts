import fc from 'fast-check';
import {
  charNgrams,
  charWbNgrams,
  visitCharNgramsUnordered,
  visitCharWbNgramsUnordered,
  visitWordNgrams,
  type SpanStateVisitor,
  wordNgrams,
} from '../../src/text/ngrams';
import { TermIndex } from '../../src/text/termindex';
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

/**
 * The spans a walking visitor reports, as sorted strings, with a check that each state is the
 * span's own in the index (one holding `terms`: live states and, for other spans, DEAD) and that
 * the count it returns is the number it visited.
 */
function spansOf(
  terms: readonly string[],
  run: (index: TermIndex, visit: SpanStateVisitor) => number,
): string[] {
  const index = new TermIndex([...new Set(terms)]);
  const grams: string[] = [];
  const count = run(index, (source, from, to, state) => {
    expect(state).toBe(index.stateOf(source, from, to));
    expect(index.columnOf(state)).toBe(index.lookup(source, from, to));
    grams.push(source.slice(from, to));
  });
  expect(count).toBe(grams.length);
  return grams.sort();
}

describe('unordered, walked visitors (what the vectorizer counts)', () => {
  type Unordered = typeof visitCharNgramsUnordered;
  // The index holds every other n-gram of the text: both live and dead states are visited.
  const visited = (visit: Unordered, text: string, minN: number, maxN: number): string[] =>
    spansOf(
      charNgrams(text, minN, maxN, uni).filter((_gram, i) => i % 2 === 0),
      (index, visitor) => visit(text, minN, maxN, uni, index, visitor),
    );
  const sorted = (grams: string[]) => [...grams].sort();
  const texts = [
    '',
    ' ',
    'a',
    'ab cd',
    'forest fire near la ronge',
    '  tabs\tand\n\nnewlines  ',
    'a😀b 😀 x',
    'I  ❤️  NY\u001cok\u200bnot',
    'x'.repeat(12),
  ];
  const ranges: [number, number][] = [
    [1, 1],
    [1, 3],
    [2, 5],
    [3, 3],
    [4, 6],
  ];

  it.each(texts)('char_wb gives the same n-grams as sklearn’s order for %j', (text) => {
    for (const [minN, maxN] of ranges) {
      expect(visited(visitCharWbNgramsUnordered, text, minN, maxN)).toEqual(
        sorted(charWbNgrams(text, minN, maxN, uni)),
      );
    }
  });

  it.each(texts)('char gives the same n-grams as sklearn’s order for %j', (text) => {
    for (const [minN, maxN] of ranges) {
      expect(visited(visitCharNgramsUnordered, text, minN, maxN)).toEqual(
        sorted(charNgrams(text, minN, maxN, uni)),
      );
    }
  });

  it('agrees with the ordered generators on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (text, minN, extra) => {
          const maxN = minN + extra;
          expect(visited(visitCharWbNgramsUnordered, text, minN, maxN)).toEqual(
            sorted(charWbNgrams(text, minN, maxN, uni)),
          );
          expect(visited(visitCharNgramsUnordered, text, minN, maxN)).toEqual(
            sorted(charNgrams(text, minN, maxN, uni)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds terms by their state', () => {
    const index = new TermIndex([' fi', 'fire', 're ']);
    const found: number[] = [];
    visitCharWbNgramsUnordered('fire', 3, 4, uni, index, (_source, _from, _to, state) => {
      const column = index.columnOf(state);
      if (column >= 0) found.push(column);
    });
    expect(found.sort()).toEqual([0, 1, 2]);
  });
});

describe('word n-grams as walked spans (what the vectorizer counts)', () => {
  const visited = (tokens: string[], minN: number, maxN: number, stop: ReadonlySet<string> | null) =>
    spansOf(
      wordNgrams(tokens, minN, maxN, stop).filter((_gram, i) => i % 2 === 0),
      (index, visitor) => visitWordNgrams(tokens, minN, maxN, stop, index, visitor),
    );

  it('gives the same n-grams as sklearn’s order', () => {
    const tokens = ['forest', 'fire', 'near', 'la', 'ronge', 'fire'];
    for (const [minN, maxN] of [
      [1, 1],
      [1, 2],
      [2, 2],
      [1, 3],
      [2, 4],
      [3, 3],
    ]) {
      for (const stop of [null, new Set(['near', 'la'])]) {
        expect(visited(tokens, minN, maxN, stop)).toEqual(wordNgrams(tokens, minN, maxN, stop).sort());
      }
    }
    expect(visited([], 1, 2, null)).toEqual([]);
  });

  it('agrees with wordNgrams on arbitrary tokens (spaces, surrogates, empty ones)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        (tokens, minN, extra, withStopWords) => {
          const stop = withStopWords && tokens.length > 0 ? new Set([tokens[0]]) : null;
          const maxN = minN + extra;
          expect(visited(tokens, minN, maxN, stop)).toEqual(wordNgrams(tokens, minN, maxN, stop).sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
