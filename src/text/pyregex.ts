/**
 * Translates a Python `re` pattern (as sklearn's token_pattern uses it) into an equivalent JavaScript
 * `u`-mode regular expression, resolving every Unicode-dependent construct with the fitting Python's
 * tables instead of JavaScript's:
 * - `\w \W \d \D \s \S` (inside and outside classes) become explicit code point classes;
 * - `\b \B` become lookarounds over that word class (with Python's "never on an empty string");
 * - `.` is `[^\n]` (any code point with DOTALL), `^ $ \A \Z` follow Python's definitions;
 * - inline flags a, m, s, u, x are honoured exactly (u is Python 3's default for str patterns);
 *   a global (?i) becomes JavaScript's `i` flag, whose Unicode case folding matches Python's
 *   lower()-based IGNORECASE except for a few characters (e.g. U+0130, and letters newer than the
 *   fitting Python); scoped (?i:...) cannot be expressed and is refused;
 * - possessive quantifiers and atomic groups are emulated with a lookahead + backreference.
 * Constructs JavaScript cannot express exactly are refused with a PatternError instead of guessed.
 */
import { complementRanges, normalizeRanges, rangesToClassBody, type CodePointRange } from './codepoints';
import type { PythonUnicode } from './unicode';

export class PatternError extends Error {
  constructor(message: string, pattern: string, position: number) {
    super(`token_pattern ${JSON.stringify(pattern)}: ${message} at position ${position}`);
    this.name = 'PatternError';
  }
}

export interface TranslatedPattern {
  /** JavaScript source, to be compiled with `flags`. */
  readonly source: string;
  readonly flags: string;
  /** Capturing groups of the Python pattern (findall returns group 1 when there is exactly one). */
  readonly groupCount: number;
  /** The JavaScript group number that holds Python's group 1 (0 when groupCount is not 1). */
  readonly tokenGroup: number;
  /** Whether the pattern can match the empty string (findall then needs Python's advance rule). */
  readonly canMatchEmpty: boolean;
  /** How many code points before a match position the pattern may look at (Infinity if unbounded). */
  readonly lookbehindReach: number;
}

interface Flags {
  ascii: boolean;
  ignoreCase: boolean;
  multiline: boolean;
  dotAll: boolean;
  verbose: boolean;
}

type AssertKind = 'bol' | 'eol' | 'bos' | 'eos' | 'boundary' | 'nonBoundary';

type Node =
  | { t: 'char'; cp: number }
  | { t: 'set'; ranges: CodePointRange[] }
  | { t: 'assert'; kind: AssertKind; flags: Flags }
  | { t: 'group'; index: number | null; body: Node[][] }
  | { t: 'look'; behind: boolean; negate: boolean; body: Node[][] }
  | { t: 'atomic'; body: Node[][] }
  | { t: 'repeat'; min: number; max: number; mode: 'greedy' | 'lazy' | 'possessive'; body: Node }
  | { t: 'backref'; index: number };

const MAX_REPEAT = 0xffffffff;
const ASCII_WORD: CodePointRange[] = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const ASCII_DIGIT: CodePointRange[] = [[48, 57]];
const ASCII_SPACE: CodePointRange[] = [
  [9, 13],
  [32, 32],
];
const VERBOSE_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]);
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;
const isOctal = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 55;
const isHex = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

class Parser {
  private readonly cps: number[];
  private pos = 0;
  private flags: Flags;
  groupCount = 0;
  private readonly openGroups = new Set<number>();
  private readonly groupNames = new Map<string, number>();
  globalIgnoreCase = false;

  constructor(
    private readonly pattern: string,
    private readonly uni: PythonUnicode,
  ) {
    this.cps = Array.from(pattern, (ch) => ch.codePointAt(0) as number);
    this.flags = { ascii: false, ignoreCase: false, multiline: false, dotAll: false, verbose: false };
  }

