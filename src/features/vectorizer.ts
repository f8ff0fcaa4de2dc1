/**
 * The bundle's feature blocks → one sparse row per input row, reproducing sklearn's `transform`
 * (TfidfVectorizer / CountVectorizer + TfidfTransformer, hstacked by a ColumnTransformer) step by step
 * in float64, rounded to float32 at the end.
 */
import type { FeatureBlock, VectorizerSpec } from '../model/schema';
import type { InputRow } from '../model/types';
import { createAnalyzer, type Analyzer } from '../text/analyzer';
import { TermIndex } from '../text/termindex';
import type { PythonUnicode } from '../text/unicode';

/** Column indices ascending; values are float32 (the ONNX input type). */
export interface SparseRow {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

export interface VectorizedRow extends SparseRow {
  /** Terms the analyzers produced from the row (all blocks). */
  readonly total: number;
  /** How many of them are in a vocabulary. */
  readonly known: number;
}

export interface CompiledBlock {
  readonly spec: FeatureBlock;
  readonly analyzer: Analyzer;
  /** term → column within the block. */
  readonly vocabulary: TermIndex;
  readonly idf: Float64Array | null;
}

export interface Vectorizer {
  readonly width: number;
  readonly blocks: readonly CompiledBlock[];
  transformRow(row: InputRow): VectorizedRow;
  transform(rows: readonly InputRow[]): VectorizedRow[];
  /** Each block's analyzer output for the row, in block order (for parity checks). */
  analyzeRow(row: InputRow): string[][];
  /** The vocabulary term and input field of a column. */
  describeColumn(column: number): { term: string; field: string; analyzer: FeatureBlock['analyzer'] };
}

function compileBlock(spec: FeatureBlock, uni: PythonUnicode): CompiledBlock {
  const vocabulary = new TermIndex(spec.vocabulary);
  const useIdf = spec.kind === 'tfidf' && spec.use_idf;
  if (useIdf && spec.idf === null) throw new RangeError('use_idf is true but idf is null');
  return {
    spec,
    analyzer: createAnalyzer(spec, uni),
    vocabulary,
    idf: useIdf && spec.idf !== null ? Float64Array.from(spec.idf) : null,
  };
}

export function createVectorizer(spec: VectorizerSpec, uni: PythonUnicode): Vectorizer {
  const blocks = spec.blocks.map((b, i) => {
    try {
      return compileBlock(b, uni);
    } catch (error) {
      throw new RangeError(`blocks[${i}] (field ${b.field}): ${(error as Error).message}`, { cause: error });
    }
  });
  const width = spec.width;
  const maxBlockWidth = blocks.reduce((m, b) => Math.max(m, b.spec.width), 0);
  // Scratch space reused across rows (transform is synchronous, so never shared concurrently).
  const counts = new Float64Array(maxBlockWidth);
  let touched = new Int32Array(256);
  let scratch = new Float64Array(256);

  // Per-block state of the row being counted (transformRow is synchronous and not re-entrant).
  let distinct = 0;
  let knownInBlock = 0;
  const count = (j: number): void => {
    if (j < 0) return;
    knownInBlock++;
    if (counts[j] === 0) {
      if (distinct === touched.length) {
        const grown = new Int32Array(touched.length * 2);
        grown.set(touched);
        touched = grown;
      }
      touched[distinct++] = j;
    }
    counts[j] += 1;
  };

  // The row's output, copied once into arrays of the exact size: a row has at most `width` columns.
  const outIndices = new Int32Array(width);
  const outValues = new Float64Array(width);
  const rowArrays = sparseRowArrays();
  // One span counter per block, made once rather than per row.
  const spanCounters = blocks.map(
    ({ vocabulary }) =>
      (_source: string, _from: number, _to: number, state: number): void =>
        count(vocabulary.columnOf(state)),
  );

  const transformRow = (row: InputRow): VectorizedRow => {
    let total = 0;
    let known = 0;
    let used = 0;
    // Blocks on one field with the same preprocessing (word and char n-grams of the text) share it.
    let lastText: string | undefined;
    let lastPreprocessing = '';
    let doc = '';
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b];
      const text = row[block.spec.field] ?? '';
      const { analyzer } = block;
      if (text !== lastText || analyzer.preprocessing !== lastPreprocessing) {
        doc = analyzer.preprocess(text);
        lastText = text;
        lastPreprocessing = analyzer.preprocessing;
      }
      distinct = 0;
      knownInBlock = 0;
      total += analyzer.visit(doc, block.vocabulary, spanCounters[b]);
      known += knownInBlock;
      if (distinct === 0) continue;
      if (scratch.length < distinct) scratch = new Float64Array(Math.max(distinct, scratch.length * 2));
      const columns = touched.subarray(0, distinct).sort();
      weighRow(block, columns, counts, scratch);
      const offset = block.spec.offset;
      const weight = block.spec.weight;
      for (let k = 0; k < distinct; k++) {
        const j = columns[k];
        counts[j] = 0;
        outIndices[used] = offset + j;
        outValues[used++] = weight === 1 ? scratch[k] : scratch[k] * weight;
      }
    }
    const { indices, values } = rowArrays(used);
    indices.set(outIndices.subarray(0, used));
    // float64 → float32 rounding happens here, once per value.
    values.set(outValues.subarray(0, used));
    return { indices, values, total, known };
  };

  const blockOffsets = blocks.map((b) => b.spec.offset);
  return {
    width,
    blocks,
    transformRow,
    transform: (rows) => rows.map(transformRow),
    analyzeRow: (row) => blocks.map((b) => b.analyzer.analyze(row[b.spec.field] ?? '')),
    describeColumn: (column) => {
      if (!Number.isInteger(column) || column < 0 || column >= width) {
        throw new RangeError(`column ${column} is outside [0, ${width})`);
      }
      let lo = 0;
      let hi = blockOffsets.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (blockOffsets[mid] <= column) lo = mid;
        else hi = mid - 1;
      }
      // Skip empty blocks that share the offset.
      while (lo < blocks.length - 1 && blocks[lo].spec.width === 0) lo++;
      const block = blocks[lo];
      return {
        term: block.spec.vocabulary[column - block.spec.offset],
        field: block.spec.field,
        analyzer: block.spec.analyzer,
      };
    },
  };
}

