/**
 * A read-only vocabulary (term → column) looked up by a span of a string, so character n-grams can
 * be counted without creating a string per n-gram. Open addressing over FNV-1a hashes of UTF-16
 * code units; each slot keeps the hash beside the column, so a miss costs one memory access; term
 * text is stored once in a flat Uint16Array.
 */
export class TermIndex {
  readonly size: number;
  /** [hash, column] pairs; column -1 = empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly starts: Int32Array;
  private readonly units: Uint16Array;

  constructor(terms: readonly string[]) {
    this.size = terms.length;
    let total = 0;
    for (const term of terms) total += term.length;
    this.units = new Uint16Array(total);
    this.starts = new Int32Array(terms.length + 1);
    let capacity = 16;
    while (capacity < terms.length * 2) capacity *= 2;
    this.slots = new Int32Array(capacity * 2).fill(-1);
    this.mask = capacity - 1;
    let at = 0;
    terms.forEach((term, id) => {
      this.starts[id] = at;
      for (let i = 0; i < term.length; i++) this.units[at++] = term.charCodeAt(i);
      const hash = finishHash(spanHashState(term, 0, term.length));
      if (this.find(term, 0, term.length, hash) >= 0) {
        throw new RangeError(`vocabulary term ${JSON.stringify(term)} appears twice`);
      }
      let slot = hash & this.mask;
      while (this.slots[2 * slot + 1] >= 0) slot = (slot + 1) & this.mask;
      this.slots[2 * slot] = hash;
      this.slots[2 * slot + 1] = id;
    });
    this.starts[terms.length] = at;
  }

  /** The column of `source.slice(from, to)`, or -1. */
  lookup(source: string, from: number, to: number): number {
    return this.find(source, from, to, finishHash(spanHashState(source, from, to)));
  }

  /**
   * `lookup` for a span whose hash state the caller already has (`spanHashState`, or built one unit
   * at a time with `hashStep`): n-grams that share a start extend one hash instead of starting over.
   */
  lookupHashed(source: string, from: number, to: number, state: number): number {
    return this.find(source, from, to, finishHash(state));
  }

  get(term: string): number {
    return this.lookup(term, 0, term.length);
  }

  private find(source: string, from: number, to: number, hash: number): number {
    const length = to - from;
    let slot = hash & this.mask;
    for (;;) {
      const id = this.slots[2 * slot + 1];
      if (id < 0) return -1;
      if (this.slots[2 * slot] === hash) {
        const start = this.starts[id];
        if (this.starts[id + 1] - start === length) {
          let i = 0;
          while (i < length && this.units[start + i] === source.charCodeAt(from + i)) i++;
          if (i === length) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
  }
}

/** FNV-1a over UTF-16 code units: the state of the empty span. */
export const HASH_SEED = 0x811c9dc5 | 0;

/** The state of a span extended by one code unit. */
export function hashStep(state: number, unit: number): number {
  return Math.imul(state ^ unit, 0x01000193);
}

export function spanHashState(source: string, from: number, to: number): number {
  let state = HASH_SEED;
  for (let i = from; i < to; i++) state = hashStep(state, source.charCodeAt(i));
  return state;
}

function finishHash(state: number): number {
  return state ^ (state >>> 15);
}