  error(message: string, at = this.pos): PatternError {
    return new PatternError(message, this.pattern, at);
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  private eat(c: string): boolean {
    if (this.cps[this.pos] === c.codePointAt(0)) {
      this.pos++;
      return true;
    }
    return false;
  }

  parse(): Node[][] {
    const alternatives = this.parseAlternatives(true);
    if (this.pos < this.cps.length) throw this.error('unbalanced parenthesis');
    return alternatives;
  }

  private parseAlternatives(topLevel: boolean): Node[][] {
    const alternatives: Node[][] = [this.parseSequence(topLevel)];
    while (this.eat('|')) alternatives.push(this.parseSequence(false));
    return alternatives;
  }

  private skipVerbose(): void {
    if (!this.flags.verbose) return;
    for (;;) {
      const c = this.peek();
      if (c !== undefined && VERBOSE_SPACE.has(c)) this.pos++;
      else if (c === 0x23) {
        while (this.pos < this.cps.length && this.cps[this.pos] !== 0x0a) this.pos++;
        if (this.pos < this.cps.length) this.pos++;
      } else return;
    }
  }

  private parseSequence(first: boolean): Node[] {
    const items: Node[] = [];
    for (;;) {
      this.skipVerbose();
      const c = this.peek();
      if (c === undefined || c === 0x7c /* | */ || c === 0x29 /* ) */) return items;
      const start = this.pos;
      this.pos++;
      const ch = String.fromCodePoint(c);
      if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
        if (ch === '{') {
          const repeat = this.tryBraces();
          if (repeat === null) {
            items.push({ t: 'char', cp: c });
            continue;
          }
          this.applyRepeat(items, repeat[0], repeat[1], start);
        } else {
          this.applyRepeat(items, ch === '+' ? 1 : 0, ch === '?' ? 1 : MAX_REPEAT, start);
        }
        continue;
      }
      if (ch === '\\') {
        items.push(this.parseEscape());
      } else if (ch === '[') {
        items.push({ t: 'set', ranges: this.parseClass(start) });
      } else if (ch === '.') {
        items.push({ t: 'set', ranges: this.flags.dotAll ? [[0, 0x10ffff]] : complementRanges([[10, 10]]) });
      } else if (ch === '^') {
        items.push({ t: 'assert', kind: 'bol', flags: { ...this.flags } });
      } else if (ch === '$') {
        items.push({ t: 'assert', kind: 'eol', flags: { ...this.flags } });
      } else if (ch === '(') {
        const node = this.parseGroup(start, first && items.length === 0);
        if (node !== null) items.push(node);
      } else {
        items.push({ t: 'char', cp: c });
      }
    }
  }

  /** `{m,n}` after `{`; null when Python reads the brace as a literal. */
  private tryBraces(): [number, number] | null {
    const here = this.pos;
    if (this.peek() === 0x7d) return null;
    let lo = '';
    let hi = '';
    while (isDigit(this.peek())) lo += String.fromCodePoint(this.cps[this.pos++]);
    if (this.eat(',')) {
      while (isDigit(this.peek())) hi += String.fromCodePoint(this.cps[this.pos++]);
    } else hi = lo;
    if (!this.eat('}')) {
      this.pos = here;
      return null;
    }
    const min = lo === '' ? 0 : Number(lo);
    const max = hi === '' ? MAX_REPEAT : Number(hi);
    if (min >= MAX_REPEAT || (hi !== '' && max >= MAX_REPEAT))
      throw this.error('the repetition number is too large');
    if (max < min) throw this.error('min repeat greater than max repeat');
    return [min, max];
  }

  private applyRepeat(items: Node[], min: number, max: number, at: number): void {
    const last = items[items.length - 1];
    if (last === undefined || last.t === 'assert') throw this.error('nothing to repeat', at);
    if (last.t === 'repeat') throw this.error('multiple repeat', at);
    let mode: 'greedy' | 'lazy' | 'possessive' = 'greedy';
    if (this.eat('?')) mode = 'lazy';
    else if (this.eat('+')) mode = 'possessive';
    items[items.length - 1] = { t: 'repeat', min, max, mode, body: last };
  }

