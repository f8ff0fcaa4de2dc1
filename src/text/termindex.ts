/**
 * A read-only vocabulary (term → column) looked up by a span of a string, so character n-grams can
 * be counted without creating a string per n-gram. Open addressing over FNV-1a hashes of UTF-16
 * code units; term text is stored once in a flat Uint16Array.
 */
export class TermIndex {
  readonly size: number;
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly starts: Int32Array;
  private readonly units: Uint16Array;

  constructor(terms: readonly string[]) {
    this.size = terms.length;
    let total = 0;
    for (const term of terms) total += term.length;
    this.units = new Uint16Array(total);
    this.starts = new Int32Array(terms.length + 1);
    this.hashes = new Int32Array(terms.length);
    let capacity = 16;
    while (capacity < terms.length * 2) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    let at = 0;
    terms.forEach((term, id) => {
      this.starts[id] = at;
      for (let i = 0; i < term.length; i++) this.units[at++] = term.charCodeAt(i);
      const hash = hashSpan(term, 0, term.length);
      this.hashes[id] = hash;
      if (this.find(term, 0, term.length, hash) >= 0) {
        throw new RangeError(`vocabulary term ${JSON.stringify(term)} appears twice`);
      }
      let slot = hash & this.mask;
      while (this.slots[slot] >= 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = id;
    });
    this.starts[terms.length] = at;
  }

  /** The column of `source.slice(from, to)`, or -1. */
  lookup(source: string, from: number, to: number): number {
    return this.find(source, from, to, hashSpan(source, from, to));
  }

  get(term: string): number {
    return this.lookup(term, 0, term.length);
  }

  private find(source: string, from: number, to: number, hash: number): number {
    const length = to - from;
    let slot = hash & this.mask;
    for (;;) {
      const id = this.slots[slot];
      if (id < 0) return -1;
      if (this.hashes[id] === hash) {
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

function hashSpan(source: string, from: number, to: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ source.charCodeAt(i), 0x01000193);
  return hash ^ (hash >>> 15);
}
