/**
 * Parity with scikit-learn on every case of test/fixtures/parity (scripts/gen_parity_fixtures.py):
 * analyzed terms identical, features within 1e-6, values within 1e-6 (1e-5 for models served only
 * through ONNX: trees, boosting, neural networks) and identical labels, through every inference path
 * the model has (linear models: in-process and ONNX). Prints the largest differences.
 *
 * Tie rule: a non-linear model's label is the first maximum of its probabilities, as scikit-learn's
 * predict: an exact tie goes to the first class (fixture tree-ties). Where sklearn's two largest
 * probabilities differ but by at most NEAR_TIE, float32 may order them either way; such a row must
 * then be labelled with one of the nearly tied classes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBundle } from '../../src/model/bundle';
import { SiftModel } from '../../src/model/classifier';
import type { InferencePath } from '../../src/model/selftest';
import type { InputRow, LabelValue } from '../../src/model/types';

const PARITY_DIR = join(__dirname, '..', 'fixtures', 'parity');
const FEATURE_TOLERANCE = 1e-6;
const VALUE_TOLERANCE = 1e-6;
const ONNX_KIND_TOLERANCE = 1e-5;
const NEAR_TIE = 1e-6;

/** Classes whose sklearn value is within NEAR_TIE of the maximum. */
function tiedWithMaximum(values: readonly number[]): number[] {
  const max = Math.max(...values);
  return values.flatMap((v, k) => (max - v <= NEAR_TIE ? [k] : []));
}

interface ParityCase {
  inputs: InputRow;
  analyzed: string[][];
  features: [number, number][];
  values: number[];
  label: LabelValue | LabelValue[];
  class_index: number;
  positives?: number[];
  /** Non-linear fixtures, a few rows: [[column, p(class) − p(class without column)]] by sklearn. */
  occlusion?: [number, number][];
}

const folders = existsSync(PARITY_DIR)
  ? readdirSync(PARITY_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(PARITY_DIR, e.name, 'expected.json')))
      .map((e) => e.name)
      .sort()
  : [];

const summary: { name: string; cases: number; feature: number; linear: number; onnx: number }[] = [];

afterAll(() => {
  if (summary.length === 0) return;
  const lines = summary.map(
    (s) =>
      `${s.name.padEnd(48)} ${String(s.cases).padStart(4)} cases  features ${s.feature.toExponential(2)}  ` +
      `linear ${s.linear.toExponential(2)}  onnx ${s.onnx.toExponential(2)}`,
  );
  const worst = (key: 'feature' | 'linear' | 'onnx'): string =>
    Math.max(...summary.map((s) => s[key])).toExponential(2);
  lines.push(
    `max |Δ| features ${worst('feature')}, values linear ${worst('linear')}, values onnx ${worst('onnx')}`,
  );
  console.log(`sklearn parity (max |Δ| per fixture)\n${lines.join('\n')}`);
});

if (folders.length === 0) {
  it.skip('no parity fixtures in test/fixtures/parity (run scripts/gen_parity_fixtures.py)', () => undefined);
}

