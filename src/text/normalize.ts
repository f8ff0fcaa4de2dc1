/**
 * NFKD and sklearn's two accent strippers, bound to the fitting Python's Unicode version.
 *
 * JavaScript's `normalize('NFKD')` knows a newer Unicode than the model's Python. Decompositions of
 * characters assigned in the older version are stable, and characters the older version did not
 * assign are starters that Python leaves alone; so the text is normalized in runs of assigned code
 * points, and unassigned ones are copied through (they also block canonical reordering, as in Python).
 */
import type { PythonUnicode } from './unicode';

export function nfkd(text: string, uni: PythonUnicode): string {
  let simple = true;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (u >= 0x80) {
      simple = false;
      break;
    }
  }
  if (simple) return text;
  const parts: string[] = [];
  let runStart = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i) as number;
    const size = cp > 0xffff ? 2 : 1;
    // Lone surrogates are not characters to JavaScript's normalizer; Python keeps them as they are.
    const isSurrogate = cp >= 0xd800 && cp <= 0xdfff;
    if (isSurrogate || !uni.assigned.has(cp)) {
      if (i > runStart) parts.push(text.slice(runStart, i).normalize('NFKD'));
      parts.push(text.slice(i, i + size));
      runStart = i + size;
    }
    i += size;
  }
  if (runStart < text.length) parts.push(text.slice(runStart).normalize('NFKD'));
  return parts.join('');
}

/** sklearn's `strip_accents_ascii`: NFKD, then drop every code point above 0x7F. */
export function stripAccentsAscii(text: string, uni: PythonUnicode): string {
  const normalized = nfkd(text, uni);
  let out = '';
  let start = 0;
  for (let i = 0; i < normalized.length; i++) {
    if (normalized.charCodeAt(i) > 0x7f) {
      out += normalized.slice(start, i);
      start = i + 1;
    }
  }
  return start === 0 ? normalized : out + normalized.slice(start);
}

/**
 * sklearn's `strip_accents_unicode`: pure-ASCII text is returned as is; otherwise NFKD, then drop
 * characters with a non-zero canonical combining class (not the same set as \p{M}).
 */
export function stripAccentsUnicode(text: string, uni: PythonUnicode): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text;
  const normalized = nfkd(text, uni);
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < normalized.length) {
    const cp = normalized.codePointAt(i) as number;
    const size = cp > 0xffff ? 2 : 1;
    if (uni.combining.has(cp)) {
      if (i > start) parts.push(normalized.slice(start, i));
      start = i + size;
    }
    i += size;
  }
  if (start === 0) return normalized;
  if (start < normalized.length) parts.push(normalized.slice(start));
  return parts.join('');
}
