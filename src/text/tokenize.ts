/**
 * sklearn's word tokenizer: `re.findall(token_pattern, doc)` with Python's semantics (no group →
 * the whole match, one group → group 1, '' when it did not take part; after an empty match the
 * next match may start at the same position if it is not empty).
 */
import { PatternError, translatePythonPattern, type TranslatedPattern } from './pyregex';
import type { CodePointSet } from './codepoints';
import type { PythonUnicode } from './unicode';

export type Tokenizer = (text: string) => string[];

/** `(?u)\b\w\w+\b` and `\b\w+\b`-style patterns: maximal word runs of at least `minLength`. */
const WORD_RUN_PATTERNS: ReadonlyMap<string, number> = new Map([
  ['(?u)\\b\\w\\w+\\b', 2],
  ['\\b\\w\\w+\\b', 2],
  ['(?u)\\b\\w+\\b', 1],
  ['\\b\\w+\\b', 1],
]);

export function createTokenizer(pattern: string, uni: PythonUnicode): Tokenizer {
  // Translate even when a fast path exists, so an invalid pattern fails the same way everywhere.
  const translated = translatePythonPattern(pattern, uni);
  const minLength = WORD_RUN_PATTERNS.get(pattern);
  if (minLength !== undefined) return (text) => wordRuns(text, uni.word, minLength);
  return regexTokenizer(translated);
}

function wordRuns(text: string, word: CodePointSet, minLength: number): string[] {
  const tokens: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let u = text.charCodeAt(i);
    // Skip non-word characters.
    if (u < 0xd800 || u > 0xdbff) {
      if (!word.hasUnit(u)) {
        i++;
        continue;
      }
    } else if (!isWordPairAt(text, i, word)) {
      i += isPairAt(text, i) ? 2 : 1;
      continue;
    }
    const start = i;
    let length = 0;
    while (i < n) {
      u = text.charCodeAt(i);
      if (u < 0xd800 || u > 0xdbff) {
        if (!word.hasUnit(u)) break;
        i++;
      } else {
        if (!isWordPairAt(text, i, word)) break;
        i += isPairAt(text, i) ? 2 : 1;
      }
      length++;
    }
    if (length >= minLength) tokens.push(text.slice(start, i));
  }
  return tokens;
}

function isPairAt(text: string, i: number): boolean {
  const next = text.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff;
}

/** At a high surrogate: whether the code point there (a pair or a lone surrogate) is a word character. */
function isWordPairAt(text: string, i: number, word: CodePointSet): boolean {
  return word.has(text.codePointAt(i) as number);
}

function regexTokenizer(translated: TranslatedPattern): Tokenizer {
  const regex = new RegExp(translated.source, translated.flags);
  const group = translated.tokenGroup;
  const take = (m: RegExpExecArray): string => (group === 0 ? m[0] : (m[group] ?? ''));
  const retry = translated.canMatchEmpty ? nonEmptyMatcher(translated) : null;
  return (text) => {
    const tokens: string[] = [];
    let pos = 0;
    let mustAdvance = false;
    while (pos <= text.length) {
      let match: RegExpExecArray | null;
      let start: number;
      if (mustAdvance) {
        const found = retry === null ? null : retry(text, pos);
        if (found === null) {
          if (pos >= text.length) break;
          pos += isHighAt(text, pos) && isPairAt(text, pos) ? 2 : 1;
          mustAdvance = false;
          continue;
        }
        match = found.match;
        start = pos;
        pos = found.end;
      } else {
        regex.lastIndex = pos;
        match = regex.exec(text);
        if (match === null) break;
        start = match.index;
        if (isLowAt(text, start) && start > 0 && isHighAt(text, start - 1)) {
          // V8 tries every UTF-16 position even in `u` mode, and an empty lookaround can succeed
          // between the two halves of a pair; Python only ever stands between code points.
          pos = start + 1;
          mustAdvance = false;
          continue;
        }
        pos = start + match[0].length;
      }
      tokens.push(take(match));
      mustAdvance = pos === start;
    }
    return tokens;
  };
}

function isHighAt(text: string, i: number): boolean {
  const u = text.charCodeAt(i);
  return u >= 0xd800 && u <= 0xdbff;
}

/**
 * Python's "must advance" rule: after an empty match at p, the next match may start at p only if it
 * is not empty. JavaScript cannot forbid an empty match directly, so the pattern runs sticky on the
 * text from a few code points before p with a final lookbehind saying "not at p".
 */
function nonEmptyMatcher(
  translated: TranslatedPattern,
): (text: string, pos: number) => { match: RegExpExecArray; end: number } | null {
  const cache = new Map<number, RegExp>();
  const forContext = (before: number): RegExp => {
    let regex = cache.get(before);
    if (regex === undefined) {
      const flags = translated.flags.replace('g', '') + 'y';
      regex = new RegExp(`(?:${translated.source})(?<!^[\\s\\S]{${before}})`, flags);
      if (cache.size < 64) cache.set(before, regex);
    }
    return regex;
  };
  // One more code point than the pattern looks back, so '^' and '\A' still fail where they should.
  const wanted = translated.lookbehindReach + 1;
  return (text, pos) => {
    let from = pos;
    let before = 0;
    while (from > 0 && before < wanted) {
      from -= from >= 2 && isHighAt(text, from - 2) && isLowAt(text, from - 1) ? 2 : 1;
      before++;
    }
    const regex = forContext(before);
    const slice = from === 0 ? text : text.slice(from);
    regex.lastIndex = pos - from;
    const match = regex.exec(slice);
    if (match === null || match[0].length === 0) return null;
    return { match, end: from + match.index + match[0].length };
  };
}

function isLowAt(text: string, i: number): boolean {
  const u = text.charCodeAt(i);
  return u >= 0xdc00 && u <= 0xdfff;
}

export { PatternError };
