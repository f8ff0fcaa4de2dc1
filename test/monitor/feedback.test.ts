import { HttpError } from '../../src/errors';
import { feedbackLabels, formFeedbackLabels, isPredictionId } from '../../src/monitor/feedback';
import { exportRecord, labelCell } from '../../src/monitor/export';

const binary = {
  task: 'binary' as const,
  classes: [
    { value: 0, name: 'Not a disaster' },
    { value: 1, name: 'Real disaster' },
  ],
};
const multilabel = {
  task: 'multilabel' as const,
  classes: [
    { value: 0, name: 'Toxic' },
    { value: 1, name: 'Obscene' },
    { value: 2, name: 'Insult' },
  ],
};

const refused = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    return (error as HttpError).message;
  }
  throw new Error('not refused');
};

describe('feedback labels', () => {
  it('takes a class name or value and answers the name', () => {
    expect(feedbackLabels(binary, { label: 'Real disaster' })).toEqual(['Real disaster']);
    expect(feedbackLabels(binary, { label: 0 })).toEqual(['Not a disaster']);
    expect(feedbackLabels(binary, { label: '1' })).toEqual(['Real disaster']);
    expect(feedbackLabels(binary, { labels: ['Real disaster'] })).toEqual(['Real disaster']);
  });

  it('refuses what is not one class of a single-label model, naming the classes', () => {
    expect(refused(() => feedbackLabels(binary, { label: 'maybe' }))).toContain('"Real disaster" (or 1)');
    expect(refused(() => feedbackLabels(binary, { labels: [] }))).toContain('exactly one');
    expect(refused(() => feedbackLabels(binary, { label: 'x', labels: [] }))).toContain('not both');
    expect(refused(() => feedbackLabels(binary, { label: { a: 1 } }))).toContain('must be a class name');
    expect(refused(() => feedbackLabels(binary, [1]))).toContain('JSON object');
    expect(refused(() => feedbackLabels(binary, undefined))).toContain('JSON object');
  });

  it('takes any set of labels for a multi-label model, in card order, each once', () => {
    expect(feedbackLabels(multilabel, { labels: ['Insult', 'Toxic', 'Insult'] })).toEqual([
      'Toxic',
      'Insult',
    ]);
    expect(feedbackLabels(multilabel, { labels: [] })).toEqual([]);
    expect(refused(() => feedbackLabels(multilabel, {}))).toContain('"labels"');
  });

  it('reads the result page forms', () => {
    expect(formFeedbackLabels(binary, { verdict: 'yes' }, ['Real disaster'])).toEqual(['Real disaster']);
    expect(formFeedbackLabels(binary, { verdict: 'no', label: 'Not a disaster' }, ['Real disaster'])).toEqual(
      ['Not a disaster'],
    );
    expect(refused(() => formFeedbackLabels(binary, { verdict: 'no' }, ['Real disaster']))).toContain('Pick');
    expect(formFeedbackLabels(multilabel, { verdict: 'no', label: ['Obscene', 'Toxic'] }, [])).toEqual([
      'Toxic',
      'Obscene',
    ]);
    expect(formFeedbackLabels(multilabel, { verdict: 'no' }, ['Toxic'])).toEqual([]);
  });

  it('knows a prediction id when it sees one', () => {
    expect(isPredictionId('0f646075-a1b8-485c-83e9-3135620333bf')).toBe(true);
    expect(isPredictionId('../etc/passwd')).toBe(false);
  });
});

describe('export records', () => {
  const card = {
    ...multilabel,
    inputs: [{ name: 'text', label: 'Text', required: true, multiline: true, example: '' }],
  };
  it('write class values, |-joined for several labels, and skip rows without inputs', () => {
    expect(labelCell(card, ['Toxic', 'Insult'])).toBe('0|2');
    const row = {
      id: 'x',
      time: 0,
      model: 'toxic-mini',
      version: null,
      predicted: [],
      trueLabels: ['Obscene'],
    };
    expect(exportRecord(card, { ...row, inputs: { text: 'hi' } })).toEqual(['hi', '1']);
    expect(exportRecord(card, { ...row, inputs: null })).toBeUndefined();
  });
});