  private parseGroup(start: number, atStart: boolean): Node | null {
    if (!this.eat('?')) return this.capture(null, start);
    const c = this.peek();
    if (c === undefined) throw this.error('unexpected end of pattern');
    const ch = String.fromCodePoint(c);
    this.pos++;
    if (ch === ':') return { t: 'group', index: null, body: this.closeGroup(start) };
    if (ch === 'P') {
      if (this.eat('<')) return this.capture(this.readName('>'), start);
      if (this.eat('=')) {
        const name = this.readName(')');
        const index = this.groupNames.get(name);
        if (index === undefined) throw this.error(`unknown group name '${name}'`);
        return { t: 'backref', index };
      }
      throw this.error('unknown extension ?P');
    }
    if (ch === '=' || ch === '!')
      return { t: 'look', behind: false, negate: ch === '!', body: this.closeGroup(start) };
    if (ch === '<') {
      if (this.eat('=')) return { t: 'look', behind: true, negate: false, body: this.closeGroup(start) };
      if (this.eat('!')) return { t: 'look', behind: true, negate: true, body: this.closeGroup(start) };
      // (?<name>...) is a Python 3.12+ spelling not available in the Python that fits models here.
      throw this.error('unknown extension ?<');
    }
    if (ch === '>') return { t: 'atomic', body: this.closeGroup(start) };
    if (ch === '#') {
      while (this.pos < this.cps.length && this.cps[this.pos] !== 0x29) this.pos++;
      if (!this.eat(')')) throw this.error('missing ), unterminated comment', start);
      return null;
    }
    if (ch === '(') throw this.error('conditional groups are not supported', start);
    this.pos--;
    return this.parseFlags(start, atStart);
  }

  private parseFlags(start: number, atStart: boolean): Node | null {
    const add = this.readFlagLetters();
    let remove = '';
    if (this.eat('-')) {
      remove = this.readFlagLetters();
      if (remove === '') throw this.error('missing flag');
    }
    if (this.eat(')')) {
      if (remove !== '') throw this.error('missing :');
      if (!atStart) throw this.error('global flags not at the start of the expression', start);
      this.setFlags(this.flags, add, '', start);
      if (add.includes('i')) this.globalIgnoreCase = true;
      return null;
    }
    if (!this.eat(':')) throw this.error('missing -, : or )');
    const saved = this.flags;
    this.flags = { ...saved };
    this.setFlags(this.flags, add, remove, start);
    if (this.flags.ignoreCase !== saved.ignoreCase) {
      throw this.error('a scoped IGNORECASE flag cannot be reproduced in JavaScript', start);
    }
    const body = this.closeGroup(start);
    this.flags = saved;
    return { t: 'group', index: null, body };
  }

  private readFlagLetters(): string {
    let letters = '';
    while (this.peek() !== undefined && 'aiLmsux'.includes(String.fromCodePoint(this.peek() as number))) {
      letters += String.fromCodePoint(this.cps[this.pos++]);
    }
    return letters;
  }

  private setFlags(flags: Flags, add: string, remove: string, at: number): void {
    if (add.includes('L') || remove.includes('L'))
      throw this.error('LOCALE flag is not allowed with str patterns', at);
    if (add.includes('a') && add.includes('u'))
      throw this.error('ASCII and UNICODE flags are incompatible', at);
    if (remove.includes('a') || remove.includes('u'))
      throw this.error('cannot turn off ASCII or UNICODE flag', at);
    if (add.includes('a')) flags.ascii = true;
    if (add.includes('u')) flags.ascii = false;
    for (const [letter, key] of [
      ['i', 'ignoreCase'],
      ['m', 'multiline'],
      ['s', 'dotAll'],
      ['x', 'verbose'],
    ] as const) {
      if (add.includes(letter)) flags[key] = true;
      if (remove.includes(letter)) flags[key] = false;
    }
  }

  private capture(name: string | null, start: number): Node {
    const index = ++this.groupCount;
    if (name !== null) {
      if (this.groupNames.has(name)) throw this.error(`redefinition of group name '${name}'`);
      this.groupNames.set(name, index);
    }
    this.openGroups.add(index);
    const body = this.closeGroup(start);
    this.openGroups.delete(index);
    return { t: 'group', index, body };
  }

