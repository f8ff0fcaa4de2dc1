/**
 * CSV uploads ↔ rows. Pure. Reading: bytes decoded and records read as src/csv/ does (pandas'
 * defaults, delimiter sniffed or given); a header line; columns map to model inputs by header name
 * (exact, then case-insensitive, ignoring surrounding spaces); every column is echoed back.
 * Writing: the input's cells as they came (formula-like cells neutralised unless the guard is off),
 * then the prediction columns, in the input's delimiter; a `row_number` column when the file has no
 * unique `id` column to join the output back to the input.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { HttpError, badRequest, payloadTooLarge } from '../errors';
import { type DecodedCsv, decodeCsv } from '../csv/decode';
import { type UploadLimits, describeUploadLimits } from '../csv/limits';
import {
  type CsvRecord,
  DELIMITERS,
  DELIMITER_NAMES,
  type Delimiter,
  parseDelimiter,
  readCsvAsync,
} from '../csv/read';
import { FormulaGuard, neutraliseCell, writeCsvInChunks } from '../csv/write';
import type { InputRow, LoadedModel, RowPrediction } from '../model/types';
import { formatPrediction } from './format';
import { type InputLimits, type ModelInputs, type RowIssue, invalidRows, validateRow } from './input';
import type { PredictionResult } from './predict';

export interface CsvLimits extends InputLimits {
  /** Most data rows (MAX_CSV_ROWS). */
  readonly maxCsvRows: number;
}

/** Columns beyond this are refused: a wide file is more likely an attack or a wrong file than data. */
export const MAX_CSV_COLUMNS = 512;

/** How the file was read, told back to the client (headers, the upload page). */
export interface CsvFormat {
  readonly encoding: string;
  readonly bom: boolean;
  readonly delimiter: Delimiter;
  readonly notice?: string;
}

export interface CsvTable {
  /** Header cells exactly as found. */
  readonly header: readonly string[];
  /** Header names trimmed, for matching inputs. */
  readonly columns: readonly string[];
  /** Data records, each as long as `columns` (short ones padded with empty cells). */
  readonly records: readonly (readonly string[])[];
  /** One validated row per record. */
  readonly rows: readonly InputRow[];
  readonly format: CsvFormat;
}

/** Client options for CSV input and output (query string, form fields, SageMaker attributes). */
export interface CsvOptions {
  readonly delimiter?: Delimiter;
  /** Neutralise formula-like cells (default) or return them verbatim. */
  readonly formulaGuard: boolean;
}

/** `delimiter` and `formula_guard` from the given sources; later sources win. */
export function readCsvOptions(...sources: readonly Readonly<Record<string, unknown>>[]): CsvOptions {
  let delimiter: Delimiter | undefined;
  let formulaGuard = true;
  for (const source of sources) {
    const rawDelimiter = single(source, 'delimiter');
    if (rawDelimiter !== undefined && rawDelimiter !== '') delimiter = parseDelimiter(rawDelimiter);
    const guard = single(source, 'formula_guard');
    if (guard !== undefined && guard !== '') {
      const value = guard.toLowerCase();
      if (['true', '1', 'on', 'yes'].includes(value)) formulaGuard = true;
      else if (['false', '0', 'off', 'no'].includes(value)) formulaGuard = false;
      else throw badRequest('"formula_guard" must be on or off');
    }
  }
  return { delimiter, formulaGuard };
}

function single(source: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = Object.hasOwn(source, name) ? source[name] : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`"${name}" is given more than once`);
  return value;
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

/** The first line names every required input (or the first input when none is required). */
export function namesRequiredInputs(cells: readonly string[], inputs: ModelInputs): boolean {
  const lower = new Set(cells.map((cell) => cell.trim().toLowerCase()));
  const required = inputs.filter((input) => input.required);
  return (required.length > 0 ? required : inputs.slice(0, 1)).every((input) =>
    lower.has(input.name.toLowerCase()),
  );
}

export interface ReadCsvInput {
  readonly delimiter?: Delimiter;
  /** The Content-Type's charset, if declared. */
  readonly charset?: string;
}

/** Bytes (or already decoded text) → a text in one known encoding, with its notice. */
export function decodeInput(input: Uint8Array | string, charset?: string): DecodedCsv {
  return typeof input === 'string'
    ? { text: input, encoding: 'utf-8', bom: false }
    : decodeCsv(input, charset);
}

/** Records validated per turn of the event loop. */
const VALIDATE_CHUNK_ROWS = 1000;

/**
 * Reading and validating yield to the event loop every few milliseconds of work (readCsvAsync,
 * VALIDATE_CHUNK_ROWS), so a 10,000-row upload does not hold /health and other requests.
 */
