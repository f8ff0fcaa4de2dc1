/**
 * The start-up self-test runs every execution path a request can take, and refuses tampered files:
 * real fixture bundles with one weight changed in classifier.json or in model.onnx's bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, SiftModel } from '../../src/model/classifier';
import { runSelfTest, type InferencePath, type SelfTestSubject } from '../../src/model/selftest';
import type { InputRow } from '../../src/model/types';
import { BUNDLES, copyBundle, scratchDir } from './helpers';

const TWEETS = join(BUNDLES, 'tweets-mini');

/** The bundle in `dir` loads but is not served, for `reason`. */
async function expectRefused(dir: string, reason: RegExp): Promise<void> {
  const tampered = await loadModel(dir);
  try {
    expect(tampered.status().ready).toBe(false);
    expect(tampered.status().reason).toMatch(reason);
  } finally {
    await tampered.close();
  }
}

describe('self-test', () => {
  const scratch = scratchDir();
  let model: SiftModel;
  /** Columns some golden row sets, and the classifier's coefficients. */
  let goldenColumns: Set<number>;
  let coefficients: number[][];
  beforeAll(async () => {
    model = await loadModel(TWEETS);
    goldenColumns = new Set(
      model.vectorizer
        .transform(model.card.golden.map((g) => g.inputs))
        .flatMap((r) => Array.from(r.indices)),
    );
    coefficients = (
      JSON.parse(readFileSync(join(TWEETS, 'classifier.json'), 'utf8')) as { coefficients: number[][] }
    ).coefficients;
  });
  afterAll(async () => {
    await model.close();
    scratch.cleanup();
  });

  it('calls each path the way requests do: rows alone, batches, and an ONNX batch over several chunks', async () => {
    const calls: { path: InferencePath; rows: number }[] = [];
    const observed: SelfTestSubject = {
      card: model.card,
      output: model.output,
      onnxMinRows: model.onnxMinRows,
      chunkRows: 7,
      vectorizer: model.vectorizer,
      predictVia: (path: InferencePath, rows: readonly InputRow[]) => {
        calls.push({ path, rows: rows.length });
        return model.predictVia(path, rows);
      },
      predictFeatures: (path, rows) => model.predictFeatures(path, rows),
    };
    const report = await runSelfTest(observed);
    expect(report).toMatchObject({ ready: true, checked: model.card.golden.length });
    const golden = model.card.golden.length;
    expect(calls.filter((c) => c.path === 'linear' && c.rows === 1)).toHaveLength(golden);
    expect(calls).toContainEqual({ path: 'linear', rows: golden });
    expect(calls).toContainEqual({ path: 'onnx', rows: golden });
    // The large ONNX batch: where requests switch to ONNX when that is finite (linear models answer
    // every batch in process by default), and always more than one chunk.
    const switchAt = Number.isFinite(model.onnxMinRows) ? model.onnxMinRows : 0;
    expect(calls).toContainEqual({ path: 'onnx', rows: Math.max(switchAt, 8, golden + 1) });
  });

  it('fails a model whose large ONNX batches go wrong, naming that path', async () => {
    // What the issue saw: right alone, wrong inside a batch of 300.
    const wrongInBatches: SelfTestSubject = {
      card: model.card,
      output: model.output,
      onnxMinRows: model.onnxMinRows,
      chunkRows: model.chunkRows,
      predictVia: async (path: InferencePath, rows: readonly InputRow[]) => {
        const results = await model.predictVia(path, rows);
        if (path === 'onnx' && rows.length >= 256) results[rows.length - 1].values[0] += 0.5;
        return results;
      },
    };
    const report = await runSelfTest(wrongInBatches);
    expect(report.ready).toBe(false);
    expect(report.reason).toMatch(/\(onnx, batch of \d+, row \d+\): value 0/);
  });

  /**
   * A column whose weight for class 0 is stored exactly once in model.onnx's bytes (the binary
   * graph keeps both rows, w and −w, and onnxruntime reads the first).
   */
  function columnOnceInOnnx(inGolden: boolean): { column: number; offset: number } {
    const onnx = readFileSync(join(TWEETS, 'model.onnx'));
    for (let j = 0; j < coefficients[0].length; j++) {
      if (goldenColumns.has(j) !== inGolden || Math.abs(coefficients[0][j]) < 0.05) continue;
      const bytes = Buffer.alloc(4);
      bytes.writeFloatLE(coefficients[0][j]);
      const offset = onnx.indexOf(bytes);
      if (offset >= 0 && onnx.indexOf(bytes, offset + 1) < 0) return { column: j, offset };
    }
    throw new Error('no column found');
  }

  it.each([
    // Binary graphs hold w and −w: one changed weight breaks their sum to 1, which the serving path
    // answers in-process (a float32 saturation guard) and the self-test must not let pass.
    ['a column no golden row uses', false, /model\.onnx gave implausible values .* probe rows/],
    ['a column a golden row uses', true, /model\.onnx gave implausible values .* probe rows/],
  ])('refuses a model.onnx with one weight changed in %s', async (_what, inGolden, reason) => {
    const { column, offset } = columnOnceInOnnx(inGolden);
    const dir = copyBundle(TWEETS, join(scratch.dir, `onnx-${String(inGolden)}`));
    const file = join(dir, 'model.onnx');
    const onnx = readFileSync(file);
    onnx.writeFloatLE(coefficients[0][column] + 2, offset);
    writeFileSync(file, onnx);
    await expectRefused(dir, reason);
  });

  it('refuses a model.onnx with a consistent change (w and −w) in a column no golden row uses', async () => {
    const onnx = readFileSync(join(TWEETS, 'model.onnx'));
    const offsetOf = (value: number) => {
      const bytes = Buffer.alloc(4);
      bytes.writeFloatLE(value);
      const offset = onnx.indexOf(bytes);
      return offset >= 0 && onnx.indexOf(bytes, offset + 1) < 0 ? offset : -1;
    };
    const column = [...Array(coefficients[0].length).keys()].find(
      (j) =>
        !goldenColumns.has(j) &&
        Math.abs(coefficients[0][j]) > 0.05 &&
        offsetOf(coefficients[0][j]) >= 0 &&
        offsetOf(coefficients[1][j]) >= 0,
    ) as number;
    const tamperedBytes = Buffer.from(onnx);
    tamperedBytes.writeFloatLE(coefficients[0][column] + 2, offsetOf(coefficients[0][column]));
    tamperedBytes.writeFloatLE(coefficients[1][column] - 2, offsetOf(coefficients[1][column]));
    const dir = copyBundle(TWEETS, join(scratch.dir, 'onnx-consistent'));
    writeFileSync(join(dir, 'model.onnx'), tamperedBytes);
    await expectRefused(dir, /probe row .*model\.onnx and classifier\.json disagree/);
  });

  it.each([
    ['a column no golden row uses', false, /probe row .*model\.onnx and classifier\.json disagree/],
    ['a column a golden row uses', true, /golden example \d+ \(linear, one row per call\)/],
  ])('refuses a classifier.json with one weight changed in %s', async (_what, inGolden, reason) => {
    const column = [...Array(coefficients[1].length).keys()].find(
      (j) => goldenColumns.has(j) === inGolden && Math.abs(coefficients[1][j]) > 0.05,
    ) as number;
    const dir = copyBundle(TWEETS, join(scratch.dir, `classifier-${String(inGolden)}`), {
      classifier: (c) => {
        const rows = c.coefficients as number[][];
        rows[1][column] += 2;
      },
    });
    await expectRefused(dir, reason);
  });
});
