import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVectorizer, rowsPerChunk, toDense } from '../../src/features/vectorizer';
import { unicodeTablesSchema, vectorizerSchema } from '../../src/model/schema';
import { compileUnicode } from '../../src/text/unicode';

const MINI = join(__dirname, '..', 'fixtures', 'core', 'mini');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const spec = vectorizerSchema.parse(readJson(join(MINI, 'vectorizer.json')));
const uni = compileUnicode(unicodeTablesSchema.parse(readJson(join(MINI, 'unicode.json'))));
// sklearn's ColumnTransformer output for the mini bundle's golden rows (make_core_fixtures.py):
// word 1-2 grams (sublinear) + char_wb 2-4 (accents stripped, weight 0.5) on text, binary l1 words on keyword.
const expected = readJson(join(__dirname, '..', 'fixtures', 'core', 'mini-expected.json')) as {
  rows: Record<string, string>[];
  features: [number, number][][];
};

describe('vectorizer', () => {
  const vectorizer = createVectorizer(spec, uni);

  it('reproduces sklearn’s sparse rows (columns exact, values within 1e-7)', () => {
    expected.rows.forEach((row, i) => {
      const got = vectorizer.transformRow(row);
      expect(Array.from(got.indices)).toEqual(expected.features[i].map(([c]) => c));
      expected.features[i].forEach(([, value], k) =>
        expect(Math.abs(got.values[k] - value)).toBeLessThan(1e-7),
      );
    });
  });

  it('gives every row arrays of its own, small rows and rows cut from a shared store alike', () => {
    // Texts of growing length: rows from a few columns to far past the 16 kept on V8's heap, and
    // enough of them to use up more than one 64 KB store.
    const words = 'forest fire smoke evacuation flood wildfire burning highway storm warning'.split(' ');
    const rows = Array.from({ length: 400 }, (_, i) => ({
      text: Array.from({ length: 1 + (i % 40) }, (_, k) => words[(i + k) % words.length] + k).join(' '),
      keyword: words[i % words.length],
    }));
    const batch = vectorizer.transform(rows);
    expect(Math.max(...batch.map((row) => row.indices.length))).toBeGreaterThan(16);
    expect(Math.min(...batch.map((row) => row.indices.length))).toBeLessThanOrEqual(16);
    const cells = batch.reduce((n, row) => n + row.indices.length, 0);
    expect(cells * 8).toBeGreaterThan(64 * 1024);
    rows.forEach((row, i) => {
      const alone = vectorizer.transformRow(row);
      expect(Array.from(batch[i].indices)).toEqual(Array.from(alone.indices));
      expect(Array.from(batch[i].values)).toEqual(Array.from(alone.values));
      expect(batch[i].values.length).toBe(batch[i].indices.length);
    });
  });

  it('counts coverage over every block', () => {
    const row = { text: 'forest fire zzzqqq', keyword: 'wildfire' };
    const got = vectorizer.transformRow(row);
    const analyzed = vectorizer.analyzeRow(row);
    const total = analyzed.reduce((n, terms) => n + terms.length, 0);
    const known = analyzed.reduce(
      (n, terms, b) => n + terms.filter((t) => vectorizer.blocks[b].vocabulary.get(t) >= 0).length,
      0,
    );
    expect(got.total).toBe(total);
    expect(got.known).toBe(known);
    expect(known).toBeLessThan(total);
  });

  it('treats a missing field as empty and yields an empty row for unknown text', () => {
    const empty = vectorizer.transformRow({});
    expect(empty.indices.length).toBe(0);
    expect(empty.total).toBe(0);
    expect(vectorizer.transformRow({ text: 'qqq' }).indices.length).toBe(0);
  });

  it('normalises each block on its own and applies the block weight', () => {
    const got = vectorizer.transformRow({ text: 'forest fire', keyword: 'wildfire smoke' });
    const sumSquares = (from: number, to: number): number => {
      let s = 0;
      got.indices.forEach((c, k) => {
        if (c >= from && c < to) s += got.values[k] * got.values[k];
      });
      return s;
    };
    const [words, chars, keyword] = spec.blocks;
    expect(sumSquares(words.offset, words.offset + words.width)).toBeCloseTo(1, 6);
    expect(sumSquares(chars.offset, chars.offset + chars.width)).toBeCloseTo(0.25, 6);
    let l1 = 0;
    got.indices.forEach((c, k) => {
      if (c >= keyword.offset) l1 += got.values[k];
    });
    expect(l1).toBeCloseTo(1, 6);
  });

  it('describes columns with their term and field', () => {
    for (const block of spec.blocks) {
      expect(vectorizer.describeColumn(block.offset)).toEqual({
        term: block.vocabulary[0],
        field: block.field,
        analyzer: block.analyzer,
      });
      const last = block.offset + block.width - 1;
      expect(vectorizer.describeColumn(last)).toEqual({
        term: block.vocabulary[block.width - 1],
        field: block.field,
        analyzer: block.analyzer,
      });
    }
    expect(() => vectorizer.describeColumn(spec.width)).toThrow(RangeError);
  });

  it('refuses a vocabulary with a duplicate term', () => {
    const broken = structuredClone(spec);
    broken.blocks[0].vocabulary[1] = broken.blocks[0].vocabulary[0];
    expect(() => createVectorizer(broken, uni)).toThrow(/blocks\[0\].*appears twice/);
  });
});

describe('dense ONNX input', () => {
  const rows = [
    { indices: Int32Array.from([0, 3]), values: Float32Array.from([0.5, 0.25]) },
    { indices: Int32Array.from([]), values: Float32Array.from([]) },
    { indices: Int32Array.from([1]), values: Float32Array.from([1]) },
  ];

  it('lays rows out row-major', () => {
    expect(Array.from(toDense(rows, 4))).toEqual([0.5, 0, 0, 0.25, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(Array.from(toDense(rows, 4, 2, 3))).toEqual([0, 1, 0, 0]);
  });

  it('reuses and clears a buffer', () => {
    const buffer = new Float32Array(12).fill(9);
    const dense = toDense(rows, 4, 0, 2, buffer);
    expect(dense.buffer).toBe(buffer.buffer);
    expect(Array.from(dense)).toEqual([0.5, 0, 0, 0.25, 0, 0, 0, 0]);
  });

  it('sizes chunks under the byte budget', () => {
    expect(rowsPerChunk(100_000)).toBe(41);
    expect(rowsPerChunk(10_000_000)).toBe(1);
    expect(rowsPerChunk(1000, 4000)).toBe(1);
  });
});