  private readName(terminator: string): string {
    let name = '';
    while (this.peek() !== undefined && this.peek() !== terminator.codePointAt(0)) {
      name += String.fromCodePoint(this.cps[this.pos++]);
    }
    if (!this.eat(terminator)) throw this.error(`missing ${terminator}, unterminated name`);
    if (!/^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]*$/u.test(name)) {
      throw this.error(`bad character in group name '${name}'`);
    }
    return name;
  }

  private closeGroup(start: number): Node[][] {
    const body = this.parseAlternatives(false);
    if (!this.eat(')')) throw this.error('missing ), unterminated subpattern', start);
    return body;
  }

  private categoryRanges(letter: string): CodePointRange[] | null {
    const ascii = this.flags.ascii;
    switch (letter) {
      case 'w':
        return ascii ? ASCII_WORD : [...this.uni.word.ranges];
      case 'W':
        return complementRanges(ascii ? ASCII_WORD : this.uni.word.ranges);
      case 'd':
        return ascii ? ASCII_DIGIT : [...this.uni.digit.ranges];
      case 'D':
        return complementRanges(ascii ? ASCII_DIGIT : this.uni.digit.ranges);
      case 's':
        return ascii ? ASCII_SPACE : [...this.uni.space.ranges];
      case 'S':
        return complementRanges(ascii ? ASCII_SPACE : this.uni.space.ranges);
      default:
        return null;
    }
  }

  private readHex(count: number, escape: string): number {
    let digits = '';
    while (digits.length < count && isHex(this.peek())) digits += String.fromCodePoint(this.cps[this.pos++]);
    if (digits.length !== count) throw this.error(`incomplete escape \\${escape}${digits}`);
    const value = parseInt(digits, 16);
    if (value > 0x10ffff) throw this.error(`bad escape \\${escape}${digits}`);
    return value;
  }

  /** An escape after `\` outside a class. */
  private parseEscape(): Node {
    const at = this.pos - 1;
    const c = this.peek();
    if (c === undefined) throw this.error('bad escape (end of pattern)', at);
    this.pos++;
    const ch = String.fromCodePoint(c);
    const category = this.categoryRanges(ch);
    if (category !== null) return { t: 'set', ranges: category };
    const flags = { ...this.flags };
    if (ch === 'b') return { t: 'assert', kind: 'boundary', flags };
    if (ch === 'B') return { t: 'assert', kind: 'nonBoundary', flags };
    if (ch === 'A') return { t: 'assert', kind: 'bos', flags };
    if (ch === 'Z') return { t: 'assert', kind: 'eos', flags };
    if (ch in SIMPLE_ESCAPES) return { t: 'char', cp: SIMPLE_ESCAPES[ch] };
    if (ch === 'x') return { t: 'char', cp: this.readHex(2, 'x') };
    if (ch === 'u') return { t: 'char', cp: this.readHex(4, 'u') };
    if (ch === 'U') return { t: 'char', cp: this.readHex(8, 'U') };
    if (ch === 'N') throw this.error('named character escapes (\\N{...}) are not supported', at);
    if (ch === '0') {
      let digits = '0';
      while (digits.length < 3 && isOctal(this.peek())) digits += String.fromCodePoint(this.cps[this.pos++]);
      return { t: 'char', cp: parseInt(digits, 8) };
    }
    if (isDigit(c)) {
      let digits = ch;
      if (isDigit(this.peek())) {
        digits += String.fromCodePoint(this.cps[this.pos++]);
        if (isOctal(c) && isOctal(digits.codePointAt(1)) && isOctal(this.peek())) {
          digits += String.fromCodePoint(this.cps[this.pos++]);
          const value = parseInt(digits, 8);
          if (value > 0o377) throw this.error(`octal escape value \\${digits} outside of range 0-0o377`, at);
          return { t: 'char', cp: value };
        }
      }
      const group = Number(digits);
      if (group > this.groupCount) throw this.error(`invalid group reference ${group}`, at);
      if (this.openGroups.has(group)) throw this.error('cannot refer to an open group', at);
      return { t: 'backref', index: group };
    }
    if (isAsciiLetter(c)) throw this.error(`bad escape \\${ch}`, at);
    return { t: 'char', cp: c };
  }

  /** One class item after `\` inside `[...]`: a code point or a category's ranges. */
  private parseClassEscape(): number | CodePointRange[] {
    const at = this.pos - 1;
    const c = this.peek();
    if (c === undefined) throw this.error('unterminated character set', at);
    this.pos++;
    const ch = String.fromCodePoint(c);
    if (ch === 'b') return 8;
    if (ch in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[ch];
    const category = this.categoryRanges(ch);
    if (category !== null) return category;
    if (ch === 'x') return this.readHex(2, 'x');
    if (ch === 'u') return this.readHex(4, 'u');
    if (ch === 'U') return this.readHex(8, 'U');
    if (ch === 'N') throw this.error('named character escapes (\\N{...}) are not supported', at);
    if (isOctal(c)) {
      let digits = ch;
      while (digits.length < 3 && isOctal(this.peek())) digits += String.fromCodePoint(this.cps[this.pos++]);
      const value = parseInt(digits, 8);
      if (value > 0o377) throw this.error(`octal escape value \\${digits} outside of range 0-0o377`, at);
      return value;
    }
    if (isDigit(c) || isAsciiLetter(c)) throw this.error(`bad escape \\${ch}`, at);
    return c;
  }

  /** The resolved code point ranges of `[...]` (negation applied), following sre_parse. */
  private parseClass(start: number): CodePointRange[] {
    const negate = this.eat('^');
    const items: CodePointRange[] = [];
    let empty = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw this.error('unterminated character set', start);
      this.pos++;
      if (c === 0x5d /* ] */ && !empty) break;
      empty = false;
      const first: number | CodePointRange[] = c === 0x5c ? this.parseClassEscape() : c;
      if (this.peek() === 0x2d /* - */) {
        this.pos++;
        const d = this.peek();
        if (d === undefined) throw this.error('unterminated character set', start);
        this.pos++;
        if (d === 0x5d) {
          pushItem(items, first);
          items.push([0x2d, 0x2d]);
          break;
        }
        const second: number | CodePointRange[] = d === 0x5c ? this.parseClassEscape() : d;
        if (typeof first !== 'number' || typeof second !== 'number' || second < first) {
          throw this.error('bad character range', start);
        }
        items.push([first, second]);
      } else pushItem(items, first);
    }
    const ranges = normalizeRanges(items);
    return negate ? complementRanges(ranges) : ranges;
  }
}

