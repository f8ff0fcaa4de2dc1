/**
 * CSV bodies of SageMaker's `text/csv` (MLflow's CSV, which always has a header, is the same). Pure.
 * Bytes are decoded and records read as CSV uploads are (src/csv/: BOMs, Windows-1252 with a
 * notice, pandas' tolerance for stray quotes and blank lines).
 *
 * A header row is optional. `Content-Type: text/csv; header=present|absent` (RFC 4180's parameter)
 * decides; without it the first row is taken as a header when it names every required input of the
 * model (for example `text`, or `id,keyword,location,text,target`). With a header, columns map to
 * inputs by name as in CSV uploads (exact, then ignoring case) and other columns are ignored;
 * without one, the columns are the model's inputs in order.
 *
 * The delimiter is the `delimiter` Content-Type parameter or custom attribute, else the one (comma,
 * semicolon, tab, pipe) that makes the first row a header, else comma: headerless rows of free text
 * say nothing reliable about their delimiter.
 *
 * Answers are one line per row, without a header unless the client asks for one
 * (`Accept: text/csv; header=present`), so SageMaker batch transform can join each output line to
 * its input line.
 */
import { badRequest } from '../errors';
import { type Delimiter, readCsvAsync } from '../csv/read';
import { FormulaGuard, writeCsvInChunks } from '../csv/write';
import type { LoadedModel, RowPrediction } from '../model/types';
import {
  type CsvFormat,
  decodeInput,
  mapColumns,
  namesRequiredInputs,
  predictionCells,
  carriesLogIds,
  predictionColumns,
} from '../predict/csv';
import type { ModelInputs, RawRow } from './rows';
import { inputNames } from './rows';

export type CsvHeader = 'present' | 'absent';

export interface CsvRows {
  readonly rows: RawRow[];
  readonly hasHeader: boolean;
  /** The body line each row starts on (1-based), for error messages. */
  readonly lines: number[];
  readonly format: CsvFormat;
}

/** RFC 4180's `header` parameter; undefined when absent, a 400 when it is neither value. */
export function csvHeaderParam(params: Readonly<Record<string, string>>): CsvHeader | undefined {
  const value = params.header;
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === 'present' || lower === 'absent') return lower;
  throw badRequest(
    `the text/csv parameter header must be "present" or "absent", got "${value.slice(0, 50)}"`,
  );
}

/**
 * `params`: the Content-Type parameters (`header`, `charset` are read from them). Read in chunks
 * that yield to the event loop (readCsvAsync).
 */
export async function parseSageMakerCsv(
  body: Uint8Array | string,
  inputs: ModelInputs,
  params: Readonly<Record<string, string>>,
  delimiter?: Delimiter,
): Promise<CsvRows> {
  const header = csvHeaderParam(params);
  const decoded = decodeInput(body, params.charset);
  const isHeader = (cells: readonly string[]) => namesRequiredInputs(cells, inputs);
  const read = await readCsvAsync(decoded.text, {
    delimiter: delimiter ?? (header === 'absent' ? ',' : undefined),
    isHeader,
    fallbackDelimiter: ',',
  });
  const parsed = read.records;
  if (parsed.length === 0) throw badRequest('the CSV body has no rows');
  const format: CsvFormat = {
    encoding: decoded.encoding,
    bom: decoded.bom,
    delimiter: read.delimiter,
    notice: decoded.notice,
  };

  const first = parsed[0].cells.map((cell) => cell.trim());
  const hasHeader = header === undefined ? isHeader(first) : header === 'present';

  if (!hasHeader) {
    const rows = parsed.map(({ cells, line }): RawRow => {
      if (cells.length > inputs.length) {
        throw badRequest(
          `CSV line ${line} has ${cells.length} columns; without a header row the columns must be ${inputNames(inputs)} (in that order), or send a header naming them`,
        );
      }
      return cells;
    });
    return { rows, hasHeader, lines: parsed.map((record) => record.line), format };
  }

  const mapping = mapColumns(first, inputs);
  const data = parsed.slice(1);
  const rows = data.map(({ cells, line }): RawRow => {
    if (cells.length > first.length) {
      throw badRequest(
        `CSV line ${line} has ${cells.length} columns; the header has ${first.length} (a cell that contains the delimiter must be in double quotes)`,
      );
    }
    const row = Object.create(null) as Record<string, string>;
    // A short record is padded, as pandas reads it: its missing cells are empty.
    for (const [name, column] of mapping) row[name] = cells[column] ?? '';
    return row;
  });
  return { rows, hasHeader, lines: data.map((record) => record.line), format };
}

/** The answer's header: the CSV upload's prediction columns, neutralised like them. */
export function predictionCsvHeader(model: Pick<LoadedModel, 'card' | 'output'>, logged = false): string[] {
  const guard = new FormulaGuard(true);
  return predictionColumns(model, logged).map((name) => guard.always(name));
}

/**
 * The CSV answer: one line per prediction (RFC 4180 quoting, `\n` line ends), after the header row
 * when `withHeader`; cells built and written a chunk at a time (writeCsvInChunks), so 10,000 rows
 * do not hold the event loop.
 */
export function predictionsCsv(
  model: LoadedModel,
  predictions: readonly RowPrediction[],
  withHeader: boolean,
): Promise<string> {
  const guard = new FormulaGuard(true);
  const header = withHeader ? [predictionCsvHeader(model, carriesLogIds(predictions))] : [];
  return writeCsvInChunks(
    header.length + predictions.length,
    (i) => (i < header.length ? header[i] : predictionCells(model, predictions[i - header.length], guard)),
    { recordDelimiter: '\n' },
  );
}
