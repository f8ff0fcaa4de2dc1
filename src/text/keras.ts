/**
 * Keras' text preprocessing (keras_preprocessing 1.1: `Tokenizer.texts_to_sequences` and
 * `sequence.pad_sequences`) with Python str semantics: `lower()` from the fitting Python's tables,
 * `filters` and `char_level` per code point (never per UTF-16 unit), `str.split(sep)` then dropping
 * empty pieces.
 */
import { pythonLower } from './lowercase';
import type { PythonUnicode } from './unicode';

export interface KerasTokenizerOptions {
  /** Characters replaced by `split` before splitting (ignored with char_level, as in Keras). */
  readonly filters: string;
  readonly lower: boolean;
  /** Separator for `str.split`; never empty (Python raises "empty separator"). */
  readonly split: string;
  readonly char_level: boolean;
}

/** `text_to_word_sequence` (or the char_level branch of `texts_to_sequences_generator`). */
export function kerasTokens(text: string, options: KerasTokenizerOptions, uni: PythonUnicode): string[] {
  const lowered = options.lower ? pythonLower(text, uni) : text;
  // for...of walks code points, lone surrogates as themselves: Python's view of a str.
  if (options.char_level) return Array.from(lowered);
  if (options.split === '') throw new RangeError('split must not be empty (Python: empty separator)');
  const filters = new Set(Array.from(options.filters));
  let translated = lowered;
  if (filters.size > 0) {
    const parts: string[] = [];
    for (const ch of lowered) parts.push(filters.has(ch) ? options.split : ch);
    translated = parts.join('');
  }
  return translated.split(options.split).filter((piece) => piece !== '');
}

export interface IdLookup {
  /** token → id (Keras' word_index, or a plain vocabulary). */
  readonly index: ReadonlyMap<string, number>;
  /** Id of unknown tokens (Keras: word_index[oov_token]); null drops them. */
  readonly oovId: number | null;
  /** Keras' num_words: ids ≥ it become oovId (or are dropped); null or 0 keeps every id. */
  readonly numWords: number | null;
}

/**
 * The id rule of `texts_to_sequences_generator` for one token list. With `origin`, the index of the
 * token behind each id is pushed to it (dropped tokens have no id).
 */
export function tokensToIds(tokens: readonly string[], lookup: IdLookup, origin?: number[]): number[] {
  const { index, oovId, numWords } = lookup;
  const ids: number[] = [];
  const add = (id: number, t: number): void => {
    ids.push(id);
    origin?.push(t);
  };
  tokens.forEach((token, t) => {
    const id = index.get(token);
    if (id !== undefined) {
      if (numWords !== null && numWords !== 0 && id >= numWords) {
        if (oovId !== null) add(oovId, t);
      } else add(id, t);
    } else if (oovId !== null) add(oovId, t);
  });
  return ids;
}

export interface PadOptions {
  readonly maxlen: number;
  readonly padding: 'pre' | 'post';
  readonly truncating: 'pre' | 'post';
  readonly value: number;
}

/** `pad_sequences([ids], maxlen, padding=, truncating=, value=)[0]`. */
export function padSequence(ids: readonly number[], options: PadOptions): number[] {
  const { maxlen, padding, truncating, value } = options;
  const out = new Array<number>(maxlen).fill(value);
  const from = ids.length > maxlen && truncating === 'pre' ? ids.length - maxlen : 0;
  const kept = Math.min(ids.length, maxlen);
  const start = padding === 'post' ? 0 : maxlen - kept;
  for (let i = 0; i < kept; i++) out[start + i] = ids[from + i];
  return out;
}
