/**
 * Leave-one-term-out explanations for classifiers that only ONNX computes (trees, boosting, neural
 * networks): a term's contribution toward a class is p(class | row) − p(class | row without that
 * term), the other features unchanged (no re-normalisation: the model sees exactly the row minus one
 * column). All the perturbed rows of a request go through the session together, in groups of at most
 * MAX_ROWS_PER_RUN rows (each then chunked under the model's dense-input byte budget).
 */
import type { SparseRow } from '../features/vectorizer';
import { rankContributions, type ColumnContribution } from './linear';
import type { Explanation, TermContribution } from './types';

/** Perturbed rows per session call: bounds the memory an explained 1,000-row batch can take. */
export const MAX_ROWS_PER_RUN = 2048;

export interface OcclusionSubject {
  /** Sorted columns the model can read; a column outside it contributes exactly 0. Null: all. */
  readonly usedFeatures: Int32Array | null;
  describeColumn(column: number): Omit<TermContribution, 'contribution'>;
}

/** Ranked column contributions → the terms the API shows. */
export function describeRanked(
  describeColumn: OcclusionSubject['describeColumn'],
  ranked: { toward: readonly ColumnContribution[]; against: readonly ColumnContribution[] },
): { toward: TermContribution[]; against: TermContribution[] } {
  const describe = ({ column, contribution }: ColumnContribution): TermContribution => ({
    ...describeColumn(column),
    contribution,
  });
  return { toward: ranked.toward.map(describe), against: ranked.against.map(describe) };
}

export type RunRows = (rows: readonly SparseRow[]) => Promise<readonly { values: ArrayLike<number> }[]>;

function isUsed(used: Int32Array | null, column: number): boolean {
  if (used === null) return true;
  let lo = 0;
  let hi = used.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (used[mid] === column) return true;
    if (used[mid] < column) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function withoutPosition(row: SparseRow, position: number): SparseRow {
  const indices = new Int32Array(row.indices.length - 1);
  const values = new Float32Array(row.values.length - 1);
  indices.set(row.indices.subarray(0, position));
  indices.set(row.indices.subarray(position + 1), position);
  values.set(row.values.subarray(0, position));
  values.set(row.values.subarray(position + 1), position);
  return { indices, values };
}

/**
 * One explanation per row, toward `classIndices[i]`, whose probability for the full row is
 * `fullValues[i][classIndices[i]]`. `intercept` is that class's probability for a row without any
 * known term.
 */
export async function occlusionExplanations(
  subject: OcclusionSubject,
  rows: readonly SparseRow[],
  classIndices: readonly number[],
  fullValues: readonly ArrayLike<number>[],
  run: RunRows,
  topTerms: number,
): Promise<Explanation[]> {
  const n = Math.max(0, Math.floor(topTerms));
  const empty: SparseRow = { indices: new Int32Array(0), values: new Float32Array(0) };
  const [baseline] = await run([empty]);
  const columns: number[][] = rows.map((row) =>
    Array.from(row.indices).filter((column) => isUsed(subject.usedFeatures, column)),
  );
  const dropped: number[][] = rows.map(() => []);
  let group: { row: number; perturbed: SparseRow }[] = [];
  const flush = async (): Promise<void> => {
    if (group.length === 0) return;
    const results = await run(group.map((g) => g.perturbed));
    group.forEach((g, k) => {
      const classIndex = classIndices[g.row];
      dropped[g.row].push(fullValues[g.row][classIndex] - results[k].values[classIndex]);
    });
    group = [];
  };
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (const column of columns[r]) {
      group.push({ row: r, perturbed: withoutPosition(row, row.indices.indexOf(column)) });
      if (group.length >= MAX_ROWS_PER_RUN) await flush();
    }
  }
  await flush();
  return rows.map((_, r) =>
    rankOcclusions(
      columns[r].map((column, k) => ({ order: column, contribution: dropped[r][k] })),
      (column) => subject.describeColumn(column),
      classIndices[r],
      baseline.values[classIndices[r]],
      n,
    ),
  );
}

/**
 * An occlusion explanation from scored items (`order`: a column, or a token's first position):
 * the n largest contributions each side, ties in `order` (rankContributions, as linear models rank).
 */
export function rankOcclusions(
  scored: readonly { order: number; contribution: number }[],
  describe: (order: number) => Omit<TermContribution, 'contribution'>,
  classIndex: number,
  intercept: number,
  n: number,
): Explanation {
  const ranked = rankContributions(
    scored.map(({ order, contribution }) => ({ column: order, contribution })),
    n,
  );
  return { method: 'occlusion', classIndex, ...describeRanked(describe, ranked), intercept };
}
