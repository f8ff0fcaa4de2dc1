/**
 * Predictions with feedback → the training CSV scripts/train.py reads: one column per model input
 * (card order) and the true label, as the class value the model was trained with (0/1 for
 * disaster-tweets' `target`, "negative"… for airline-sentiment's `sentiment`). Multi-label rows
 * join their values with `|`. Pure.
 */
import type { ModelCard } from '../model/schema';
import type { LabeledRow } from './types';

/** train.py's label column for the shipped tasks' data (disaster tweets); `?label_column=` changes it. */
export const DEFAULT_LABEL_COLUMN = 'target';

/** What can be a column name: no separator or line break a CSV reader could trip on. */
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function isColumnName(name: string): boolean {
  return COLUMN_NAME.test(name);
}

type Card = Pick<ModelCard, 'classes' | 'inputs'>;

export function exportHeader(card: Card, labelColumn: string): string[] {
  return [...card.inputs.map((i) => i.name), labelColumn];
}

/** The class values of the row's true labels (names → values), `|`-joined. */
export function labelCell(card: Card, names: readonly string[]): string {
  return names
    .map((name) => {
      const match = card.classes.find((c) => c.name === name);
      return match === undefined ? name : String(match.value);
    })
    .join('|');
}

/** One CSV record; undefined when the row's inputs were not logged (PREDICTION_LOG_INPUTS=off). */
export function exportRecord(card: Card, row: LabeledRow): string[] | undefined {
  if (row.inputs === null) return undefined;
  const inputs = row.inputs;
  return [...card.inputs.map((i) => inputs[i.name] ?? ''), labelCell(card, row.trueLabels)];
}

/** One JSON line: everything the log knows about a corrected row. */
export function exportJson(row: LabeledRow): Record<string, unknown> {
  return {
    prediction_id: row.id,
    time: new Date(row.time).toISOString(),
    model: row.model,
    model_version: row.version,
    inputs: row.inputs,
    predicted: row.predicted,
    labels: row.trueLabels,
  };
}
