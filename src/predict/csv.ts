/**
 * CSV ↔ rows. Pure. Reading: RFC 4180 with a header line; columns map to model inputs by header
 * name (exact, then case-insensitive); other columns are kept and echoed in the output. Writing:
 * the original columns, then the prediction columns; CRLF line ends and quoting per RFC 4180; any
 * cell a spreadsheet would run as a formula is neutralised.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { HttpError, badRequest, payloadTooLarge } from '../errors';
import type { InputRow } from '../model/types';
import { formatPrediction } from './format';
import { type InputLimits, type ModelInputs, type RowIssue, invalidRows, validateRow } from './input';
import type { PredictionResult } from './predict';

export interface CsvLimits extends InputLimits {
  /** Most data rows (MAX_CSV_ROWS). */
  readonly maxCsvRows: number;
}

/** Columns beyond this are refused: a wide file is more likely an attack or a wrong file than data. */
export const MAX_CSV_COLUMNS = 512;

export interface CsvTable {
  /** Header names as found (trimmed). */
  readonly columns: readonly string[];
  /** Data records, each as long as `columns`. */
  readonly records: readonly (readonly string[])[];
  /** One validated row per record. */
  readonly rows: readonly InputRow[];
}

/** Which column feeds each model input: exact header match first, then case-insensitive. */
export function mapColumns(columns: readonly string[], inputs: ModelInputs): Map<string, number> {
  const mapping = new Map<string, number>();
  for (const input of inputs) {
    let index = columns.indexOf(input.name);
    if (index < 0) {
      const lower = input.name.toLowerCase();
      const matches = columns.flatMap((column, i) => (column.toLowerCase() === lower ? [i] : []));
      if (matches.length > 1) {
        throw badRequest(
          `the CSV has ${matches.length} columns named "${input.name}" (ignoring case); keep one`,
        );
      }
      index = matches.length === 1 ? matches[0] : -1;
    } else if (columns.indexOf(input.name, index + 1) >= 0) {
      throw badRequest(`the CSV has more than one column named "${input.name}"; keep one`);
    }
    if (index >= 0) mapping.set(input.name, index);
  }
  const missing = inputs.filter((input) => input.required && !mapping.has(input.name));
  if (missing.length > 0) {
    throw new HttpError(
      400,
      'missing_columns',
      `the CSV has no ${missing.map((input) => `"${input.name}"`).join(', ')} column; columns found: ${
        columns.length > 0 ? columns.map((c) => `"${c.slice(0, 50)}"`).join(', ') : 'none'
      }`,
      {
        details: {
          missing: missing.map((input) => input.name),
          found: columns,
          inputs: inputs.map((i) => i.name),
        },
      },
    );
  }
  return mapping;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

export function parseCsv(text: string, inputs: ModelInputs, limits: CsvLimits): CsvTable {
  let parsed: ParsedRecord[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      // Listed explicitly: auto-detection takes the first line's ending and then fails on mixed ones.
      record_delimiter: ['\r\n', '\n', '\r'],
      // Header plus one row too many: enough to know the limit is exceeded without reading a huge file.
      to: limits.maxCsvRows + 2,
    }) as unknown as ParsedRecord[];
  } catch (error) {
    throw csvSyntaxError(error);
  }
  if (parsed.length === 0) throw badRequest('the CSV file is empty; it needs a header line and data rows');
  const columns = parsed[0].record.map((name) => name.trim());
  if (columns.length > MAX_CSV_COLUMNS) {
    throw payloadTooLarge(`the CSV has ${columns.length} columns; at most ${MAX_CSV_COLUMNS} are accepted`);
  }
  const data = parsed.slice(1);
  if (data.length === 0) throw badRequest('the CSV has a header but no data rows');
  if (data.length > limits.maxCsvRows) {
    throw payloadTooLarge(`the CSV has more than ${limits.maxCsvRows} data rows (MAX_CSV_ROWS)`);
  }

  const mapping = mapColumns(columns, inputs);
  const issues: RowIssue[] = [];
  const rows: InputRow[] = [];
  data.forEach(({ record, info }, index) => {
    const item: Record<string, string> = {};
    for (const [name, column] of mapping) item[name] = record[column];
    const before = issues.length;
    const row = validateRow(item, index, inputs, limits, 'ignore', issues);
    // A record can span lines (quoted newlines); csv-parse reports where it ends.
    const startLine = info.lines - record.reduce((n, cell) => n + countNewlines(cell), 0);
    for (let i = before; i < issues.length; i++) issues[i].line = startLine;
    if (row !== undefined) rows.push(row);
  });
  if (issues.length > 0) throw invalidRows(issues, data.length);
  return { columns, records: data.map((d) => d.record), rows };
}

