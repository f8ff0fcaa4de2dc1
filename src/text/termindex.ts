/**
 * A read-only vocabulary (term → column) walked one UTF-16 code unit at a time: a trie whose edges
 * (parent state, code unit) live in one open-addressing table, each edge's slot being the state it
 * leads to, with that state's column beside it. The n-gram walks extend a span by a unit with
 * `step`, so n-grams that share a start share their walk, and a hit costs one table access with no
 * comparison of the term's text.
 */
export class TermIndex {
  /** The state of the empty span; `step` and `stateOf` answer DEAD once no term starts so. */
  static readonly ROOT = -2;
  static readonly DEAD = -1;

  readonly size: number;
  /** [parent state, code unit, column] per slot (the slot is the state the edge leads to); unit -1 = empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** The column of the empty term, when the vocabulary has one. */
  private rootColumn = -1;

  constructor(terms: readonly string[]) {
    this.size = terms.length;
    // Sorted, consecutive terms share their common prefix: what is left of each is a new state.
    const sorted = [...terms].sort();
    let states = 0;
    for (let k = 0; k < sorted.length; k++) {
      const term = sorted[k];
      const previous = k > 0 ? sorted[k - 1] : '';
      let common = 0;
      while (
        common < term.length &&
        common < previous.length &&
        term.charCodeAt(common) === previous.charCodeAt(common)
      )
        common++;
      states += term.length - common;
    }
    // At most half full, so a miss ends after a few slots.
    let capacity = 16;
    while (capacity < states * 2) capacity *= 2;
    this.slots = new Int32Array(capacity * 3).fill(-1);
    this.mask = capacity - 1;
    terms.forEach((term, column) => {
      let state = TermIndex.ROOT;
      for (let i = 0; i < term.length; i++) state = this.grow(state, term.charCodeAt(i));
      if (this.columnOf(state) >= 0)
        throw new RangeError(`vocabulary term ${JSON.stringify(term)} appears twice`);
      if (state === TermIndex.ROOT) this.rootColumn = column;
      else this.slots[state * 3 + 2] = column;
    });
  }

  /** The state of a span extended by one code unit (DEAD stays DEAD). */
  step(state: number, unit: number): number {
    if (state === TermIndex.DEAD) return TermIndex.DEAD;
    const slots = this.slots;
    let slot = edgeHash(state, unit) & this.mask;
    for (;;) {
      const at = slot * 3;
      const edgeUnit = slots[at + 1];
      if (edgeUnit < 0) return TermIndex.DEAD;
      if (edgeUnit === unit && slots[at] === state) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The column of the term a state spells, or -1. */
  columnOf(state: number): number {
    if (state >= 0) return this.slots[state * 3 + 2];
    return state === TermIndex.ROOT ? this.rootColumn : -1;
  }

  /** The state of `source.slice(from, to)`. */
  stateOf(source: string, from: number, to: number): number {
    let state = TermIndex.ROOT;
    for (let i = from; i < to && state !== TermIndex.DEAD; i++)
      state = this.step(state, source.charCodeAt(i));
    return state;
  }

  /** The column of `source.slice(from, to)`, or -1. */
  lookup(source: string, from: number, to: number): number {
    return this.columnOf(this.stateOf(source, from, to));
  }

  get(term: string): number {
    return this.lookup(term, 0, term.length);
  }

  /** `step`, adding the edge when it is not there yet (construction only: the table is sized for all). */
  private grow(state: number, unit: number): number {
    const found = this.step(state, unit);
    if (found >= 0) return found;
    let slot = edgeHash(state, unit) & this.mask;
    while (this.slots[slot * 3 + 1] >= 0) slot = (slot + 1) & this.mask;
    this.slots[slot * 3] = state;
    this.slots[slot * 3 + 1] = unit;
    return slot;
  }
}

function edgeHash(state: number, unit: number): number {
  const h = Math.imul(state ^ (unit << 16) ^ unit, 0x9e3779b1);
  return h ^ (h >>> 15);
}
