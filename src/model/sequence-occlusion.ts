/**
 * Leave-one-token-out explanations for sequence models: a token's contribution toward a class is
 * p(class | text) − p(class | the same ids without that token, re-padded), where "that token" is
 * every occurrence of one distinct token (as a TF-IDF term's column is dropped whole). All the
 * perturbed rows of a request go through the network together, MAX_ROWS_PER_RUN at a time;
 * `intercept` is p(class) for a text without any token (all padding). Labelled `occlusion`.
 */
import type { SequenceEncoder, SequenceRow } from '../features/sequence';
import { MAX_ROWS_PER_RUN, rankOcclusions } from './occlusion';
import type { Explanation } from './types';

type RunPadded = (
  padded: readonly (readonly number[])[],
) => Promise<readonly { values: ArrayLike<number> }[]>;

export async function sequenceOcclusion(
  encoder: SequenceEncoder,
  rows: readonly SequenceRow[],
  classIndices: readonly number[],
  fullValues: readonly ArrayLike<number>[],
  run: RunPadded,
  topTerms: number,
): Promise<Explanation[]> {
  const n = Math.max(0, Math.floor(topTerms));
  const [baseline] = await run([encoder.pad([])]);
  // Per row: each distinct token with an id, the position of its first id (explanation order).
  const distinct = rows.map((row) => {
    const first = new Map<string, number>();
    row.origin.forEach((t, i) => {
      const token = row.tokens[t];
      if (!first.has(token)) first.set(token, i);
    });
    return [...first.entries()];
  });
  const dropped: number[][] = rows.map(() => []);
  let group: { row: number; padded: number[] }[] = [];
  const flush = async (): Promise<void> => {
    if (group.length === 0) return;
    const results = await run(group.map((g) => g.padded));
    group.forEach((g, k) => {
      const c = classIndices[g.row];
      dropped[g.row].push(fullValues[g.row][c] - results[k].values[c]);
    });
    group = [];
  };
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (const [token] of distinct[r]) {
      const ids = row.ids.filter((_, i) => row.tokens[row.origin[i]] !== token);
      group.push({ row: r, padded: encoder.pad(ids) });
      if (group.length >= MAX_ROWS_PER_RUN) await flush();
    }
  }
  await flush();
  const field = encoder.block.field;
  const charLevel = encoder.block.tokenizer.type === 'keras' && encoder.block.tokenizer.char_level;
  return rows.map((row, r) => {
    const tokens = distinct[r];
    const byOrder = new Map(tokens.map(([token, first]) => [first, token]));
    return rankOcclusions(
      tokens.map(([, first], k) => ({ order: first, contribution: dropped[r][k] })),
      (order) => ({ term: byOrder.get(order) ?? '', field, analyzer: charLevel ? 'char' : 'word' }),
      classIndices[r],
      baseline.values[classIndices[r]],
      n,
    );
  });
}
