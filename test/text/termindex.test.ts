import { TermIndex } from '../../src/text/termindex';

describe('TermIndex', () => {
  const terms = ['fire', ' fi', 'fi', '', 'é', '😀x', 'a b'];
  const index = new TermIndex(terms);

  it('finds every term by value and by span', () => {
    terms.forEach((term, column) => expect(index.get(term)).toBe(column));
    expect(index.lookup('wildfire!', 4, 8)).toBe(0);
    expect(index.lookup(' fire ', 0, 3)).toBe(1);
    expect(index.lookup('x😀xy', 1, 4)).toBe(5);
    expect(index.lookup('fire', 2, 2)).toBe(3);
  });

  it('answers -1 for unknown terms', () => {
    expect(index.get('fir')).toBe(-1);
    expect(index.get('fires')).toBe(-1);
    expect(index.get('a  b')).toBe(-1);
    expect(new TermIndex([]).get('x')).toBe(-1);
  });

  it('walks a span one code unit at a time, and a dead walk stays dead', () => {
    let state = TermIndex.ROOT;
    const states = [...'fire'].map((ch) => (state = index.step(state, ch.charCodeAt(0))));
    expect(states.map((s) => index.columnOf(s))).toEqual([-1, 2, -1, 0]);
    expect(index.step(state, 's'.charCodeAt(0))).toBe(TermIndex.DEAD);
    expect(index.step(TermIndex.DEAD, 'f'.charCodeAt(0))).toBe(TermIndex.DEAD);
    expect(index.columnOf(TermIndex.DEAD)).toBe(-1);
    expect(index.columnOf(TermIndex.ROOT)).toBe(3);
    expect(new TermIndex(['a']).columnOf(TermIndex.ROOT)).toBe(-1);
    expect(index.stateOf('wildfire', 4, 8)).toBe(state);
  });

  it('refuses duplicates', () => {
    expect(() => new TermIndex(['a', 'b', 'a'])).toThrow(/"a" appears twice/);
  });

  it('scales to a large vocabulary', () => {
    const many = Array.from({ length: 50000 }, (_, i) => `t${i.toString(36)}`);
    const big = new TermIndex(many);
    expect(big.get('t0')).toBe(0);
    expect(big.get(many[49999])).toBe(49999);
    expect(big.get('zzzz')).toBe(-1);
  });
});
