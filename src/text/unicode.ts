/**
 * The character tables of the Python that fitted a model (unicode.json), compiled for fast lookup.
 * Python's `str.lower()`, `str.isspace()`, `re`'s `\w`/`\d`/`\s` and `unicodedata` all come from the
 * Unicode version of that Python; Node's own tables are newer and differ (see
 * docs/sklearn-tfidf-parity.md), so every Unicode decision in text/ goes through these tables.
 */
import type { UnicodeTables } from '../model/schema';
import { CodePointSet } from './codepoints';

export interface PythonUnicode {
  readonly unicodeVersion: string;
  readonly pythonVersion: string;
  /** `c.isalnum() or c == '_'`: re's `\w` for str patterns. */
  readonly word: CodePointSet;
  /** `c.isdecimal()`: re's `\d`. */
  readonly digit: CodePointSet;
  /** `c.isspace()`: re's `\s` and `str.split()`. */
  readonly space: CodePointSet;
  /** Code points assigned in this Unicode version (category != Cn). */
  readonly assigned: CodePointSet;
  /** Non-zero canonical combining class. */
  readonly combining: CodePointSet;
  readonly caseIgnorable: CodePointSet;
  readonly cased: CodePointSet;
  /** Code point → `chr(c).lower()` for every code point that changes, except U+03A3. */
  readonly lower: ReadonlyMap<number, string>;
  /** BMP code unit → its lowercase as a single UTF-16 unit, or -1 when it needs the slow path. */
  readonly lowerUnit: Int32Array;
}

const compiled = new WeakMap<UnicodeTables, PythonUnicode>();

/** Compile the tables once per tables object (blocks of one bundle share them). */
export function compileUnicode(tables: UnicodeTables): PythonUnicode {
  const cached = compiled.get(tables);
  if (cached !== undefined) return cached;
  const lower = new Map<number, string>();
  for (const [key, value] of Object.entries(tables.lower)) {
    const codePoint = Number(key);
    if (!Number.isInteger(codePoint) || codePoint < 0 || codePoint > 0x10ffff) {
      throw new RangeError(`lower: ${key} is not a code point`);
    }
    lower.set(codePoint, value);
  }
  const lowerUnit = new Int32Array(0x10000);
  for (let unit = 0; unit < 0x10000; unit++) {
    const mapped = lower.get(unit);
    if (unit >= 0xd800 && unit <= 0xdfff) lowerUnit[unit] = -1;
    else if (unit === 0x3a3) lowerUnit[unit] = -1;
    else if (mapped === undefined) lowerUnit[unit] = unit;
    else if (mapped.length === 1) lowerUnit[unit] = mapped.charCodeAt(0);
    else lowerUnit[unit] = -1;
  }
  const result: PythonUnicode = {
    unicodeVersion: tables.unicode_version,
    pythonVersion: tables.python_version,
    word: new CodePointSet(tables.word),
    digit: new CodePointSet(tables.digit),
    space: new CodePointSet(tables.space),
    assigned: new CodePointSet(tables.assigned),
    combining: new CodePointSet(tables.combining),
    caseIgnorable: new CodePointSet(tables.case_ignorable),
    cased: new CodePointSet(tables.cased),
    lower,
    lowerUnit,
  };
  compiled.set(tables, result);
  return result;
}

/** True when every UTF-16 unit is below 0x80. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