export async function parseCsv(
  input: Uint8Array | string,
  inputs: ModelInputs,
  limits: CsvLimits,
  options: ReadCsvInput = {},
): Promise<CsvTable> {
  const decoded = decodeInput(input, options.charset);
  const { records, delimiter } = await readCsvAsync(decoded.text, {
    delimiter: options.delimiter,
    isHeader: (cells) => namesRequiredInputs(cells, inputs),
    // Header plus one row too many: enough to know the limit is exceeded without reading a huge file.
    maxRecords: limits.maxCsvRows + 2,
  });
  if (records.length === 0) throw badRequest('the CSV file is empty; it needs a header line and data rows');
  const header = records[0].cells;
  const columns = header.map((name) => name.trim());
  if (columns.length > MAX_CSV_COLUMNS) {
    throw payloadTooLarge(`the CSV has ${columns.length} columns; at most ${MAX_CSV_COLUMNS} are accepted`);
  }
  const data = records.slice(1);
  if (data.length === 0) throw badRequest('the CSV has a header but no data rows');
  if (data.length > limits.maxCsvRows) {
    throw payloadTooLarge(
      `the CSV has more than ${limits.maxCsvRows.toLocaleString('en-US')} data rows (MAX_CSV_ROWS; line ${data[limits.maxCsvRows].line} is row ${limits.maxCsvRows + 1}); split it into smaller files`,
    );
  }

  const mapping = withDelimiterHint(() => mapColumns(columns, inputs), header, delimiter);
  const issues: RowIssue[] = [];
  const rows: InputRow[] = [];
  checkRecordWidths(data, columns.length, delimiter);
  const padded: string[][] = [];
  for (let index = 0; index < data.length; index++) {
    if (index > 0 && index % VALIDATE_CHUNK_ROWS === 0) await nextTurn();
    const { cells, line } = data[index];
    const record =
      cells.length < columns.length
        ? [...cells, ...Array<string>(columns.length - cells.length).fill('')]
        : cells;
    const item: Record<string, string> = {};
    for (const [name, column] of mapping) item[name] = record[column];
    const before = issues.length;
    const row = validateRow(item, index, inputs, limits, 'ignore', issues);
    for (let i = before; i < issues.length; i++) issues[i].line = line;
    if (row !== undefined) rows.push(row);
    padded.push(record);
  }
  if (issues.length > 0) throw invalidRows(issues, data.length);
  return {
    header,
    columns,
    records: padded,
    rows,
    format: { encoding: decoded.encoding, bom: decoded.bom, delimiter, notice: decoded.notice },
  };
}

/** Records longer than the header, all named (pandas stops at the first: "Expected 3 fields in line 5, saw 4"). */
function checkRecordWidths(data: readonly CsvRecord[], width: number, delimiter: Delimiter): void {
  const long = data.filter((record) => record.cells.length > width);
  if (long.length === 0) return;
  const shown = long.slice(0, 5).map((r) => `line ${r.line} has ${r.cells.length}`);
  throw new HttpError(
    400,
    'invalid_csv',
    `the CSV is malformed: the header has ${width} cells but ${shown.join(', ')}${long.length > 5 ? ` (and ${long.length - 5} more lines)` : ''}; a cell that contains the delimiter (${DELIMITER_NAMES[delimiter]}) must be in double quotes`,
    {
      details: {
        reason: 'too_many_cells',
        delimiter: DELIMITER_NAMES[delimiter],
        lines: long.slice(0, 100).map((r) => r.line),
      },
    },
  );
}

/** A header read as one column that holds another delimiter was read with the wrong one. */
function withDelimiterHint<T>(run: () => T, header: readonly string[], delimiter: Delimiter): T {
  try {
    return run();
  } catch (error) {
    const other = DELIMITERS.find((d) => d !== delimiter && header.length === 1 && header[0].includes(d));
    if (!(error instanceof HttpError) || error.code !== 'missing_columns' || other === undefined) throw error;
    throw new HttpError(
      error.status,
      error.code,
      `${error.message} (the header was read with the delimiter ${DELIMITER_NAMES[delimiter]} but holds a ${DELIMITER_NAMES[other]}; set delimiter=${DELIMITER_NAMES[other]})`,
      { details: error.details },
    );
  }
}

/**
 * The columns added to predictions: `predicted_label`, `predicted_label_name` (multi-label:
 * `predicted_labels`, `predicted_label_names`, joined with "|"), one `probability_<class>` (or
 * `score_<class>`) per class, `coverage_ratio`, `low_signal`, and `model_version` (the bundle's
 * content hash) when the model has one.
 */
export function predictionColumns(
  model: Pick<LoadedModel, 'card' | 'output' | 'version'>,
  logged = false,
): string[] {
  const multilabel = model.card.task === 'multilabel';
  const kind = model.output === 'scores' ? 'score' : 'probability';
  return [
    multilabel ? 'predicted_labels' : 'predicted_label',
    multilabel ? 'predicted_label_names' : 'predicted_label_name',
    ...model.card.classes.map((c) => `${kind}_${String(c.value)}`),
    'coverage_ratio',
    'low_signal',
    ...(model.version ? ['model_version'] : []),
    // PREDICTION_LOG on: each row's id in the log, for POST /predictions/{id}/feedback.
    ...(logged ? ['prediction_id'] : []),
  ];
}