/** Columns per row up to which both arrays fit V8's on-heap typed arrays (64 bytes each). */
const ON_HEAP_COLUMNS = 16;
/** Shared backing store that larger rows are cut from (as Buffer's pool does for small Buffers). */
const SLAB_BYTES = 64 * 1024;

/**
 * Where rows' arrays come from. V8 keeps a typed array of at most 64 bytes on the JS heap; a larger
 * one gets a backing store of its own outside it (~0.6 µs to make, and more work for the GC), so
 * rows past 16 columns are views into a 64 KB slab, a new slab once one is used up. A row keeps at
 * most its slab alive.
 */
function sparseRowArrays(): (columns: number) => SparseRow {
  let slab = new ArrayBuffer(0);
  let used = 0;
  return (columns) => {
    if (columns <= ON_HEAP_COLUMNS) {
      return { indices: new Int32Array(columns), values: new Float32Array(columns) };
    }
    const bytes = columns * 8;
    if (bytes > SLAB_BYTES / 8) {
      const own = new ArrayBuffer(bytes);
      return { indices: new Int32Array(own, 0, columns), values: new Float32Array(own, bytes / 2, columns) };
    }
    if (used + bytes > slab.byteLength) {
      slab = new ArrayBuffer(SLAB_BYTES);
      used = 0;
    }
    const store = slab;
    const at = used;
    used += bytes;
    return {
      indices: new Int32Array(store, at, columns),
      values: new Float32Array(store, at + columns * 4, columns),
    };
  };
}

/**
 * counts → tf (binary, sublinear) → × idf → norm, for the sorted columns of one block, into `out`.
 * The norm's sum runs in the order scipy stores the row: sklearn 1.2's `X * idf_diag` leaves the
 * columns in descending order; without idf they stay ascending. (Only the last float64 bit can
 * depend on it.)
 */
function weighRow(block: CompiledBlock, columns: Int32Array, counts: Float64Array, out: Float64Array): void {
  const spec = block.spec;
  const n = columns.length;
  const idf = block.idf;
  const binary = spec.binary;
  const sublinear = spec.kind === 'tfidf' && spec.sublinear_tf;
  for (let k = 0; k < n; k++) {
    const j = columns[k];
    let v = binary ? 1 : counts[j];
    if (sublinear) v = Math.log(v) + 1;
    if (idf !== null) v *= idf[j];
    out[k] = v;
  }
  if (spec.kind !== 'tfidf' || spec.norm === null) return;
  let sum = 0;
  const descending = idf !== null;
  if (spec.norm === 'l2') {
    if (descending) for (let k = n - 1; k >= 0; k--) sum += out[k] * out[k];
    else for (let k = 0; k < n; k++) sum += out[k] * out[k];
    if (sum === 0) return;
    sum = Math.sqrt(sum);
  } else {
    if (descending) for (let k = n - 1; k >= 0; k--) sum += Math.abs(out[k]);
    else for (let k = 0; k < n; k++) sum += Math.abs(out[k]);
    if (sum === 0) return;
  }
  for (let k = 0; k < n; k++) out[k] /= sum;
}

/**
 * Rows [start, end) as a dense row-major float32 matrix for ONNX. `into` is reused when it is large
 * enough; its used part is zeroed first unless the caller guarantees it is already zero.
 */
export function toDense(
  rows: readonly SparseRow[],
  width: number,
  start = 0,
  end = rows.length,
  into?: Float32Array,
  clear = true,
): Float32Array {
  const size = (end - start) * width;
  let dense: Float32Array;
  if (into !== undefined && into.length >= size) {
    dense = into.length === size ? into : into.subarray(0, size);
    if (clear) dense.fill(0);
  } else dense = new Float32Array(size);
  for (let r = start; r < end; r++) {
    const row = rows[r];
    const base = (r - start) * width;
    for (let k = 0; k < row.indices.length; k++) dense[base + row.indices[k]] = row.values[k];
  }
  return dense;
}

/** How many rows fit in a dense float32 chunk of at most `maxBytes` (at least one). */
export function rowsPerChunk(width: number, maxBytes = 16 * 1024 * 1024): number {
  return Math.max(1, Math.floor(maxBytes / (4 * Math.max(1, width))));
}
