/**
 * Fold an explanation's per-term contributions back onto the words a person typed, so the result
 * page can list and mark words rather than stems and character n-grams.
 *
 * Pure, and independent of how the contributions were computed (a linear model's value ×
 * coefficient, occlusion, …): it only needs each term, its signed contribution and, when known,
 * the analyzer that produced it. Every term's contribution is shared out over the places in the
 * text it came from, so a word's contribution is the sum of its shares and the words' sum equals
 * the placed terms' sum:
 * - a character n-gram is found in the text (case- and accent-insensitively, whitespace collapsed
 *   as the vectorizer does); each occurrence gets an equal share, split over the words it covers
 *   by the characters it covers;
 * - a word n-gram shares equally over its tokens; a token is found as a whole word, or as the
 *   word a stemmer turns into it (`stems`), each occurrence getting an equal share.
 * Occurrences of one word fold together (the list shows "fire" once, all its marks agree).
 * Terms found nowhere (the stem of a stemmer the caller did not pass, say) are returned unplaced.
 */

export type Analyzer = 'word' | 'char' | 'char_wb';

export interface HighlightTerm {
  term: string;
  /** Signed: positive pushes toward the class the explanation is about. */
  contribution: number;
  /** The analyzer that produced the term, when known; both ways are tried otherwise. */
  analyzer?: Analyzer;
}

export type Direction = 'toward' | 'against';

export interface PlacedTerm {
  term: string;
  /** The part of the term's contribution that landed on this word. */
  contribution: number;
}

export interface WordContribution {
  /** Lowercased, accent-free form: occurrences with the same key are one word. */
  key: string;
  /** The word as first typed. */
  word: string;
  /** Sum of the shares of every term placed on it. */
  contribution: number;
  /** The terms that put it here, strongest share first. */
  terms: PlacedTerm[];
}

export interface FoldResult {
  /** Words with a non-zero contribution, strongest first. */
  words: WordContribution[];
  /** Terms with no place in the text. */
  unplaced: HighlightTerm[];
}

export interface FoldOptions {
  /** The forms a stemming tokenizer could have turned a (lowercased) word into. */
  stems?: (word: string) => readonly string[];
}

export interface HighlightSegment {
  text: string;
  /** Absent for plain text. */
  direction?: Direction;
  /** 1 (weak) … 3 (strong), relative to the most influential word of the text. */
  strength?: 1 | 2 | 3;
  /** The word's contribution (all its occurrences). */
  score?: number;
  /** The terms that put this word here, strongest first. */
  terms?: PlacedTerm[];
}

export interface HighlightResult {
  segments: HighlightSegment[];
  words: WordContribution[];
  unplaced: HighlightTerm[];
}

interface Token {
  start: number;
  end: number;
  key: string;
  isWord: boolean;
}

/** Words, and runs of other visible characters (emoji, punctuation) that character n-grams cover. */
const TOKEN = /[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]+/gu;
const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const WHITESPACE = /\s/u;
const COMBINING = /\p{M}/gu;

/** Lowercase and drop accents, so "Café", "CAFE" and "cafe" compare equal (and σ = ς). */
export function wordKey(word: string): string {
  return word.toLowerCase().normalize('NFKD').replace(COMBINING, '').replace(/ς/g, 'σ');
}

/**
 * The text as the analyzers see it (keyed, whitespace runs as one space, a space on each side for
 * char_wb's padding), with the word each character came from: the index of the first token with
 * that key, since occurrences fold together anyway (-1: whitespace or padding).
 */
interface KeyedText {
  chars: string;
  owner: Int32Array;
}

function tokenize(text: string): Token[] {
  return Array.from(text.matchAll(TOKEN), (m) => {
    const start = m.index ?? 0;
    return { start, end: start + m[0].length, key: wordKey(m[0]), isWord: WORD_CHAR.test(m[0]) };
  });
}

/** For each token, the index of the first token with the same key. */
function firstOccurrences(tokens: readonly Token[]): Int32Array {
  const first = new Map<string, number>();
  return Int32Array.from(tokens, (token, i) => {
    const seen = first.get(token.key);
    if (seen !== undefined) return seen;
    first.set(token.key, i);
    return i;
  });
}

