/**
 * sklearn's n-gram generators (`_word_ngrams`, `_char_ngrams`, `_char_wb_ngrams`), in its exact
 * output order. Character n-grams count code points, never UTF-16 units.
 */
import { TermIndex } from './termindex';
import { collapseWhitespace, splitWhitespace } from './whitespace';
import type { PythonUnicode } from './unicode';

/** Stop words are removed first; then unigrams (when minN = 1), all bigrams left to right, ... */
export function wordNgrams(
  tokens: readonly string[],
  minN: number,
  maxN: number,
  stopWords: ReadonlySet<string> | null,
): string[] {
  const kept = stopWords === null ? (tokens as string[]) : tokens.filter((t) => !stopWords.has(t));
  if (maxN === 1) return kept === tokens ? kept.slice() : kept;
  const out: string[] = [];
  let n0 = minN;
  if (minN === 1) {
    for (const t of kept) out.push(t);
    n0 = 2;
  }
  const count = kept.length;
  for (let n = n0; n <= Math.min(maxN, count); n++) {
    for (let i = 0; i + n <= count; i++) {
      let gram = kept[i];
      for (let k = 1; k < n; k++) gram += ' ' + kept[i + k];
      out.push(gram);
    }
  }
  return out;
}

/** UTF-16 offsets of every code point, plus the end: slicing [off[i], off[i+n]) is n code points. */
function codePointOffsets(text: string): Int32Array | null {
  const points = codePointCount(text, 0, text.length);
  if (points === text.length) return null;
  const offsets = new Int32Array(points + 1);
  let k = 0;
  for (let i = 0; i < text.length; i = codePointEnd(text, i, text.length)) offsets[k++] = i;
  offsets[k] = text.length;
  return offsets;
}

/**
 * The same n-grams as wordNgrams (the same multiset, and the same count), in another order, as
 * spans walked in `index`: an n-gram of the kept tokens is a span of those tokens joined by single
 * spaces, so none is built on its own and each start extends one walk.
 */
export function visitWordNgrams(
  tokens: readonly string[],
  minN: number,
  maxN: number,
  stopWords: ReadonlySet<string> | null,
  index: TermIndex,
  visit: SpanStateVisitor,
): number {
  const kept = stopWords === null ? tokens : tokens.filter((t) => !stopWords.has(t));
  const joined = kept.join(' ');
  let count = 0;
  let start = 0;
  for (let i = 0; i < kept.length; i++) {
    let state = TermIndex.ROOT;
    let end = start;
    for (let n = 1; n <= maxN && i + n <= kept.length; n++) {
      if (n > 1) state = index.step(state, joined.charCodeAt(end++));
      const stop = end + kept[i + n - 1].length;
      for (; end < stop && state !== TermIndex.DEAD; end++) state = index.step(state, joined.charCodeAt(end));
      end = stop;
      if (n >= minN) {
        visit(joined, start, end, state);
        count++;
      }
    }
    start += kept[i].length + 1;
  }
  return count;
}

/** Called with each n-gram as `source.slice(from, to)`, without building that string. */
export type WindowVisitor = (source: string, from: number, to: number) => void;

/** Visits text[i : i + n] for every window, n = minN..maxN, in sklearn's order; returns the count. */
function visitWindows(text: string, minN: number, maxN: number, visit: WindowVisitor): number {
  const offsets = codePointOffsets(text);
  const length = offsets === null ? text.length : offsets.length - 1;
  let count = 0;
  let n0 = minN;
  if (minN === 1) {
    for (let i = 0; i < length; i++) {
      if (offsets === null) visit(text, i, i + 1);
      else visit(text, offsets[i], offsets[i + 1]);
    }
    count += length;
    n0 = 2;
  }
  for (let n = n0; n <= Math.min(maxN, length); n++) {
    for (let i = 0; i + n <= length; i++) {
      if (offsets === null) visit(text, i, i + n);
      else visit(text, offsets[i], offsets[i + n]);
    }
    count += length - n + 1;
  }
  return count;
}

/** analyzer='char': whitespace runs collapsed, then n-grams over the whole text. */
export function visitCharNgrams(
  text: string,
  minN: number,
  maxN: number,
  uni: PythonUnicode,
  visit: WindowVisitor,
): number {
  return visitWindows(collapseWhitespace(text, uni), minN, maxN, visit);
}

/**
 * analyzer='char_wb': n-grams inside each whitespace-separated word padded with one space each side.
 * A padded word not longer than n is emitted once, and larger n are skipped for it.
 */
