/**
 * MLflow's scoring-server JSON payloads (MLflow ≥ 2.0), parsed into rows. Pure.
 *
 * A payload is an object with exactly one of these keys (plus an optional, ignored `params`):
 * - `dataframe_split`: pandas' split orient, `{"columns": [...], "data": [[...], ...]}` (`index` is
 *   ignored; without `columns` the values are in the model's input order);
 * - `dataframe_records`: pandas' records orient, `[{"text": ...}, ...]`;
 * - `instances` / `inputs`: TF-Serving style, either rows (`[{"text": ...}]`, `["text", ...]`,
 *   `[["text", "keyword"]]`) or columns (`{"text": [...], "keyword": [...]}`).
 */
import { badRequest } from '../errors';
import { describeJsonType as describeJson, isPlainObject } from '../predict/input';
import type { ModelInputs, RawRow } from './rows';

export const MLFLOW_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
export type MlflowFormat = (typeof MLFLOW_FORMATS)[number];

export interface MlflowPayload {
  readonly format: MlflowFormat;
  readonly rows: RawRow[];
}

/**
 * Which MLflow format an object uses: undefined when it has none of the keys, a 400 when it has
 * several (MLflow's rule: exactly one).
 */
export function mlflowFormatOf(body: Readonly<Record<string, unknown>>): MlflowFormat | undefined {
  const present = MLFLOW_FORMATS.filter((key) => Object.hasOwn(body, key));
  if (present.length > 1) {
    throw badRequest(
      `the payload must have exactly one of ${MLFLOW_FORMATS.join(', ')}; it has ${present.join(' and ')}`,
    );
  }
  return present[0];
}

/**
 * Whether a parsed JSON body is one of MLflow's payloads rather than Sift's own shapes. `instances`
 * is both: a list of rows reads as Sift's batch, columns or a `params` key as MLflow's.
 */
export function isMlflowPayload(body: unknown): body is Record<string, unknown> {
  if (!isPlainObject(body)) return false;
  const format = mlflowFormatOf(body);
  if (format === undefined) return false;
  if (format !== 'instances') return true;
  return !Array.isArray(body.instances) || Object.hasOwn(body, 'params');
}

export function parseMlflowPayload(body: unknown, inputs: ModelInputs): MlflowPayload {
  if (!isPlainObject(body)) {
    throw badRequest(
      `the payload is ${describeJson(body)}; expected an object with one of ${MLFLOW_FORMATS.join(', ')}`,
    );
  }
  const format = mlflowFormatOf(body);
  if (format === undefined) {
    const keys = Object.keys(body);
    throw badRequest(
      `the payload must have one of ${MLFLOW_FORMATS.join(', ')}; it has ${keys.length > 0 ? keys.join(', ') : 'no keys'}`,
    );
  }
  const value = body[format];
  switch (format) {
    case 'dataframe_split':
      return { format, rows: parseDataframeSplit(value, inputs) };
    case 'dataframe_records':
      return { format, rows: parseDataframeRecords(value) };
    case 'instances':
    case 'inputs':
      return { format, rows: parseTensorInput(value, format) };
  }
}