function keyedText(text: string, tokens: readonly Token[], word: Int32Array): KeyedText {
  // Texts repeat their characters: key each distinct one once.
  const keys = new Map<string, string>();
  const chars: string[] = [' '];
  const owners: number[] = [-1];
  let t = 0;
  let offset = 0;
  for (const cp of text) {
    while (t < tokens.length && tokens[t].end <= offset) t += 1;
    const inToken = t < tokens.length && tokens[t].start <= offset;
    if (!inToken && WHITESPACE.test(cp)) {
      if (chars[chars.length - 1] !== ' ') {
        chars.push(' ');
        owners.push(-1);
      }
    } else {
      let key = keys.get(cp);
      if (key === undefined) {
        key = wordKey(cp);
        keys.set(cp, key);
      }
      // By UTF-16 unit, so positions in `chars` line up with `owner`.
      for (let i = 0; i < key.length; i++) {
        chars.push(key[i]);
        owners.push(inToken ? word[t] : -1);
      }
    }
    offset += cp.length;
  }
  if (chars[chars.length - 1] !== ' ') {
    chars.push(' ');
    owners.push(-1);
  }
  return { chars: chars.join(''), owner: Int32Array.from(owners) };
}

/** Start positions of every (overlapping) occurrence of each wanted substring, one pass per length. */
function occurrenceIndex(chars: string, wanted: ReadonlySet<string>): Map<string, number[]> {
  const index = new Map<string, number[]>();
  const lengths = new Set([...wanted].map((w) => w.length));
  for (const length of lengths) {
    for (let p = 0; p + length <= chars.length; p++) {
      const piece = chars.slice(p, p + length);
      if (!wanted.has(piece)) continue;
      const list = index.get(piece);
      if (list === undefined) index.set(piece, [p]);
      else list.push(p);
    }
  }
  return index;
}

/** token index → weight; the weights of one term add up to 1. */
type Shares = Map<number, number>;

function addShare(shares: Shares, token: number, weight: number): void {
  shares.set(token, (shares.get(token) ?? 0) + weight);
}

/** Each occurrence an equal part, split over the tokens it covers by characters covered. */
function spanShares(keyed: KeyedText, starts: readonly number[], length: number, weight: number): Shares {
  const perOccurrence: Shares[] = [];
  for (const start of starts) {
    const counts: Shares = new Map();
    let covered = 0;
    for (let p = start; p < start + length; p++) {
      const token = keyed.owner[p];
      if (token < 0) continue;
      addShare(counts, token, 1);
      covered += 1;
    }
    if (covered === 0) continue;
    for (const [token, count] of counts) counts.set(token, count / covered);
    perOccurrence.push(counts);
  }
  const shares: Shares = new Map();
  for (const counts of perOccurrence) {
    for (const [token, part] of counts) addShare(shares, token, (part * weight) / perOccurrence.length);
  }
  return shares;
}

function isWordBoundary(chars: string, p: number): boolean {
  return p < 0 || p >= chars.length || !WORD_CHAR.test(chars[p]);
}

interface Lookup {
  tokens: readonly Token[];
  keyed: KeyedText;
  index: ReadonlyMap<string, number[]>;
  /** A stem → the word tokens that stem to it. */
  stemmed: ReadonlyMap<string, readonly number[]>;
}

function charShares(lookup: Lookup, key: string): Shares {
  return spanShares(lookup.keyed, lookup.index.get(key) ?? [], key.length, 1);
}

function wordShares(lookup: Lookup, key: string): Shares {
  const parts = key.split(' ').filter((part) => part !== '');
  const found: Shares[] = [];
  for (const part of parts) {
    const { chars } = lookup.keyed;
    const whole = (lookup.index.get(part) ?? []).filter(
      (p) => isWordBoundary(chars, p - 1) && isWordBoundary(chars, p + part.length),
    );
    let shares = spanShares(lookup.keyed, whole, part.length, 1);
    if (shares.size === 0) {
      const stemmed = lookup.stemmed.get(part) ?? [];
      shares = new Map(stemmed.map((i) => [i, 1 / stemmed.length]));
    }
    if (shares.size > 0) found.push(shares);
  }
  const result: Shares = new Map();
  for (const shares of found) {
    for (const [token, weight] of shares) addShare(result, token, weight / found.length);
  }
  return result;
}

function looksLikeCharNgram(term: string): boolean {
  return term !== term.trim() || term.includes('  ');
}

function termShares(lookup: Lookup, term: HighlightTerm): Shares {
  const key = wordKey(term.term);
  if (term.analyzer === 'char' || term.analyzer === 'char_wb') return charShares(lookup, key);
  if (term.analyzer === 'word') return wordShares(lookup, key);
  if (looksLikeCharNgram(term.term)) return charShares(lookup, key);
  const asWords = wordShares(lookup, key);
  return asWords.size > 0 ? asWords : charShares(lookup, key);
}

