/**
 * The vocabulary terms of a vectorized row, as short keys the prediction log stores and drift is
 * measured on (src/monitor). Built once per model from the vectorizer's blocks; per row it only
 * walks the column indices the vectorizer already produced.
 *
 * Which terms: word blocks only when the model has any (character n-grams are another view of the
 * same words, hundreds per row, and unreadable on a monitoring page); otherwise the character blocks.
 * Keys: the term itself for the field with the largest vocabulary, `field:term` for the others (a
 * keyword "fire" is not the text's "fire"). A row with more terms than asked keeps the ones most common in
 * training (lowest idf): drift is measured over the most common terms, so those are the ones that
 * must not be cut.
 */
import type { Vectorizer, SparseRow } from './vectorizer';

export interface TermTable {
  /** Keys of the columns that count as terms, by column; undefined for the others. */
  readonly keys: readonly (string | undefined)[];
  /** Each term column's idf (1 when its block has none): lower = more common in training. */
  readonly idf: Float64Array;
  /** The blocks the keys come from. */
  readonly blocks: readonly number[];
}

export function buildTermTable(vectorizer: Vectorizer): TermTable {
  const { blocks } = vectorizer;
  const word = blocks.map((b, i) => i).filter((i) => blocks[i].spec.analyzer === 'word');
  const chosen = word.length > 0 ? word : blocks.map((_b, i) => i);
  const keys: (string | undefined)[] = new Array<string | undefined>(vectorizer.width);
  const idf = new Float64Array(vectorizer.width).fill(1);
  // The main field (unprefixed keys): the one with the largest vocabulary, the text of a tweet
  // rather than its keyword, whatever order the blocks come in.
  const widths = new Map<string, number>();
  for (const b of chosen)
    widths.set(blocks[b].spec.field, (widths.get(blocks[b].spec.field) ?? 0) + blocks[b].spec.width);
  let mainField = '';
  for (const [field, width] of widths) if (width > (widths.get(mainField) ?? -1)) mainField = field;
  for (const b of chosen) {
    const { spec, idf: weights } = blocks[b];
    const prefix = spec.field === mainField ? '' : `${spec.field}:`;
    for (let j = 0; j < spec.width; j++) {
      keys[spec.offset + j] = prefix + spec.vocabulary[j];
      if (weights !== null) idf[spec.offset + j] = weights[j];
    }
  }
  return { keys, idf, blocks: chosen };
}

/** The row's distinct term keys, at most `limit`, the most common in training first when cut. */
export function rowTerms(table: TermTable, row: SparseRow, limit: number): string[] {
  const picked: number[] = [];
  const { indices } = row;
  for (let k = 0; k < indices.length; k++) if (table.keys[indices[k]] !== undefined) picked.push(indices[k]);
  if (picked.length > limit) {
    picked.sort((a, b) => table.idf[a] - table.idf[b] || a - b);
    picked.length = limit;
  }
  // Two word blocks on one field may share a term: one key per row.
  return [...new Set(picked.map((c) => table.keys[c] as string))];
}