function pushItem(items: CodePointRange[], item: number | CodePointRange[]): void {
  if (typeof item === 'number') items.push([item, item]);
  else items.push(...item);
}

/** Shortest and longest match length in code points (Infinity when unbounded or unknown). */
function widths(nodes: Node[][]): [number, number] {
  let min = Infinity;
  let max = 0;
  for (const seq of nodes) {
    let a = 0;
    let b = 0;
    for (const node of seq) {
      const [x, y] = nodeWidth(node);
      a += x;
      b += y;
    }
    min = Math.min(min, a);
    max = Math.max(max, b);
  }
  return [min, max];
}

function nodeWidth(node: Node): [number, number] {
  switch (node.t) {
    case 'char':
    case 'set':
      return [1, 1];
    case 'assert':
    case 'look':
      return [0, 0];
    case 'group':
    case 'atomic':
      return widths(node.body);
    case 'repeat': {
      const [x, y] = nodeWidth(node.body);
      return [x * node.min, node.max === MAX_REPEAT ? (y === 0 ? 0 : Infinity) : y * node.max];
    }
    case 'backref':
      return [0, Infinity];
  }
}

/** How far before the current position a node may look, in code points. */
function reach(nodes: Node[][]): number {
  let r = 0;
  for (const seq of nodes) for (const node of seq) r = Math.max(r, nodeReach(node));
  return r;
}

function nodeReach(node: Node): number {
  switch (node.t) {
    case 'char':
    case 'set':
    case 'backref':
      return 0;
    case 'assert':
      return node.kind === 'boundary' ||
        node.kind === 'nonBoundary' ||
        (node.kind === 'bol' && node.flags.multiline)
        ? 1
        : 0;
    case 'look':
      return node.behind ? widths(node.body)[1] + reach(node.body) : reach(node.body);
    case 'group':
    case 'atomic':
      return reach(node.body);
    case 'repeat':
      return nodeReach(node.body);
  }
}

const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split('').map((c) => c.charCodeAt(0)));

function emitChar(cp: number): string {
  if (SYNTAX.has(cp)) return '\\' + String.fromCharCode(cp);
  if (cp >= 0x20 && cp < 0x7f) return String.fromCharCode(cp);
  return `\\u{${cp.toString(16).toUpperCase()}}`;
}

class Emitter {
  private jsGroups = 0;
  private readonly groupMap = new Map<number, number>();
  private readonly classCache = new Map<readonly CodePointRange[], string>();

