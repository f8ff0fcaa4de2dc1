/**
 * CSV bodies for SageMaker's `text/csv` (and MLflow's, which always has a header). Pure.
 *
 * A header row is optional. `Content-Type: text/csv; header=present|absent` (RFC 4180's parameter)
 * decides; without it the first row is taken as a header when it names every required input of the
 * model (for example `text` or `id,keyword,location,text,target`). With a header, columns map to
 * inputs by name and other columns are ignored; without one, columns are the model's inputs in order.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { badRequest } from '../errors';
import type { ModelInputs, RawRow } from './rows';
import { inputNames } from './rows';

export type CsvHeader = 'present' | 'absent';

export interface CsvRows {
  readonly rows: RawRow[];
  readonly hasHeader: boolean;
  /**
   * Each row's record number in the body, the header counting as 1: the row number a spreadsheet
   * shows (and the line number, unless quoted values hold newlines).
   */
  readonly lines: number[];
}

/** RFC 4180's `header` parameter; undefined when absent, a 400 when it is neither value. */
export function csvHeaderParam(params: Readonly<Record<string, string>>): CsvHeader | undefined {
  const value = params.header;
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === 'present' || lower === 'absent') return lower;
  throw badRequest(`the text/csv parameter header must be "present" or "absent", got "${value}"`);
}

export function parseCsvRows(text: string, inputs: ModelInputs, header?: CsvHeader): CsvRows {
  let records: string[][];
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // Listed explicitly: auto-detection takes the first line's ending and then fails on mixed ones.
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as string[][];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw badRequest(`the CSV body cannot be read: ${reason}`);
  }
  if (records.length === 0) throw badRequest('the CSV body has no rows');

  const first = records[0].map((cell) => cell.trim());
  const namesEveryRequired = inputs
    .filter((input) => input.required)
    .every((input) => first.includes(input.name));
  const hasHeader = header === undefined ? namesEveryRequired : header === 'present';

  if (!hasHeader) {
    const rows = records.map((record, index): RawRow => {
      if (record.length > inputs.length) {
        throw badRequest(
          `CSV line ${index + 1} has ${record.length} columns; without a header row the columns must be ${inputNames(inputs)} (in that order), or send a header naming them`,
        );
      }
      return record;
    });
    return { rows, hasHeader, lines: rows.map((_, index) => index + 1) };
  }

  const missing = inputs.filter((input) => input.required && !first.includes(input.name));
  if (missing.length > 0) {
    throw badRequest(
      `the CSV header has no ${missing.map((input) => `"${input.name}"`).join(', ')} column (found: ${first.join(', ')})`,
    );
  }
  const seen = new Set<string>();
  for (const name of first) {
    if (seen.has(name) && inputs.some((input) => input.name === name)) {
      throw badRequest(`the CSV header names the column "${name}" twice`);
    }
    seen.add(name);
  }
  const rows = records.slice(1).map((record, index): RawRow => {
    if (record.length !== first.length) {
      throw badRequest(`CSV line ${index + 2} has ${record.length} columns; the header has ${first.length}`);
    }
    // Header names are the client's: a record without a prototype takes any of them safely.
    const row = Object.create(null) as Record<string, string>;
    first.forEach((name, i) => {
      if (!Object.hasOwn(row, name)) row[name] = record[i];
    });
    return row;
  });
  return { rows, hasHeader, lines: rows.map((_, index) => index + 2) };
}

/** Rows of cells → CSV text (RFC 4180 quoting, `\n` line ends), with an optional header row. */
export function toCsv(
  records: readonly (readonly (string | number)[])[],
  header?: readonly string[],
): string {
  const all = header === undefined ? records : [header, ...records];
  return stringify(all as (string | number)[][], { record_delimiter: 'unix' });
}