export function foldTerms(
  text: string,
  terms: readonly HighlightTerm[],
  options: FoldOptions = {},
): FoldResult {
  const tokens = tokenize(text);
  const word = firstOccurrences(tokens);
  const keyed = keyedText(text, tokens, word);
  const usable = terms.filter((t) => Number.isFinite(t.contribution) && t.contribution !== 0);
  const wanted = new Set<string>();
  for (const term of usable) {
    const key = wordKey(term.term);
    if (key !== '') wanted.add(key);
    for (const part of key.split(' ')) if (part !== '') wanted.add(part);
  }
  const stemmed = new Map<string, number[]>();
  const stem = options.stems;
  if (stem !== undefined) {
    const stemsOfKey = new Map<string, readonly string[]>();
    tokens.forEach((token, i) => {
      if (!token.isWord) return;
      let stems = stemsOfKey.get(token.key);
      if (stems === undefined) {
        stems = [...new Set(stem(token.key))].filter((form) => wanted.has(form));
        stemsOfKey.set(token.key, stems);
      }
      if (word[i] !== i) return; // the word's first occurrence stands for all of them
      for (const form of stems) {
        const list = stemmed.get(form);
        if (list === undefined) stemmed.set(form, [i]);
        else list.push(i);
      }
    });
  }
  const lookup: Lookup = { tokens, keyed, index: occurrenceIndex(keyed.chars, wanted), stemmed };

  const words = new Map<
    string,
    { word: string; first: number; contribution: number; terms: Map<string, number> }
  >();
  const unplaced: HighlightTerm[] = [];
  for (const term of usable) {
    const shares = termShares(lookup, term);
    if (shares.size === 0) {
      unplaced.push(term);
      continue;
    }
    for (const [index, weight] of shares) {
      const token = tokens[index];
      let entry = words.get(token.key);
      if (entry === undefined) {
        entry = { word: text.slice(token.start, token.end), first: index, contribution: 0, terms: new Map() };
        words.set(token.key, entry);
      }
      const share = term.contribution * weight;
      entry.contribution += share;
      entry.terms.set(term.term, (entry.terms.get(term.term) ?? 0) + share);
    }
  }

  const folded = [...words.entries()]
    .filter(([, entry]) => entry.contribution !== 0)
    .sort(([, a], [, b]) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.first - b.first)
    .map(([key, entry]) => ({
      key,
      word: entry.word,
      contribution: entry.contribution,
      terms: [...entry.terms.entries()]
        .map(([term, contribution]) => ({ term, contribution }))
        .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)),
    }));
  return { words: folded, unplaced };
}

function strengthOf(score: number, strongest: number): 1 | 2 | 3 {
  const ratio = strongest > 0 ? Math.abs(score) / strongest : 0;
  if (ratio > 2 / 3) return 3;
  if (ratio > 1 / 3) return 2;
  return 1;
}

/** The text as segments: every occurrence of a folded word marked on the side of its sum. */
export function highlightWords(text: string, words: readonly WordContribution[]): HighlightSegment[] {
  const byKey = new Map(words.filter((w) => w.contribution !== 0).map((w) => [w.key, w]));
  const strongest = Math.max(0, ...[...byKey.values()].map((w) => Math.abs(w.contribution)));
  const segments: HighlightSegment[] = [];
  let cursor = 0;
  const pushPlain = (end: number): void => {
    if (end <= cursor) return;
    const last = segments[segments.length - 1];
    const piece = text.slice(cursor, end);
    if (last !== undefined && last.direction === undefined) last.text += piece;
    else segments.push({ text: piece });
    cursor = end;
  };
  for (const token of tokenize(text)) {
    const word = byKey.get(token.key);
    if (word === undefined) continue;
    pushPlain(token.start);
    segments.push({
      text: text.slice(token.start, token.end),
      direction: word.contribution > 0 ? 'toward' : 'against',
      strength: strengthOf(word.contribution, strongest),
      score: word.contribution,
      terms: word.terms,
    });
    cursor = token.end;
  }
  pushPlain(text.length);
  return segments;
}

export function highlightText(
  text: string,
  terms: readonly HighlightTerm[],
  options: FoldOptions = {},
): HighlightResult {
  const { words, unplaced } = foldTerms(text, terms, options);
  return { segments: highlightWords(text, words), words, unplaced };
}