export function visitCharWbNgrams(
  text: string,
  minN: number,
  maxN: number,
  uni: PythonUnicode,
  visit: WindowVisitor,
): number {
  let count = 0;
  // Collapsing whitespace first (as sklearn does) cannot change what split() yields.
  for (const word of splitWhitespace(text, uni)) {
    const padded = ' ' + word + ' ';
    const offsets = codePointOffsets(padded);
    const length = offsets === null ? padded.length : offsets.length - 1;
    for (let n = minN; n <= maxN; n++) {
      const width = Math.min(n, length);
      let offset = 0;
      for (;;) {
        if (offsets === null) visit(padded, offset, offset + width);
        else visit(padded, offsets[offset], offsets[offset + width]);
        count++;
        if (offset + n >= length) break;
        offset++;
      }
      if (offset === 0) break;
    }
  }
  return count;
}

/**
 * A span visitor that also gets the span's state in the TermIndex the walk was given
 * (`TermIndex.columnOf(state)` is its column; TermIndex.DEAD when no term starts so).
 */
export type SpanStateVisitor = (source: string, from: number, to: number, state: number) => void;

/**
 * Every window [i, i + n) of source[start, end) with minN ≤ n ≤ maxN characters, by start then
 * length, so each start extends one walk in `index`. A character is a code point, as in Python: a
 * surrogate pair is one (both its units stepped), a lone surrogate another.
 */
function visitSpansWalked(
  source: string,
  start: number,
  end: number,
  minN: number,
  maxN: number,
  index: TermIndex,
  visit: SpanStateVisitor,
): number {
  let count = 0;
  for (let i = start; i < end; i = codePointEnd(source, i, end)) {
    let state = TermIndex.ROOT;
    let j = i;
    for (let n = 1; n <= maxN && j < end; n++) {
      // codePointEnd's steps, unrolled: this loop is the hot one (2–4 µs a tweet less, measured).
      const unit = source.charCodeAt(j++);
      state = index.step(state, unit);
      if (isHighSurrogate(unit) && j < end && isLowSurrogate(source.charCodeAt(j))) {
        state = index.step(state, source.charCodeAt(j++));
      }
      if (n >= minN) {
        visit(source, i, j, state);
        count++;
      }
    }
  }
  return count;
}

/** Where the code point at `at` ends (before `end`). */
function codePointEnd(source: string, at: number, end: number): number {
  return isHighSurrogate(source.charCodeAt(at)) && at + 1 < end && isLowSurrogate(source.charCodeAt(at + 1))
    ? at + 2
    : at + 1;
}

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/** Code points in source[start, end). */
function codePointCount(source: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i = codePointEnd(source, i, end)) count++;
  return count;
}

/** Character n-grams visited as walked spans, in no particular order (see below). */
export type UnorderedNgramVisitor = (
  text: string,
  minN: number,
  maxN: number,
  uni: PythonUnicode,
  index: TermIndex,
  visit: SpanStateVisitor,
) => number;

/**
 * The same n-grams as visitCharNgrams (the same multiset, and the same count), in another order:
 * counting them does not depend on order, and this one walks each start once.
 */
export const visitCharNgramsUnordered: UnorderedNgramVisitor = (text, minN, maxN, uni, index, visit) => {
  const collapsed = collapseWhitespace(text, uni);
  return visitSpansWalked(collapsed, 0, collapsed.length, minN, maxN, index, visit);
};

/**
 * The same n-grams as visitCharWbNgrams, in another order (see visitCharNgramsUnordered). The padded
 * words are laid side by side in one string (' w1  w2 '), so none is built on its own.
 */
export const visitCharWbNgramsUnordered: UnorderedNgramVisitor = (text, minN, maxN, uni, index, visit) => {
  const words = splitWhitespace(text, uni);
  if (words.length === 0) return 0;
  const padded = ` ${words.join('  ')} `;
  let count = 0;
  let start = 0;
  for (const word of words) {
    const end = start + word.length + 2;
    const length = codePointCount(padded, start, end);
    // A padded word shorter than minN is one n-gram of its own; otherwise every window that fits.
    if (length < minN) {
      visit(padded, start, end, index.stateOf(padded, start, end));
      count++;
    } else count += visitSpansWalked(padded, start, end, minN, maxN, index, visit);
    start = end;
  }
  return count;
};

const collect =
  (out: string[]): WindowVisitor =>
  (source, from, to) => {
    out.push(source.slice(from, to));
  };

export function charNgrams(text: string, minN: number, maxN: number, uni: PythonUnicode): string[] {
  const out: string[] = [];
  visitCharNgrams(text, minN, maxN, uni, collect(out));
  return out;
}

export function charWbNgrams(text: string, minN: number, maxN: number, uni: PythonUnicode): string[] {
  const out: string[] = [];
  visitCharWbNgrams(text, minN, maxN, uni, collect(out));
  return out;
}
