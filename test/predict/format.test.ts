/**
 * JSON shapes. The score-model and tie cases have no fixture bundle, so they use model data (a card
 * and a prediction) as plain values: format.ts only reads them.
 */
import { formatBatch, formatPrediction, formatSeed, formatSingle } from '../../src/predict/format';
import type { LoadedModel, RowPrediction } from '../../src/model/types';
import type { ModelCard } from '../../src/model/schema';

function modelOf(card: Partial<ModelCard>, output: 'probabilities' | 'scores'): LoadedModel {
  const full = {
    name: 'm',
    title: 'M',
    task: 'multiclass',
    inputs: [{ name: 'text', label: 'Text', required: true, multiline: true, example: '' }],
    classes: [
      { value: 'a', name: 'Alpha' },
      { value: 'b', name: 'Beta' },
      { value: '__proto__', name: 'Odd' },
    ],
    ...card,
  } as ModelCard;
  return {
    name: full.name,
    card: full,
    output,
    status: () => ({ ready: true }),
    predict: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

const prediction: RowPrediction = {
  classIndex: 1,
  positives: [1],
  values: [-1.5, 2.25, 0.5],
  coverage: { total: 4, known: 0, ratio: 0 },
  explanation: {
    method: 'exact',
    classIndex: 1,
    toward: [{ term: 'good', field: 'text', contribution: 0.5 }],
    against: [{ term: 'bad', field: 'text', contribution: -0.25 }],
    intercept: 0.1,
  },
};

describe('formatPrediction', () => {
  it('answers score models with "scores" and keeps every class key as an own property', () => {
    const json = formatPrediction(modelOf({}, 'scores'), prediction);
    expect(json).toEqual({
      label: 'b',
      label_name: 'Beta',
      scores: { a: -1.5, b: 2.25, ['__proto__']: 0.5 },
      coverage: { total: 4, known: 0, ratio: 0 },
      low_signal: true,
      explanation: {
        method: 'exact',
        class: 'b',
        class_name: 'Beta',
        intercept: 0.1,
        toward: [{ term: 'good', field: 'text', contribution: 0.5 }],
        against: [{ term: 'bad', field: 'text', contribution: -0.25 }],
      },
    });
    expect(Object.keys(json.scores!)).toEqual(['a', 'b', '__proto__']);
    expect(JSON.parse(JSON.stringify(json)).scores).toHaveProperty(['__proto__'], 0.5);
  });

  it('answers a multi-label row with no positive label with empty lists', () => {
    const json = formatPrediction(modelOf({ task: 'multilabel' }, 'probabilities'), {
      ...prediction,
      classIndex: -1,
      positives: [],
      explanation: undefined,
    });
    expect(json.labels).toEqual([]);
    expect(json.label_names).toEqual([]);
    expect(json).not.toHaveProperty('label');
    expect(json).not.toHaveProperty('explanation');
  });

  it('wraps single, batch and seed answers', () => {
    const model = modelOf({}, 'probabilities');
    const result = { model, rows: [{ text: 'x' }], predictions: [prediction] };
    expect(formatSingle(result)).toMatchObject({ model: 'm', label: 'b' });
    expect(formatBatch(result)).toMatchObject({ model: 'm', predictions: [{ label: 'b' }] });
    expect(formatSeed(result)).toMatchObject({ output: [{ label: 'b' }] });
    expect(Object.keys(formatSeed(result))).toEqual(['output']);
  });
});