function parseDataframeSplit(value: unknown, inputs: ModelInputs): RawRow[] {
  if (!isPlainObject(value)) {
    throw badRequest(
      `dataframe_split is ${describeJson(value)}; expected {"columns": [...], "data": [[...]]}`,
    );
  }
  const { columns, data } = value;
  if (!Array.isArray(data)) {
    throw badRequest(`dataframe_split.data is ${describeJson(data)}; expected an array of rows`);
  }
  const locate = (index: number): string => `dataframe_split.data[${index}]`;
  if (columns === undefined || columns === null) {
    // Without column names, pandas numbers the columns: they are the model's inputs in order.
    data.forEach((row: unknown, index) => {
      if (!Array.isArray(row) && typeof row !== 'string') {
        throw badRequest(`${locate(index)} is ${describeJson(row)}; expected an array of values`);
      }
    });
    return data as RawRow[];
  }
  if (!Array.isArray(columns) || columns.some((name) => typeof name !== 'string')) {
    throw badRequest('dataframe_split.columns must be an array of column names (strings)');
  }
  const names = columns as string[];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw badRequest(`dataframe_split.columns names "${name}" twice`);
    seen.add(name);
  }
  const missing = inputs.filter((input) => input.required && !seen.has(input.name));
  if (missing.length > 0) {
    throw badRequest(
      `dataframe_split.columns has no ${missing.map((input) => `"${input.name}"`).join(', ')} column (found: ${names.join(', ') || 'none'})`,
    );
  }
  const rows = data.map((row: unknown, index): RawRow => {
    // pandas accepts a flat list for a single column.
    const cells = Array.isArray(row) ? row : names.length === 1 ? [row] : undefined;
    if (cells === undefined) {
      throw badRequest(
        `${locate(index)} is ${describeJson(row)}; expected an array of ${names.length} values`,
      );
    }
    if (cells.length !== names.length) {
      throw badRequest(
        `${locate(index)} has ${cells.length} values for ${names.length} columns (${names.join(', ')})`,
      );
    }
    const record = emptyRecord();
    names.forEach((name, i) => {
      record[name] = cells[i];
    });
    return record;
  });
  return rows;
}

function parseDataframeRecords(value: unknown): RawRow[] {
  if (!Array.isArray(value)) {
    throw badRequest(`dataframe_records is ${describeJson(value)}; expected an array of objects`);
  }
  const locate = (index: number): string => `dataframe_records[${index}]`;
  value.forEach((row: unknown, index) => {
    if (!isPlainObject(row)) throw badRequest(`${locate(index)} is ${describeJson(row)}; expected an object`);
  });
  return value as RawRow[];
}

/** TF-Serving's row format (a list) or columnar format (an object of equal-length lists). */
function parseTensorInput(value: unknown, key: 'instances' | 'inputs'): RawRow[] {
  if (Array.isArray(value)) {
    const locate = (index: number): string => `${key}[${index}]`;
    value.forEach((row: unknown, index) => {
      if (typeof row !== 'string' && !Array.isArray(row) && !isPlainObject(row)) {
        throw badRequest(
          `${locate(index)} is ${describeJson(row)}; expected an object of fields, a string or an array`,
        );
      }
    });
    return value as RawRow[];
  }
  if (isPlainObject(value)) {
    const columns = Object.entries(value);
    if (columns.length === 0) throw badRequest(`${key} is an empty object; expected columns of values`);
    const arrays = columns.filter(([, column]) => Array.isArray(column));
    let count: number;
    if (arrays.length === 0) {
      count = 1; // every column a scalar: one row
    } else if (arrays.length !== columns.length) {
      const scalar = columns.find(([, column]) => !Array.isArray(column));
      throw badRequest(
        `${key}.${scalar?.[0]} is ${describeJson(scalar?.[1])}; every column must be an array of values`,
      );
    } else {
      count = (arrays[0][1] as unknown[]).length;
      for (const [name, column] of arrays) {
        const length = (column as unknown[]).length;
        if (length !== count) {
          throw badRequest(
            `${key}.${name} has ${length} values but ${key}.${arrays[0][0]} has ${count}; columns must be the same length`,
          );
        }
      }
    }
    const rows: RawRow[] = [];
    for (let index = 0; index < count; index += 1) {
      const record = emptyRecord();
      for (const [name, column] of columns) record[name] = Array.isArray(column) ? column[index] : column;
      rows.push(record);
    }
    return rows;
  }
  throw badRequest(`${key} is ${describeJson(value)}; expected an array of rows or an object of columns`);
}

/** Records keyed by names the client chose ("__proto__" included) must not have a prototype. */
function emptyRecord(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}