/** Predictions carry their log ids (PREDICTION_LOG on): the CSV answers gain a prediction_id column. */
export function carriesLogIds(predictions: readonly RowPrediction[]): boolean {
  return predictions[0]?.predictionId !== undefined;
}

/** One prediction's cells, in predictionColumns' order; class names from the card are always neutralised. */
export function predictionCells(
  model: LoadedModel,
  prediction: RowPrediction,
  guard: FormulaGuard,
): string[] {
  const json = formatPrediction(model, prediction);
  const labels =
    model.card.task === 'multilabel'
      ? [(json.labels ?? []).map(String).join('|'), (json.label_names ?? []).join('|')]
      : [json.label === null || json.label === undefined ? '' : String(json.label), json.label_name ?? ''];
  return [
    ...labels.map((cell) => guard.always(cell)),
    ...prediction.values.map((value) => String(value)),
    String(prediction.coverage.ratio),
    String(json.low_signal),
    ...(model.version ? [model.version] : []),
    ...(prediction.predictionId !== undefined ? [prediction.predictionId] : []),
  ];
}

/** The column name a user joins the output back to the input on. */
export const ROW_NUMBER_COLUMN = 'row_number';

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  while (taken.has(candidate)) candidate = `${candidate}_predicted`;
  taken.add(candidate);
  return candidate;
}

/**
 * The `id` column when its values are unique, non-empty and left as they are; otherwise the output
 * needs a row number to join on.
 */
function idColumn(table: Pick<CsvTable, 'columns' | 'records'>, guard: FormulaGuard): number | undefined {
  const candidates = table.columns.flatMap((name, i) => (name.toLowerCase() === 'id' ? [i] : []));
  if (candidates.length !== 1) return undefined;
  const column = candidates[0];
  const seen = new Set<string>();
  for (const record of table.records) {
    const value = record[column];
    if (value === '' || seen.has(value) || (guard.on && neutraliseCell(value) !== value)) return undefined;
    seen.add(value);
  }
  return column;
}

export interface CsvDownload {
  readonly text: string;
  /** Cells the formula guard changed. */
  readonly neutralised: number;
  /** The column that joins each output row to its input row. */
  readonly joinColumn: string;
}

/** Written in chunks with turns of the event loop between (writeCsvInChunks): 10,000 rows are ~50 ms of work. */
export async function predictionsToCsv(
  table: Pick<CsvTable, 'header' | 'columns' | 'records' | 'format'>,
  result: PredictionResult,
  options: Pick<CsvOptions, 'formulaGuard'> = { formulaGuard: true },
): Promise<CsvDownload> {
  const { model } = result;
  const guard = new FormulaGuard(options.formulaGuard);
  const id = idColumn(table, guard);
  const taken = new Set(table.columns);
  const rowNumber = id === undefined ? [uniqueName(ROW_NUMBER_COLUMN, taken)] : [];
  const added = [
    ...rowNumber,
    ...predictionColumns(model, carriesLogIds(result.predictions)).map((name) => uniqueName(name, taken)),
  ];
  const header = [...table.header.map((cell) => guard.cell(cell)), ...added];
  const line = (i: number): string[] => [
    ...table.records[i].map((cell) => guard.cell(cell)),
    ...(id === undefined ? [String(i + 1)] : []),
    ...predictionCells(model, result.predictions[i], guard),
  ];
  const text = await writeCsvInChunks(
    result.predictions.length + 1,
    (i) => (i === 0 ? header : line(i - 1)),
    {
      delimiter: table.format.delimiter,
      // Excel reads UTF-8 without a byte-order mark as its local code page.
      bom: table.format.bom || table.format.encoding !== 'utf-8',
    },
  );
  return {
    text,
    neutralised: guard.changed,
    joinColumn: id === undefined ? rowNumber[0] : table.columns[id],
  };
}

/** Response headers that say how a CSV body was read (ASCII: header values must be). */
export function csvFormatHeaders(format: CsvFormat): Record<string, string> {
  return {
    'X-CSV-Encoding': format.encoding,
    'X-CSV-Delimiter': DELIMITER_NAMES[format.delimiter],
    ...(format.notice === undefined ? {} : { 'X-CSV-Notice': format.notice }),
  };
}

/** A refusal of a CSV file, with the upload limits said (the user may be fixing the file anyway). */
export function withUploadLimits(error: unknown, limits: UploadLimits): unknown {
  if (!(error instanceof HttpError) || error.status >= 500) return error;
  const { maxUploadBytes, maxCsvRows } = limits;
  const details =
    typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details)
      ? { ...error.details, limits: { max_upload_bytes: maxUploadBytes, max_csv_rows: maxCsvRows } }
      : error.details;
  return new HttpError(
    error.status,
    error.code,
    `${error.message}. Uploads may have ${describeUploadLimits(limits)}.`,
    { details, expose: error.expose, cause: error },
  );
}
