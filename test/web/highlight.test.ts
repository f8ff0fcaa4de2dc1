import fc from 'fast-check';
import { type HighlightTerm, highlightText, wordKey } from '../../src/web/highlight';

const marked = (text: string, terms: HighlightTerm[]) =>
  highlightText(text, terms)
    .segments.filter((s) => s.direction !== undefined)
    .map((s) => [s.text, s.direction]);

describe('highlightText', () => {
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
  });

  it('never marks part of a word', () => {
    expect(marked('firefighters and bonfire', [{ term: 'fire', contribution: 1 }])).toEqual([]);
    const { unplaced } = highlightText('firefighters', [{ term: 'fire', contribution: 1 }]);
    expect(unplaced.map((t) => t.term)).toEqual(['fire']);
  });

  it('marks the run of words an n-gram came from, across one-character tokens the vectorizer drops', () => {
    expect(marked('Forest fire near me', [{ term: 'forest fire', contribution: 0.5 }])).toEqual([
      ['Forest', 'toward'],
      ['fire', 'toward'],
    ]);
    expect(marked('a fire a building', [{ term: 'fire building', contribution: 0.5 }])).toEqual([
      ['fire', 'toward'],
      ['building', 'toward'],
    ]);
    // Only the run is marked, not "fire" elsewhere.
    expect(marked('fire; forest fire', [{ term: 'forest fire', contribution: 0.5 }])).toEqual([
      ['forest', 'toward'],
      ['fire', 'toward'],
    ]);
  });

  it('falls back to the parts of an n-gram whose words are not adjacent (stop words removed between)', () => {
    expect(marked('forest on fire', [{ term: 'forest fire', contribution: 0.5 }])).toEqual([
      ['forest', 'toward'],
      ['fire', 'toward'],
    ]);
  });

  it('sums the terms on a word and takes the side of the sum; a tie leaves the word unmarked', () => {
    const { segments } = highlightText('forest fire', [
      { term: 'fire', contribution: -0.3 },
      { term: 'forest fire', contribution: 0.5 },
    ]);
    const fire = segments.find((s) => s.text === 'fire');
    expect(fire?.direction).toBe('toward');
    expect(fire?.score).toBeCloseTo(0.2);
    expect(fire?.terms?.map((t) => t.term)).toEqual(['forest fire', 'fire']);
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

  it('lists character n-grams instead of marking them', () => {
    const padded = highlightText('the fire', [
      { term: ' fi', contribution: 0.4 },
      { term: 'ire ', contribution: 0.2 },
      { term: 'fire', contribution: 0.1, analyzer: 'char_wb' },
      { term: 'the', contribution: 0.1, analyzer: 'char' },
    ]);
    expect(padded.segments).toEqual([{ text: 'the fire' }]);
    expect(padded.unplaced.map((t) => t.term)).toEqual([' fi', 'ire ', 'fire', 'the']);
  });

  it('places stems of a word analyzer on the words that start with them, and only then', () => {
    const stem = { term: 'disast', contribution: 0.7, analyzer: 'word' as const };
    expect(marked('A disaster, disasters everywhere', [stem])).toEqual([
      ['disaster', 'toward'],
      ['disasters', 'toward'],
    ]);
    // Unknown analyzer: a stem that is not a word stays listed.
    expect(highlightText('A disaster', [{ term: 'disast', contribution: 0.7 }]).unplaced).toHaveLength(1);
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

  it('property: segments always spell the text, and marked segments are whole words of it', () => {
    const word = fc.stringMatching(/^[A-Za-zÀ-ÿ]{1,6}$/);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word, fc.constantFrom(' ', ', ', '\n', '🔥', '<', '&', "'")), { maxLength: 30 }),
        fc.array(
          fc.record({
            term: fc.oneof(
              word,
              fc.tuple(word, word).map(([a, b]) => `${a} ${b}`),
            ),
            contribution: fc.double({ min: -2, max: 2, noNaN: true }),
          }),
          {
            maxLength: 12,
          },
        ),
        (pieces, terms) => {
          const text = pieces.join('');
          const { segments } = highlightText(text, terms);
          expect(segments.map((s) => s.text).join('')).toBe(text);
          for (const s of segments) {
            if (s.direction === undefined) continue;
            expect(s.text).toMatch(/^[\p{L}\p{N}\p{M}_]+$/u);
            const keys = new Set(
              s.terms?.flatMap((t) => (t.term.match(/[\p{L}\p{N}\p{M}_]+/gu) ?? []).map(wordKey)),
            );
            expect(keys.has(wordKey(s.text))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
