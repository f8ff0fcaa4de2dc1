/**
 * A sequence block (src/model/sequence-schema.ts) compiled: input row → token ids → one padded row
 * of `maxlen` int64 ids, as Keras' texts_to_sequences + pad_sequences (or a plain vocabulary with
 * sklearn-style tokens) produce them in Python.
 */
import type { SequenceBlock } from '../model/sequence-schema';
import type { InputRow } from '../model/types';
import { kerasTokens, padSequence, tokensToIds, type IdLookup, type PadOptions } from '../text/keras';
import { pythonLower } from '../text/lowercase';
import { createTokenizer } from '../text/tokenize';
import type { PythonUnicode } from '../text/unicode';

export interface SequenceRow {
  /** Tokens of the field, in order, before the id lookup. */
  readonly tokens: string[];
  /** Their ids (unknown tokens dropped or oov_id), before padding. */
  readonly ids: number[];
  /** tokens[origin[i]] is the token behind ids[i]. */
  readonly origin: number[];
  /** The padded row: exactly maxlen ids. */
  readonly padded: number[];
  /** Tokens that have an id other than oov_id (for coverage). */
  readonly known: number;
}

export interface SequenceEncoder {
  readonly block: SequenceBlock;
  readonly maxlen: number;
  tokenize(text: string): string[];
  encodeRow(row: InputRow): SequenceRow;
  /** Ids → padded row (explanations re-pad sequences with a token left out). */
  pad(ids: readonly number[]): number[];
  /** Padded rows as the ONNX int64 [N, maxlen] tensor data. */
  toTensorData(rows: readonly (readonly number[])[]): BigInt64Array;
}

export function createSequenceEncoder(block: SequenceBlock, uni: PythonUnicode): SequenceEncoder {
  const index = new Map<string, number>();
  block.vocabulary.forEach((token, i) => index.set(token, block.ids[i]));
  const t = block.tokenizer;
  const lookup: IdLookup = {
    index,
    oovId: block.oov_id,
    numWords: t.type === 'keras' ? t.num_words : null,
  };
  let tokenize: (text: string) => string[];
  if (t.type === 'keras') tokenize = (text) => kerasTokens(text, t, uni);
  else {
    const findall = createTokenizer(t.token_pattern, uni);
    tokenize = t.lowercase ? (text) => findall(pythonLower(text, uni)) : findall;
  }
  const padOptions: PadOptions = {
    maxlen: block.maxlen,
    padding: block.padding,
    truncating: block.truncating,
    value: block.pad_value,
  };
  const pad = (ids: readonly number[]): number[] => padSequence(ids, padOptions);
  return {
    block,
    maxlen: block.maxlen,
    tokenize,
    encodeRow(row) {
      const tokens = tokenize(row[block.field] ?? '');
      const origin: number[] = [];
      const ids = tokensToIds(tokens, lookup, origin);
      let known = 0;
      for (const id of ids) if (id !== block.oov_id) known++;
      return { tokens, ids, origin, padded: pad(ids), known };
    },
    pad,
    toTensorData(rows) {
      const data = new BigInt64Array(rows.length * block.maxlen);
      rows.forEach((row, r) => {
        for (let i = 0; i < block.maxlen; i++) data[r * block.maxlen + i] = BigInt(row[i]);
      });
      return data;
    },
  };
}
