/**
 * sklearn's n-gram generators (`_word_ngrams`, `_char_ngrams`, `_char_wb_ngrams`), in its exact
 * output order. Character n-grams count code points, never UTF-16 units.
 */
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
  let pairs = 0;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  if (pairs === 0) return null;
  const offsets = new Int32Array(text.length - pairs + 1);
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    offsets[k++] = i;
    const u = text.charCodeAt(i);
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  offsets[k] = text.length;
  return offsets;
}

/** Appends text[i : i + n] for every window, n = minN..maxN, in sklearn's order. */
function pushWindows(out: string[], text: string, minN: number, maxN: number): void {
  const offsets = codePointOffsets(text);
  const length = offsets === null ? text.length : offsets.length - 1;
  let n0 = minN;
  if (minN === 1) {
    for (let i = 0; i < length; i++) {
      out.push(offsets === null ? text[i] : text.slice(offsets[i], offsets[i + 1]));
    }
    n0 = 2;
  }
  for (let n = n0; n <= Math.min(maxN, length); n++) {
    for (let i = 0; i + n <= length; i++) {
      out.push(offsets === null ? text.slice(i, i + n) : text.slice(offsets[i], offsets[i + n]));
    }
  }
}

/** analyzer='char': whitespace runs collapsed, then n-grams over the whole text. */
export function charNgrams(text: string, minN: number, maxN: number, uni: PythonUnicode): string[] {
  const out: string[] = [];
  pushWindows(out, collapseWhitespace(text, uni), minN, maxN);
  return out;
}

/**
 * analyzer='char_wb': n-grams inside each whitespace-separated word padded with one space each side.
 * A padded word not longer than n is emitted once, and larger n are skipped for it.
 */
export function charWbNgrams(text: string, minN: number, maxN: number, uni: PythonUnicode): string[] {
  const out: string[] = [];
  // Collapsing whitespace first (as sklearn does) cannot change what split() yields.
  for (const word of splitWhitespace(text, uni)) {
    const padded = ' ' + word + ' ';
    const offsets = codePointOffsets(padded);
    const length = offsets === null ? padded.length : offsets.length - 1;
    const slice = (from: number, to: number): string =>
      offsets === null ? padded.slice(from, to) : padded.slice(offsets[from], offsets[Math.min(to, length)]);
    for (let n = minN; n <= maxN; n++) {
      let offset = 0;
      out.push(slice(offset, offset + n));
      while (offset + n < length) {
        offset++;
        out.push(slice(offset, offset + n));
      }
      if (offset === 0) break;
    }
  }
  return out;
}