describe.each(folders)('parity %s', (name) => {
  const dir = join(PARITY_DIR, name);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: ParityCase[] };
  let model: SiftModel;
  const entry = { name, cases: expected.cases.length, feature: 0, linear: 0, onnx: 0 };

  beforeAll(async () => {
    model = await SiftModel.load(await readBundle(dir));
    summary.push(entry);
  });
  afterAll(async () => {
    // The graph itself must be sound: no row may need the in-process safety net.
    expect(model?.onnxFallbacks).toBe(0);
    await model?.close();
  });

  it('passes its golden self-test', () => {
    expect(model.status()).toEqual({ ready: true });
  });

  it('analyzes every case into the same terms as sklearn', () => {
    for (const c of expected.cases) {
      expect({ inputs: c.inputs, analyzed: model.vectorizer.analyzeRow(c.inputs) }).toEqual({
        inputs: c.inputs,
        analyzed: c.analyzed,
      });
    }
  });

  it(`computes the same features (within ${FEATURE_TOLERANCE})`, () => {
    for (const c of expected.cases) {
      const row = model.vectorizer.transformRow(c.inputs);
      const want = [...c.features].sort((a, b) => a[0] - b[0]);
      expect({ inputs: c.inputs, columns: Array.from(row.indices) }).toEqual({
        inputs: c.inputs,
        columns: want.map((f) => f[0]),
      });
      want.forEach(([, value], k) => {
        // Features are float32 (the ONNX input type): unnormalised ones above 1 are compared relatively.
        const d = Math.abs(row.values[k] - value) / Math.max(1, Math.abs(value));
        entry.feature = Math.max(entry.feature, d);
        if (!(d <= FEATURE_TOLERANCE)) {
          throw new Error(
            `${JSON.stringify(c.inputs)}: column ${want[k][0]} is ${row.values[k]}, sklearn ${value}`,
          );
        }
      });
    }
  });

  it.each<InferencePath>(['linear', 'onnx'])(
    `predicts the same values (within ${VALUE_TOLERANCE}, relative for scores) and labels via %s`,
    async (path) => {
      if (!model.paths.includes(path)) {
        // A classifier served only through ONNX has no in-process path; the linear slot stays 0.
        await expect(model.predictVia(path, [expected.cases[0].inputs])).rejects.toThrow(/only through ONNX/);
        return;
      }
      const tolerance = model.kind === 'onnx' ? ONNX_KIND_TOLERANCE : VALUE_TOLERANCE;
      const results = await model.predictVia(
        path,
        expected.cases.map((c) => c.inputs),
      );
      const multilabel = model.card.task === 'multilabel';
      expected.cases.forEach((c, i) => {
        const got = results[i];
        c.values.forEach((value, k) => {
          // Scores are unbounded float32 sums: compare them relative to their size.
          const scale = model.output === 'scores' ? Math.max(1, Math.abs(value)) : 1;
          const d = Math.abs(got.values[k] - value) / scale;
          entry[path] = Math.max(entry[path], d);
          if (!(d <= tolerance)) {
            throw new Error(
              `${path} ${JSON.stringify(c.inputs)}: value ${k} is ${got.values[k]}, sklearn ${value}`,
            );
          }
        });
        if (multilabel) {
          expect({ inputs: c.inputs, positives: got.positives }).toEqual({
            inputs: c.inputs,
            positives: c.positives ?? [],
          });
        } else if (
          model.kind === 'onnx' &&
          tiedWithMaximum(c.values).length > 1 &&
          new Set(tiedWithMaximum(c.values).map((k) => c.values[k])).size > 1
        ) {
          expect(tiedWithMaximum(c.values)).toContain(got.argmaxIndex);
        } else {
          expect({ inputs: c.inputs, classIndex: got.argmaxIndex }).toEqual({
            inputs: c.inputs,
            classIndex: c.class_index,
          });
        }
      });
    },
  );
  it('explains non-linear models by occlusion, as sklearn computes it (within 1e-5)', async () => {
    const explained = expected.cases.filter((c) => c.occlusion !== undefined);
    if (model.kind !== 'onnx') {
      expect(explained).toEqual([]);
      return;
    }
    expect(explained.length).toBeGreaterThan(0);
    const predictions = await model.predict(
      explained.map((c) => c.inputs),
      { explain: true, topTerms: 100_000 },
    );
    explained.forEach((c, i) => {
      const explanation = predictions[i].explanation;
      expect(explanation?.method).toBe('occlusion');
      const got = new Map(
        [...(explanation?.toward ?? []), ...(explanation?.against ?? [])].map((t) => [
          `${t.field}\u0000${t.term}`,
          t.contribution,
        ]),
      );
      for (const [column, contribution] of c.occlusion ?? []) {
        const { field, term } = model.vectorizer.describeColumn(column);
        const ours = got.get(`${field}\u0000${term}`) ?? 0;
        if (!(Math.abs(ours - contribution) <= ONNX_KIND_TOLERANCE)) {
          throw new Error(
            `${JSON.stringify(c.inputs)}: ${term} contributes ${ours}, sklearn ${contribution}`,
          );
        }
      }
    });
  });
});