function countNewlines(cell: string): number {
  let n = 0;
  for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) n++;
  return n;
}

const CSV_MESSAGES: Readonly<Record<string, string>> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'has a different number of fields than the header',
  CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH: 'has a different number of fields than the header',
  CSV_QUOTE_NOT_CLOSED: 'opens a quote that is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'has characters after a closing quote',
  CSV_INVALID_OPENING_QUOTE: 'has a quote inside an unquoted field',
  CSV_MAX_RECORD_SIZE: 'is too long',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'has characters after a closing quote',
};

/** csv-parse messages quote the offending cell; ours name only the line and the problem. */
export function csvSyntaxError(error: unknown): HttpError {
  if (error instanceof CsvError) {
    const { lines } = error as CsvError & { lines?: number };
    const problem = CSV_MESSAGES[error.code] ?? 'is not valid CSV';
    return new HttpError(
      400,
      'invalid_csv',
      `the CSV is malformed: line ${lines ?? '?'} ${problem} (RFC 4180)`,
      {
        details: { line: lines, reason: error.code },
      },
    );
  }
  return new HttpError(400, 'invalid_csv', 'the CSV is malformed');
}

// Cells a spreadsheet may evaluate: formulas (= + - @), DDE via leading tab/CR/LF, NUL, and the
// full-width forms some spreadsheet locales also accept.
const FORMULA_START = /^[=+\-@\t\r\n\0\uff1d\uff0b\uff0d\uff20]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Prefix a quote so spreadsheets show the cell as text; plain numbers (-0.5, +3) are left alone. */
export function neutraliseCell(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  while (taken.has(candidate)) candidate = `${candidate}_predicted`;
  taken.add(candidate);
  return candidate;
}

/**
 * The download: original columns, then `predicted_label`, `predicted_label_name` (multi-label:
 * `predicted_labels`, `predicted_label_names`, joined with "|"), one `probability_<class>` (or
 * `score_<class>`) column per class, `coverage_ratio` and `low_signal`.
 */
export function predictionsToCsv(
  table: Pick<CsvTable, 'columns' | 'records'>,
  result: PredictionResult,
): string {
  const { model } = result;
  const taken = new Set(table.columns);
  const multilabel = model.card.task === 'multilabel';
  const valueKind = model.output === 'scores' ? 'score' : 'probability';
  const added = [
    uniqueName(multilabel ? 'predicted_labels' : 'predicted_label', taken),
    uniqueName(multilabel ? 'predicted_label_names' : 'predicted_label_name', taken),
    ...model.card.classes.map((c) => uniqueName(`${valueKind}_${String(c.value)}`, taken)),
    uniqueName('coverage_ratio', taken),
    uniqueName('low_signal', taken),
  ];
  const lines: string[][] = [[...table.columns, ...added].map(neutraliseCell)];
  result.predictions.forEach((prediction, i) => {
    const json = formatPrediction(model, prediction);
    const labels = multilabel
      ? [(json.labels ?? []).map(String).join('|'), (json.label_names ?? []).join('|')]
      : [json.label === null || json.label === undefined ? '' : String(json.label), json.label_name ?? ''];
    lines.push([
      ...table.records[i].map(neutraliseCell),
      ...labels.map(neutraliseCell),
      ...prediction.values.map((v) => String(v)),
      String(prediction.coverage.ratio),
      String(json.low_signal),
    ]);
  });
  return stringify(lines, { record_delimiter: 'windows', eof: true });
}
