import {
  applyPostTransform,
  argmax,
  contributions,
  createLinearLayer,
  decisionScores,
  hasTiedMaximum,
} from '../../src/model/linear';
import type { ClassifierSpec } from '../../src/model/schema';

const f32 = (values: number[]): Float32Array => Float32Array.from(values);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

describe('post-transforms', () => {
  it('logistic per column', () => {
    const p = applyPostTransform('logistic', f32([-2, 0, 3]));
    [-2, 0, 3].forEach((z, k) => expect(p[k]).toBeCloseTo(sigmoid(z), 7));
  });

  it('softmax', () => {
    const p = applyPostTransform('softmax', f32([1, 2, 3]));
    const e = [1, 2, 3].map(Math.exp);
    const s = e.reduce((a, b) => a + b);
    e.forEach((v, k) => expect(p[k]).toBeCloseTo(v / s, 7));
    expect(Array.from(applyPostTransform('softmax', f32([1000, 1000])))).toEqual([0.5, 0.5]);
  });

  it('logistic then L1 (one-vs-rest), accurate when every score is very negative', () => {
    const z = [-32.356224060058594, -19.810039520263672, -55.75019836425781];
    const p = applyPostTransform('logistic_l1', f32(z));
    // float64 reference (sklearn): σ(z) / Σσ(z)
    expect(p[0]).toBeCloseTo(3.558440767329662e-6, 12);
    expect(p[1]).toBeCloseTo(0.9999964415592325, 7);
    expect(p[2]).toBeCloseTo(2.4625541605539967e-16, 22);
    const q = applyPostTransform('logistic_l1', f32([0.5, -1]));
    expect(q[0]).toBeCloseTo(sigmoid(0.5) / (sigmoid(0.5) + sigmoid(-1)), 7);
  });

  it('modified Huber: binary, multiclass (uniform at zero), multi-label', () => {
    expect(Array.from(applyPostTransform('modified_huber', f32([-0.5, 0.5])))).toEqual([0.25, 0.75]);
    expect(Array.from(applyPostTransform('modified_huber', f32([-3, 3])))).toEqual([0, 1]);
    const multi = applyPostTransform('modified_huber', f32([1, 0, -1]));
    expect(Array.from(multi)).toEqual([f32([2 / 3])[0], f32([1 / 3])[0], 0]);
    expect(Array.from(applyPostTransform('modified_huber', f32([-2, -3, -1])))).toEqual(
      Array.from(f32([1 / 3, 1 / 3, 1 / 3])),
    );
    expect(Array.from(applyPostTransform('modified_huber', f32([0.5, -0.5, 2]), true))).toEqual([
      0.75, 0.25, 1,
    ]);
  });

  it('none passes scores through', () => {
    expect(Array.from(applyPostTransform('none', f32([-1.5, 2])))).toEqual([-1.5, 2]);
  });
});

describe('argmax', () => {
  it('breaks ties toward the first or the last class', () => {
    expect(argmax([1, 3, 3, 0], 'first')).toBe(1);
    expect(argmax([1, 3, 3, 0], 'last')).toBe(2);
    expect(hasTiedMaximum([1, 3, 3])).toBe(true);
    expect(hasTiedMaximum([3, 1, 1])).toBe(false);
  });
});

describe('linear layer', () => {
  const spec: ClassifierSpec = {
    format_version: 1,
    estimator: 'LogisticRegression',
    output: 'probabilities',
    post_transform: 'logistic',
    multilabel: false,
    width: 4,
    intercepts: [-0.25, 0.25],
    coefficients: [
      [-1, 0.5, 0, -2],
      [1, -0.5, 0, 2],
    ],
  };
  const layer = createLinearLayer(spec);
  const row = { indices: Int32Array.from([0, 1, 3]), values: f32([0.5, 1, 0.25]) };

  it('computes z = x·Cᵀ + b over the non-zero features', () => {
    expect(Array.from(decisionScores(layer, row))).toEqual([
      -0.25 - 0.5 * 1 + 1 * 0.5 - 0.25 * 2,
      0.25 + 0.5 * 1 - 1 * 0.5 + 0.25 * 2,
    ]);
  });

  it('explains with value × coefficient, largest first, and the parts add up to z', () => {
    const { toward, against } = contributions(layer, row, 1, 10);
    expect(toward).toEqual([
      { column: 0, contribution: 0.5 },
      { column: 3, contribution: 0.5 },
    ]);
    expect(against).toEqual([{ column: 1, contribution: -0.5 }]);
    const total = [...toward, ...against].reduce((s, c) => s + c.contribution, layer.intercepts[1]);
    expect(total).toBeCloseTo(decisionScores(layer, row)[1], 6);
    expect(contributions(layer, row, 1, 1).toward).toHaveLength(1);
  });

  it('sends one-vs-rest multiclass ties to the last class', () => {
    expect(createLinearLayer({ ...spec, estimator: 'OneVsRestClassifier(LogisticRegression)' }).ties).toBe(
      'last',
    );
    expect(layer.ties).toBe('first');
  });
});
