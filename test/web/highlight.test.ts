import fc from 'fast-check';
import { getStemmer } from '../../src/text';
import { type HighlightTerm, foldTerms, highlightText } from '../../src/web/highlight';

const porter = getStemmer('porter');
const stems = (word: string) => [porter(word)];

const marked = (text: string, terms: HighlightTerm[]) =>
  highlightText(text, terms, { stems })
    .segments.filter((s) => s.direction !== undefined)
    .map((s) => [s.text, s.direction]);

const wordsOf = (text: string, terms: HighlightTerm[]) =>
  Object.fromEntries(foldTerms(text, terms, { stems }).words.map((w) => [w.word, w.contribution]));

describe('foldTerms', () => {
  it('marks unigrams case- and accent-insensitively, every occurrence, on the side of their sign', () => {
    const terms = [
      { term: 'fire', contribution: 0.9 },
      { term: 'cafe', contribution: -0.2 },
    ];
    expect(marked('FIRE at the Café, fire!', terms)).toEqual([
      ['FIRE', 'toward'],
      ['Café', 'against'],
      ['fire', 'toward'],
    ]);
    // One word in the list, however often it occurs.
    expect(wordsOf('FIRE at the Café, fire!', terms)).toEqual({ FIRE: 0.9, Café: -0.2 });
  });

  it('never puts a word term on part of another word', () => {
    expect(marked('firefighters and bonfire', [{ term: 'fire', contribution: 1, analyzer: 'word' }])).toEqual(
      [],
    );
    const { unplaced } = foldTerms('firefighters', [{ term: 'fire', contribution: 1, analyzer: 'word' }]);
    expect(unplaced.map((t) => t.term)).toEqual(['fire']);
  });

  it('shares a word n-gram equally over its words', () => {
    expect(wordsOf('Forest fire near me', [{ term: 'forest fire', contribution: 0.5 }])).toEqual({
      Forest: 0.25,
      fire: 0.25,
    });
  });

  it('sums the shares on a word and takes the side of the sum; a tie leaves the word unmarked', () => {
    const { segments, words } = highlightText('forest fire', [
      { term: 'fire', contribution: -0.3 },
      { term: 'forest fire', contribution: 0.8 },
    ]);
    const fire = segments.find((s) => s.text === 'fire');
    expect(fire?.direction).toBe('toward');
    expect(fire?.score).toBeCloseTo(0.1);
    expect(fire?.terms?.map((t) => t.term)).toEqual(['forest fire', 'fire']);
    expect(words.map((w) => w.word)).toEqual(['forest', 'fire']);
    expect(
      marked('fire', [
        { term: 'fire', contribution: 0.25 },
        { term: 'fire', contribution: -0.25 },
      ]),
    ).toEqual([]);
  });

  it('grades strength relative to the most influential word', () => {
    const { segments } = highlightText('one two three', [
      { term: 'one', contribution: 0.9 },
      { term: 'two', contribution: -0.5 },
      { term: 'three', contribution: 0.1 },
    ]);
    expect(segments.filter((s) => s.direction).map((s) => [s.text, s.strength])).toEqual([
      ['one', 3],
      ['two', 2],
      ['three', 1],
    ]);
  });

  it('folds character n-grams onto the words they cover, by characters covered', () => {
    const words = wordsOf('the fire', [
      { term: ' fi', contribution: 0.4, analyzer: 'char_wb' },
      { term: 'ire ', contribution: 0.2, analyzer: 'char_wb' },
      { term: 'the', contribution: -0.1, analyzer: 'char_wb' },
      // A char (not _wb) n-gram across the space: two characters of "the", one of "fire".
      { term: 'he f', contribution: 0.3, analyzer: 'char' },
    ]);
    expect(words.fire).toBeCloseTo(0.4 + 0.2 + 0.1);
    expect(words.the).toBeCloseTo(-0.1 + 0.2);
    // Unknown analyzer: padded terms can only be character n-grams.
    expect(wordsOf('the fire', [{ term: ' fi', contribution: 0.4 }])).toEqual({ fire: 0.4 });
  });

  it('splits an n-gram found in several words evenly over its occurrences', () => {
    const words = wordsOf('fire fighters', [{ term: 'fi', contribution: 1, analyzer: 'char' }]);
    expect(words.fire).toBeCloseTo(0.5);
    expect(words.fighters).toBeCloseTo(0.5);
  });

  it('folds stems back onto the words they came from (losing → lose, always → alwai)', () => {
    expect(marked('Losing it always', [{ term: 'lose', contribution: -0.7, analyzer: 'word' }])).toEqual([
      ['Losing', 'against'],
    ]);
    expect(wordsOf('Losing it always', [{ term: 'alwai', contribution: 0.2, analyzer: 'word' }])).toEqual({
      always: 0.2,
    });
    // Without the stemmer the stem has no place.
    expect(foldTerms('Losing', [{ term: 'lose', contribution: 1, analyzer: 'word' }]).unplaced).toHaveLength(
      1,
    );
  });

  it('places symbol n-grams on the symbols (emoji, punctuation)', () => {
    expect(wordsOf('fire 🔥🔥', [{ term: '🔥🔥', contribution: 0.5, analyzer: 'char' }])).toEqual({
      '🔥🔥': 0.5,
    });
  });

  it('keeps the text exactly: newlines, emoji, markup-like text, surrogate pairs', () => {
    const text = 'Flood 🌊 in <b>town</b>\nstay "safe" & dry 🇨🇦';
    const { segments } = highlightText(text, [
      { term: 'flood', contribution: 1 },
      { term: 'town', contribution: -1 },
    ]);
    expect(segments.map((s) => s.text).join('')).toBe(text);
    expect(segments.filter((s) => s.direction).map((s) => s.text)).toEqual(['Flood', 'town']);
  });

  it('ignores zero, NaN and infinite contributions', () => {
    const result = highlightText('fire', [
      { term: 'fire', contribution: 0 },
      { term: 'fire', contribution: Number.NaN },
      { term: 'fire', contribution: Number.POSITIVE_INFINITY },
    ]);
    expect(result.segments).toEqual([{ text: 'fire' }]);
    expect(result.unplaced).toEqual([]);
  });

  it('handles empty text and no terms', () => {
    expect(highlightText('', [{ term: 'x', contribution: 1 }]).segments).toEqual([]);
    expect(highlightText('plain', []).segments).toEqual([{ text: 'plain' }]);
  });

  it('property: the text is kept, contributions are conserved, and marks agree with the words', () => {
    const word = fc.stringMatching(/^[A-Za-zÀ-ÿ]{1,6}$/);
    const gram = fc.stringMatching(/^[ a-zà-ÿ]{1,5}$/);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word, fc.constantFrom(' ', ', ', '\n', '🔥', '<', '&', "'")), { maxLength: 30 }),
        fc.array(
          fc.record({
            term: fc.oneof(
              word,
              fc.tuple(word, word).map(([a, b]) => `${a} ${b}`),
              gram,
            ),
            contribution: fc.double({ min: -2, max: 2, noNaN: true }).filter((x) => Math.abs(x) > 1e-9),
            analyzer: fc.constantFrom('word' as const, 'char' as const, 'char_wb' as const, undefined),
          }),
          { maxLength: 12 },
        ),
        (pieces, terms) => {
          const text = pieces.join('');
          const { segments, words, unplaced } = highlightText(text, terms, { stems });
          expect(segments.map((s) => s.text).join('')).toBe(text);
          const placed = terms
            .filter((t) => !unplaced.includes(t))
            .reduce((sum, t) => sum + t.contribution, 0);
          const folded = words.reduce((sum, w) => sum + w.contribution, 0);
          expect(folded).toBeCloseTo(placed, 6);
          const byWord = new Map(words.map((w) => [w.key, w]));
          for (const s of segments) {
            if (s.direction === undefined) continue;
            const w = [...byWord.values()].find((x) => x.contribution === s.score);
            expect(w).toBeDefined();
            expect(s.direction).toBe(w!.contribution > 0 ? 'toward' : 'against');
          }
          // Every word with a contribution is marked wherever it occurs.
          for (const w of words) {
            expect(segments.some((s) => s.score === w.contribution && s.direction !== undefined)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
