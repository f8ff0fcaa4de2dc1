/**
 * Place an explanation's terms back on the words of the text a person typed, so the result page can
 * mark the words that pushed the decision toward the predicted class and those that pushed against.
 *
 * Pure. Matching is by words, case- and accent-insensitively: a unigram marks every occurrence of
 * its word; an n-gram marks the run of words it came from (the vectorizer drops one-character
 * tokens before building n-grams, so those may sit between its parts); when the run cannot be
 * found (stop words removed in between), each part is marked on its own. Character n-grams do not
 * map onto whole words honestly, so they, and any term that cannot be found (a stem, say), are
 * returned as `unplaced` for the page to list instead.
 */

export type Analyzer = 'word' | 'char' | 'char_wb';

export interface HighlightTerm {
  term: string;
  /** Signed: positive pushes toward the class the explanation is about. */
  contribution: number;
  /** The analyzer that produced the term, when known; guessed from the term's shape otherwise. */
  analyzer?: Analyzer;
}

export type Direction = 'toward' | 'against';

export interface PlacedTerm {
  term: string;
  contribution: number;
}

export interface HighlightSegment {
  text: string;
  /** Absent for plain text. */
  direction?: Direction;
  /** 1 (weak) … 3 (strong), relative to the most influential word of the text. */
  strength?: 1 | 2 | 3;
  /** Sum of the contributions of the terms on this word. */
  score?: number;
  /** The terms that put this word here, strongest first. */
  terms?: PlacedTerm[];
}

export interface HighlightResult {
  segments: HighlightSegment[];
  /** Terms with no place on the words of the text; the page lists them. */
  unplaced: HighlightTerm[];
}

interface Token {
  start: number;
  end: number;
  key: string;
}

const WORD_RUN = /[\p{L}\p{N}\p{M}_]+/gu;
const COMBINING = /\p{M}/gu;

/** Lowercase and drop accents, so "Café", "CAFE" and "cafe" compare equal. */
export function wordKey(word: string): string {
  return word.toLowerCase().normalize('NFKD').replace(COMBINING, '');
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD_RUN)) {
    const start = match.index ?? 0;
    tokens.push({ start, end: start + match[0].length, key: wordKey(match[0]) });
  }
  return tokens;
}

/** The words of a term, or undefined when the term is not made of words (a character n-gram). */
function termWords(term: HighlightTerm): string[] | undefined {
  if (term.analyzer === 'char' || term.analyzer === 'char_wb') return undefined;
  // Word n-grams are tokens joined by single spaces; padding or doubled spaces only come from
  // character analyzers.
  if (term.analyzer === undefined && (term.term !== term.term.trim() || term.term.includes('  '))) {
    return undefined;
  }
  const words = Array.from(term.term.matchAll(WORD_RUN), (m) => wordKey(m[0]));
  return words.length > 0 ? words : undefined;
}

/** Token indices of every run of `words` in `tokens`, skipping one-character tokens in between. */
function findRuns(
  tokens: readonly Token[],
  positions: ReadonlyMap<string, number[]>,
  words: string[],
): number[][] {
  const runs: number[][] = [];
  for (const start of positions.get(words[0]) ?? []) {
    const run = [start];
    let next = start + 1;
    for (let k = 1; k < words.length && run.length === k; next += 1) {
      if (next >= tokens.length) break;
      if (tokens[next].key === words[k]) {
        run.push(next);
        k += 1;
      } else if (Array.from(tokens[next].key).length !== 1) {
        break;
      }
    }
    if (run.length === words.length) runs.push(run);
  }
  return runs;
}

/** For stems (analyzer known to be word): tokens that start with the stem. */
function findPrefixed(tokens: readonly Token[], stem: string): number[] {
  if (Array.from(stem).length < 3) return [];
  const found: number[] = [];
  tokens.forEach((token, index) => {
    if (token.key.startsWith(stem)) found.push(index);
  });
  return found;
}

function placeTerm(
  tokens: readonly Token[],
  positions: ReadonlyMap<string, number[]>,
  term: HighlightTerm,
): number[] {
  const words = termWords(term);
  if (words === undefined) return [];
  const runs = findRuns(tokens, positions, words);
  if (runs.length > 0) return [...new Set(runs.flat())];
  const placed = new Set<number>();
  for (const word of words) {
    let hits = positions.get(word) ?? [];
    if (hits.length === 0 && term.analyzer === 'word') hits = findPrefixed(tokens, word);
    hits.forEach((index) => placed.add(index));
  }
  return [...placed];
}

function strengthOf(score: number, strongest: number): 1 | 2 | 3 {
  const ratio = strongest > 0 ? Math.abs(score) / strongest : 0;
  if (ratio > 2 / 3) return 3;
  if (ratio > 1 / 3) return 2;
  return 1;
}

export function highlightText(text: string, terms: readonly HighlightTerm[]): HighlightResult {
  const tokens = tokenize(text);
  const positions = new Map<string, number[]>();
  tokens.forEach((token, index) => {
    const list = positions.get(token.key);
    if (list === undefined) positions.set(token.key, [index]);
    else list.push(index);
  });

  const onToken = new Map<number, PlacedTerm[]>();
  const unplaced: HighlightTerm[] = [];
  for (const term of terms) {
    if (!Number.isFinite(term.contribution) || term.contribution === 0) continue;
    const indices = placeTerm(tokens, positions, term);
    if (indices.length === 0) {
      unplaced.push(term);
      continue;
    }
    for (const index of indices) {
      const list = onToken.get(index) ?? [];
      list.push({ term: term.term, contribution: term.contribution });
      onToken.set(index, list);
    }
  }

  const scores = new Map<number, number>();
  for (const [index, placed] of onToken) {
    scores.set(
      index,
      placed.reduce((sum, p) => sum + p.contribution, 0),
    );
  }
  const strongest = Math.max(0, ...[...scores.values()].map(Math.abs));

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
  tokens.forEach((token, index) => {
    const score = scores.get(index);
    // Terms that cancel out exactly leave the word unmarked rather than pick a side.
    if (score === undefined || score === 0) return;
    pushPlain(token.start);
    const placed = [...(onToken.get(index) ?? [])].sort(
      (a, b) => Math.abs(b.contribution) - Math.abs(a.contribution),
    );
    segments.push({
      text: text.slice(token.start, token.end),
      direction: score > 0 ? 'toward' : 'against',
      strength: strengthOf(score, strongest),
      score,
      terms: placed,
    });
    cursor = token.end;
  });
  pushPlain(text.length);
  return { segments, unplaced };
}
