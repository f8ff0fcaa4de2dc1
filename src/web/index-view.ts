/**
 * The index page's data: the model picker, the form generated from the model's input fields
 * (prefilled from an example or from the query string), the examples and the model card. Pure.
 */
import { describeUploadLimits } from '../csv/limits';
import { DELIMITERS, DELIMITER_NAMES, type Delimiter } from '../csv/read';
import type { LoadedModel } from '../model/types';
import { sklearnVersionWarning } from '../model/versions';
import { ROW_NUMBER_COLUMN, predictionColumns } from '../predict/csv';
import { type CardView, buildCardView, isClassMetric } from './card-view';
import { truncate } from './markup';
import type { ClassMetric } from './svg';

/** What the form page shows besides the model: from GET /index's query or a posted form. */
export interface IndexQuery {
  model?: string;
  example?: string;
  metric?: string;
  /** Values as typed, by input field name (POST /index, or a form that did not validate). */
  values: Readonly<Record<string, string>>;
  /** Messages in the form's words, by input field name, shown beside the fields. */
  errors?: Readonly<Record<string, string>>;
}

export interface ModelChoice {
  name: string;
  title: string;
  selected: boolean;
  ready: boolean;
}

export interface FieldView {
  name: string;
  /** Element id, prefixed so a field called e.g. "model" cannot clash with page ids. */
  id: string;
  label: string;
  required: boolean;
  multiline: boolean;
  value: string;
  placeholder: string;
  maxLength: number;
  /** Why the last submission was refused, in the form's words. */
  error?: string;
  errorId: string;
}

export interface ExampleView {
  index: number;
  title: string;
  selected: boolean;
  /** JSON of the example's inputs, for the progressive-enhancement script (data attribute). */
  inputsJson: string;
}

export interface IndexView {
  models: ModelChoice[];
  model: {
    name: string;
    title: string;
    ready: boolean;
    reason?: string;
    output: 'probabilities' | 'scores';
    /** Exported with a scikit-learn version Sift is not verified against. */
    versionWarning?: string;
  };
  card: CardView;
  fields: FieldView[];
  examples: ExampleView[];
  metric: ClassMetric;
  /** The CSV upload: which columns it reads and which it adds, its limits and options. */
  csv: {
    requiredColumns: string[];
    optionalColumns: string[];
    addedColumns: string[];
    joinColumn: string;
    maxRows: number;
    /** The limits in words, said before upload (and by every refusal). */
    limits: string;
    delimiters: { value: string; label: string }[];
  };
  maxUploadBytes: number;
  /** The fields' errors in form order, for the summary above the form. */
  errors: { id: string; message: string }[];
}

const DELIMITER_LABELS: Readonly<Record<Delimiter, string>> = {
  ',': 'Comma (,)',
  ';': 'Semicolon (;)',
  '\t': 'Tab',
  '|': 'Pipe (|)',
};

export interface IndexLimits {
  maxTextChars: number;
  maxCsvRows: number;
  maxUploadBytes: number;
}

function exampleIndex(raw: string | undefined, count: number): number | undefined {
  if (raw === undefined || !/^\d{1,4}$/.test(raw)) return undefined;
  const index = Number(raw);
  return index < count ? index : undefined;
}

export function buildIndexView(
  models: readonly LoadedModel[],
  model: LoadedModel,
  query: IndexQuery,
  limits: IndexLimits,
): IndexView {
  const { card } = model;
  const metric: ClassMetric = isClassMetric(query.metric) ? query.metric : 'f1';
  const chosenExample = exampleIndex(query.example, card.examples.length);
  const prefill = chosenExample === undefined ? query.values : card.examples[chosenExample].inputs;
  const status = model.status();

  const fields: FieldView[] = card.inputs.map((input) => {
    const raw = prefill[input.name];
    return {
      name: input.name,
      id: `field-${input.name}`,
      label: input.label,
      required: input.required,
      multiline: input.multiline,
      value: typeof raw === 'string' ? Array.from(raw).slice(0, limits.maxTextChars).join('') : '',
      placeholder: input.example === '' ? '' : `e.g. ${truncate(input.example.replace(/\s+/g, ' '), 80)}`,
      maxLength: limits.maxTextChars,
      error: query.errors?.[input.name],
      errorId: `field-${input.name}-error`,
    };
  });

  const addedColumns = predictionColumns(model);
  return {
    models: models.map((m) => ({
      name: m.name,
      title: m.card.title,
      selected: m.name === model.name,
      ready: m.status().ready,
    })),
    model: {
      name: model.name,
      title: card.title,
      ready: status.ready,
      reason: status.reason,
      output: model.output,
      versionWarning: sklearnVersionWarning(card),
    },
    card: buildCardView(card, model.output, metric),
    fields,
    examples: card.examples.map((example, index) => ({
      index,
      title: example.title,
      selected: index === chosenExample,
      inputsJson: JSON.stringify(example.inputs),
    })),
    metric,
    csv: {
      requiredColumns: card.inputs.filter((i) => i.required).map((i) => i.name),
      optionalColumns: card.inputs.filter((i) => !i.required).map((i) => i.name),
      addedColumns,
      joinColumn: ROW_NUMBER_COLUMN,
      maxRows: limits.maxCsvRows,
      limits: describeUploadLimits(limits),
      delimiters: [
        { value: 'auto', label: 'Detect (comma, semicolon, tab or pipe)' },
        ...DELIMITERS.map((d) => ({ value: DELIMITER_NAMES[d], label: DELIMITER_LABELS[d] })),
      ],
    },
    maxUploadBytes: limits.maxUploadBytes,
    errors: fields.flatMap((f) => (f.error === undefined ? [] : [{ id: f.id, message: f.error }])),
  };
}
