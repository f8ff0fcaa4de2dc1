import {
  CodePointSet,
  complementRanges,
  normalizeRanges,
  rangesToClassBody,
} from '../../src/text/codepoints';

describe('CodePointSet', () => {
  const set = new CodePointSet([
    [0x41, 0x5a],
    [0x10400, 0x1044f],
    [0x5f, 0x5f],
  ]);

  it('answers membership in and outside the BMP', () => {
    expect(set.has(0x41)).toBe(true);
    expect(set.has(0x5b)).toBe(false);
    expect(set.has(0x5f)).toBe(true);
    expect(set.has(0x10400)).toBe(true);
    expect(set.has(0x1044f)).toBe(true);
    expect(set.has(0x10450)).toBe(false);
    expect(set.has(0x10ffff)).toBe(false);
  });

  it('merges, complements and renders ranges', () => {
    expect(
      normalizeRanges([
        [5, 6],
        [1, 2],
        [3, 4],
      ]),
    ).toEqual([[1, 6]]);
    expect(
      complementRanges([
        [0, 9],
        [20, 0x10ffff],
      ]),
    ).toEqual([[10, 19]]);
    expect(
      new RegExp(
        `^[${rangesToClassBody([
          [0x41, 0x42],
          [0x1f600, 0x1f600],
        ])}]+$`,
        'u',
      ).test('AB😀'),
    ).toBe(true);
    expect(() => normalizeRanges([[3, 1]])).toThrow(RangeError);
  });
});
