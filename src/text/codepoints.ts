/**
 * Sets of code points given as sorted, inclusive [first, last] ranges (the form unicode.json uses).
 * Membership is a bitmap lookup for the Basic Multilingual Plane (where nearly all text lives) and a
 * binary search above it.
 */
export type CodePointRange = readonly [number, number];

const BMP_SIZE = 0x10000;
export const MAX_CODE_POINT = 0x10ffff;

export class CodePointSet {
  readonly ranges: readonly CodePointRange[];
  private readonly bmp: Uint8Array;
  private readonly astralFirst: Uint32Array;
  private readonly astralLast: Uint32Array;

  constructor(ranges: readonly CodePointRange[]) {
    this.ranges = normalizeRanges(ranges);
    this.bmp = new Uint8Array(BMP_SIZE);
    const astral: CodePointRange[] = [];
    for (const [first, last] of this.ranges) {
      for (let c = first; c <= Math.min(last, BMP_SIZE - 1); c++) this.bmp[c] = 1;
      if (last >= BMP_SIZE) astral.push([Math.max(first, BMP_SIZE), last]);
    }
    this.astralFirst = Uint32Array.from(astral, (r) => r[0]);
    this.astralLast = Uint32Array.from(astral, (r) => r[1]);
  }

  has(codePoint: number): boolean {
    if (codePoint < BMP_SIZE) return this.bmp[codePoint] === 1;
    let lo = 0;
    let hi = this.astralFirst.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (codePoint < this.astralFirst[mid]) hi = mid - 1;
      else if (codePoint > this.astralLast[mid]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Whether a UTF-16 code unit below 0x10000 is in the set (no surrogate decoding). */
  hasUnit(unit: number): boolean {
    return this.bmp[unit] === 1;
  }
}

/** Sort, merge overlapping/adjacent ranges and validate bounds. */
export function normalizeRanges(ranges: readonly CodePointRange[]): CodePointRange[] {
  const sorted = ranges
    .map(([a, b]): [number, number] => {
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > MAX_CODE_POINT || a > b) {
        throw new RangeError(`invalid code point range [${a}, ${b}]`);
      }
      return [a, b];
    })
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

export function complementRanges(ranges: readonly CodePointRange[]): CodePointRange[] {
  const out: CodePointRange[] = [];
  let next = 0;
  for (const [a, b] of normalizeRanges(ranges)) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function hex(c: number): string {
  return `\\u{${c.toString(16).toUpperCase()}}`;
}

/** The inside of a JavaScript `u`-mode character class matching exactly these code points. */
export function rangesToClassBody(ranges: readonly CodePointRange[]): string {
  let body = '';
  for (const [a, b] of normalizeRanges(ranges)) {
    body += a === b ? hex(a) : b === a + 1 ? hex(a) + hex(b) : `${hex(a)}-${hex(b)}`;
  }
  return body;
}
