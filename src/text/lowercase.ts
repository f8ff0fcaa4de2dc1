/**
 * Python's `str.lower()` with the tables of the fitting Python, including the one context-dependent
 * rule CPython applies (final sigma, `handle_capital_sigma` in unicodeobject.c).
 */
import type { PythonUnicode } from './unicode';

const CAPITAL_SIGMA = 0x3a3;

export function pythonLower(text: string, uni: PythonUnicode): string {
  const units = uni.lowerUnit;
  // Fast path: every unit maps to one unit (ASCII, most Latin/Greek/Cyrillic text).
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (u < 0x80) continue;
    if (units[u] < 0) return lowerSlow(text, uni);
    ascii = false;
  }
  // ASCII lowercasing is the same in every Unicode version.
  return ascii ? text.toLowerCase() : mapUnits(text, units);
}

function mapUnits(text: string, units: Int32Array): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    const mapped = units[u];
    if (mapped !== u) {
      out += text.slice(start, i) + String.fromCharCode(mapped);
      start = i + 1;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}

function lowerSlow(text: string, uni: PythonUnicode): string {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i) as number;
    const size = cp > 0xffff ? 2 : 1;
    let replacement: string | undefined;
    if (cp === CAPITAL_SIGMA) replacement = finalSigma(text, i, uni) ? '\u03c2' : '\u03c3';
    else replacement = uni.lower.get(cp);
    if (replacement !== undefined) {
      if (i > start) parts.push(text.slice(start, i));
      parts.push(replacement);
      start = i + size;
    }
    i += size;
  }
  if (start < text.length) parts.push(text.slice(start));
  return parts.join('');
}

/** `cased case_ignorable* Σ !(case_ignorable* cased)`, looking at the original text. */
function finalSigma(text: string, at: number, uni: PythonUnicode): boolean {
  let j = at;
  let before = -1;
  while (j > 0) {
    const cp = codePointBefore(text, j);
    j -= cp > 0xffff ? 2 : 1;
    if (!uni.caseIgnorable.has(cp)) {
      before = cp;
      break;
    }
  }
  if (before < 0 || !uni.cased.has(before)) return false;
  let k = at + 1;
  while (k < text.length) {
    const cp = text.codePointAt(k) as number;
    if (!uni.caseIgnorable.has(cp)) return !uni.cased.has(cp);
    k += cp > 0xffff ? 2 : 1;
  }
  return true;
}

function codePointBefore(text: string, end: number): number {
  const low = text.charCodeAt(end - 1);
  if (low >= 0xdc00 && low <= 0xdfff && end >= 2) {
    const high = text.charCodeAt(end - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}