  constructor(private readonly uni: PythonUnicode) {}

  jsGroupOf(pythonGroup: number): number {
    return this.groupMap.get(pythonGroup) ?? 0;
  }

  private cls(ranges: readonly CodePointRange[]): string {
    let text = this.classCache.get(ranges);
    if (text === undefined) {
      text = `[${rangesToClassBody(ranges)}]`;
      this.classCache.set(ranges, text);
    }
    return text;
  }

  alternatives(nodes: Node[][]): string {
    return nodes.map((seq) => seq.map((n) => this.node(n)).join('')).join('|');
  }

  private atom(node: Node): string {
    const text = this.node(node);
    return node.t === 'char' || node.t === 'set' || (node.t === 'group' && node.index !== null)
      ? text
      : `(?:${text})`;
  }

  node(node: Node): string {
    switch (node.t) {
      case 'char':
        return emitChar(node.cp);
      case 'set':
        return this.cls(node.ranges);
      case 'assert':
        return this.assertion(node.kind, node.flags);
      case 'group': {
        if (node.index === null) return `(?:${this.alternatives(node.body)})`;
        const js = ++this.jsGroups;
        this.groupMap.set(node.index, js);
        return `(${this.alternatives(node.body)})`;
      }
      case 'look':
        return `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}${this.alternatives(node.body)})`;
      case 'atomic': {
        // (?>X) ≡ (?=(X))\k: the lookahead commits to X's first match, the backreference consumes it.
        const js = ++this.jsGroups;
        return `(?=(${this.alternatives(node.body)}))\\${js}`;
      }
      case 'repeat': {
        const quantifier =
          node.min === 0 && node.max === MAX_REPEAT
            ? '*'
            : node.min === 1 && node.max === MAX_REPEAT
              ? '+'
              : node.min === 0 && node.max === 1
                ? '?'
                : node.max === MAX_REPEAT
                  ? `{${node.min},}`
                  : node.min === node.max
                    ? `{${node.min}}`
                    : `{${node.min},${node.max}}`;
        if (node.mode === 'possessive') {
          const js = ++this.jsGroups;
          return `(?=(${this.atom(node.body)}${quantifier}))\\${js}`;
        }
        return this.atom(node.body) + quantifier + (node.mode === 'lazy' ? '?' : '');
      }
      case 'backref':
        return `(?:\\${this.jsGroupOf(node.index)})`;
    }
  }

  private assertion(kind: AssertKind, flags: Flags): string {
    const w = flags.ascii ? this.cls(ASCII_WORD) : this.cls(this.uni.word.ranges);
    switch (kind) {
      case 'bol':
        return flags.multiline ? '(?<![^\\n])' : '(?<![\\s\\S])';
      case 'eol':
        return flags.multiline ? '(?![^\\n])' : '(?=\\n?(?![\\s\\S]))';
      case 'bos':
        return '(?<![\\s\\S])';
      case 'eos':
        return '(?![\\s\\S])';
      case 'boundary':
        return `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`;
      case 'nonBoundary':
        // Python's \B never matches in an empty string.
        return `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w})(?:(?<=[\\s\\S])|(?=[\\s\\S])))`;
    }
  }
}

export function translatePythonPattern(pattern: string, uni: PythonUnicode): TranslatedPattern {
  const parser = new Parser(pattern, uni);
  const ast = parser.parse();
  if (parser.groupCount > 1) {
    // sklearn refuses these in build_tokenizer.
    throw new PatternError(
      `more than 1 capturing group in token pattern (${parser.groupCount}); only a single group should be captured`,
      pattern,
      0,
    );
  }
  const emitter = new Emitter(uni);
  const source = emitter.alternatives(ast);
  const flags = parser.globalIgnoreCase ? 'giu' : 'gu';
  try {
    new RegExp(source, flags);
  } catch (e) {
    throw new PatternError(`cannot be expressed in JavaScript (${(e as Error).message})`, pattern, 0);
  }
  return {
    source,
    flags,
    groupCount: parser.groupCount,
    tokenGroup: parser.groupCount === 1 ? emitter.jsGroupOf(1) : 0,
    canMatchEmpty: widths(ast)[0] === 0,
    lookbehindReach: reach(ast),
  };
}
