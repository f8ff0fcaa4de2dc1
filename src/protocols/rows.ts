/**
 * Rows as the serving protocols receive them → the validated `InputRow`s a model takes. The rules
 * for a row (strings only, required fields non-empty, MAX_TEXT_CHARS, MAX_BATCH) are the JSON
 * API's (predict/input.ts); this adds what the protocols' formats bring: values by position
 * (CSV without a header, 2-D tensors, `dataframe_split` without columns), pandas' null for a
 * missing value, and line numbers for CSV and JSON Lines bodies. Pure.
 */
import type { InputRow } from '../model/types';
import type { InputLimits, ModelInputs, RowIssue } from '../predict/input';
import { checkBatchSize, invalidRows, isPlainObject, validateRow } from '../predict/input';

export type { InputLimits, ModelInputs };

/**
 * One row before validation: a record by field name, bare text for the model's primary input, or
 * values in the model's input order.
 */
export type RawRow = string | readonly unknown[] | Readonly<Record<string, unknown>>;

export interface RowOptions {
  /**
   * `reject` (JSON objects a client writes by hand: a misspelt field is an error) or `ignore`
   * (data frames and files, which carry ids, targets and other columns).
   */
  readonly unknownFields: 'reject' | 'ignore';
  /** Data frames write a missing value as null: treat it as an absent field. */
  readonly nullIsMissing?: boolean;
  /** The body line where each row starts (CSV, JSON Lines), for error messages. */
  readonly lines?: readonly number[];
}

export function validateRawRows(
  rows: readonly RawRow[],
  inputs: ModelInputs,
  limits: InputLimits,
  options: RowOptions,
): InputRow[] {
  checkBatchSize(rows.length, limits);
  const issues: RowIssue[] = [];
  const valid: InputRow[] = [];
  rows.forEach((raw, index) => {
    const before = issues.length;
    let item: unknown = raw;
    if (Array.isArray(raw)) {
      if (raw.length > inputs.length) {
        issues.push({
          index,
          field: '',
          message: `has ${raw.length} values; the model takes at most ${inputs.length} (${inputNames(inputs)}, in that order)`,
        });
      } else {
        item = positional(raw, inputs);
      }
    } else if (options.nullIsMissing === true && isPlainObject(raw)) {
      item = withoutNulls(raw);
    }
    const row =
      issues.length === before
        ? validateRow(item, index, inputs, limits, options.unknownFields, issues)
        : undefined;
    if (options.lines !== undefined) {
      for (let i = before; i < issues.length; i += 1) issues[i].line = options.lines[index];
    }
    if (row !== undefined) valid.push(row);
  });
  if (issues.length > 0) throw invalidRows(issues, rows.length);
  return valid;
}

/** Values in input order → a record; null and absent trailing values leave the field out. */
function positional(values: readonly unknown[], inputs: ModelInputs): Record<string, unknown> {
  const record = Object.create(null) as Record<string, unknown>;
  values.forEach((value, i) => {
    if (value !== null && value !== undefined) record[inputs[i].name] = value;
  });
  return record;
}

function withoutNulls(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (record[key] !== null) copy[key] = record[key];
  }
  return copy;
}

export function inputNames(inputs: ModelInputs): string {
  return inputs.map((input) => input.name).join(', ');
}
