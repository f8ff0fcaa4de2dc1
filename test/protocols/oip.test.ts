import type { ModelCard } from '../../src/model/schema';
import type { RowPrediction } from '../../src/model/types';
import { buildInferResponse, labelText, modelMetadata, parseInferRequest } from '../../src/protocols/oip';
import { LIMITS, TWEET_INPUTS, httpErrorOf } from './fixtures';

const card = {
  inputs: TWEET_INPUTS,
  task: 'binary',
  classes: [
    { value: 0, name: 'Not a disaster' },
    { value: 1, name: 'Real disaster' },
  ],
} as unknown as ModelCard;
const model = { name: 'tweets', card, output: 'probabilities' as const };

const bytes = (name: string, data: unknown, shape: unknown = [Array.isArray(data) ? data.length : 1]) => ({
  name,
  datatype: 'BYTES',
  shape,
  data,
});

describe('modelMetadata', () => {
  it('lists one BYTES input per field and the label and probability outputs', () => {
    expect(modelMetadata(model)).toEqual({
      name: 'tweets',
      versions: [],
      platform: 'sift_bundlev1',
      inputs: [
        { name: 'text', datatype: 'BYTES', shape: [-1] },
        { name: 'keyword', datatype: 'BYTES', shape: [-1] },
        { name: 'location', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    expect(modelMetadata({ ...model, output: 'scores' }).outputs[1].name).toBe('scores');
  });
});

describe('parseInferRequest', () => {
  it('turns BYTES columns into rows, flat or nested [N, 1]', () => {
    const request = parseInferRequest(
      {
        id: 'r1',
        inputs: [bytes('text', [['fire'], ['calm']], [2, 1]), bytes('keyword', ['wildfire', ''])],
        outputs: [{ name: 'label' }],
      },
      model,
      LIMITS,
    );
    expect(request).toEqual({
      id: 'r1',
      rows: [
        { text: 'fire', keyword: 'wildfire', location: '' },
        { text: 'calm', keyword: '', location: '' },
      ],
      outputs: ['label'],
    });
  });

  it('says which input is wrong and how', () => {
    const message = (body: unknown) => httpErrorOf(() => parseInferRequest(body, model, LIMITS)).message;
    expect(message({ inputs: [bytes('body', ['a'])] })).toBe(
      'inputs[0] is named "body"; this model\'s inputs are text, keyword, location',
    );
    expect(message({ inputs: [{ ...bytes('text', ['a']), datatype: 'FP32' }] })).toBe(
      'input "text" has datatype "FP32"; text inputs are "BYTES"',
    );
    expect(message({ inputs: [bytes('text', ['a', 'b'], [2, 2])] })).toBe(
      'input "text" has shape [2,2]; expected [N] or [N, 1] (one string per row)',
    );
    expect(message({ inputs: [bytes('text', ['a'], [-1])] })).toBe(
      'input "text" has shape [-1]; expected [N] or [N, 1] with whole numbers',
    );
    expect(message({ inputs: [bytes('text', ['a', 'b'], [3])] })).toBe(
      'input "text" has 2 elements in "data" but shape [3] says 3',
    );
    expect(message({ inputs: [bytes('text', ['a', 7])] })).toBe(
      'input "text" element 1 is a number; BYTES elements must be strings',
    );
    expect(message({ inputs: [bytes('text', ['a', 'b']), bytes('keyword', ['k'])] })).toBe(
      'input "keyword" has 1 rows but input "text" has 2',
    );
    expect(message({ inputs: [bytes('text', ['a']), bytes('text', ['b'])] })).toBe(
      'inputs has two tensors named "text"',
    );
    expect(message({ inputs: [bytes('keyword', ['a'])] })).toBe(
      'the required input "text" is missing from "inputs"',
    );
    expect(message({ inputs: [] })).toBe(
      '"inputs" must be a non-empty array of tensors, one per model input (text, keyword, location)',
    );
    expect(message({ id: 5, inputs: [bytes('text', ['a'])] })).toBe('"id" is a number; expected a string');
    expect(message({ inputs: [bytes('text', ['a'])], outputs: [{ name: 'scores' }] })).toBe(
      'outputs[0] asks for "scores"; this model\'s outputs are label, probabilities',
    );
    expect(message([])).toBe('the inference request is an array; expected an object with "inputs"');
    expect(message({ inputs: [bytes('text', [], [0])] })).toBe('there are no rows to predict');
  });

  it('applies the row limits', () => {
    const tooMany = httpErrorOf(() =>
      parseInferRequest({ inputs: [bytes('text', Array(6).fill('a'))] }, model, LIMITS),
    );
    expect(tooMany.status).toBe(413);
    const tooLong = httpErrorOf(() =>
      parseInferRequest({ inputs: [bytes('text', ['x'.repeat(51)])] }, model, LIMITS),
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.message).toBe(
      'invalid input: field "text" is 51 characters long; the limit is 50 (MAX_TEXT_CHARS)',
    );
    const empty = httpErrorOf(() =>
      parseInferRequest({ inputs: [bytes('text', ['ok', ' '])] }, model, LIMITS),
    );
    expect(empty.message).toBe('1 of 2 rows are invalid: row 1: field "text" is empty');
  });
});

describe('buildInferResponse', () => {
  const prediction = (classIndex: number, values: number[]): RowPrediction => ({
    classIndex,
    positives: [classIndex],
    values,
    coverage: { total: 0, known: 0, ratio: 0 },
  });

  it('answers label BYTES [N] and probabilities FP32 [N, C], row-major', () => {
    const response = buildInferResponse(model, 'r1', [
      prediction(1, [0.25, 0.75]),
      prediction(0, [0.875, 0.125]),
    ]);
    expect(response).toEqual({
      model_name: 'tweets',
      id: 'r1',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [2], data: ['1', '0'] },
        { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 0.875, 0.125] },
      ],
    });
    expect(
      buildInferResponse(model, 'r', [prediction(1, [0, 1])], ['probabilities']).outputs.map((o) => o.name),
    ).toEqual(['probabilities']);
  });

  it('joins the positive labels of multi-label models', () => {
    const multi = {
      task: 'multilabel',
      classes: [{ value: 'toxic' }, { value: 'insult' }, { value: 'threat' }],
    } as ModelCard;
    expect(labelText(multi, { ...prediction(0, [0.9, 0.8, 0.1]), positives: [0, 1] })).toBe('toxic,insult');
    expect(labelText(multi, { ...prediction(-1, [0.1, 0.1, 0.1]), positives: [] })).toBe('');
  });
});
