/**
 * CSV bodies of SageMaker's `text/csv` (MLflow's CSV, which always has a header, is the same). Pure.
 *
 * A header row is optional. `Content-Type: text/csv; header=present|absent` (RFC 4180's parameter)
 * decides; without it the first row is taken as a header when it names every required input of the
 * model (for example `text`, or `id,keyword,location,text,target`). With a header, columns map to
 * inputs by name as in CSV uploads (exact, then ignoring case) and other columns are ignored;
 * without one, the columns are the model's inputs in order.
 *
 * Answers are one line per row, without a header unless the client asks for one
 * (`Accept: text/csv; header=present`), so SageMaker batch transform can join each output line to
 * its input line.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { badRequest } from '../errors';
import type { LoadedModel, RowPrediction } from '../model/types';
import { csvSyntaxError, mapColumns, neutraliseCell } from '../predict/csv';
import { formatPrediction } from '../predict/format';
import type { ModelInputs, RawRow } from './rows';
import { inputNames } from './rows';

export type CsvHeader = 'present' | 'absent';

export interface CsvRows {
  readonly rows: RawRow[];
  readonly hasHeader: boolean;
  /** The body line each row starts on (1-based), for error messages. */
  readonly lines: number[];
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
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

/** `params`: the Content-Type parameters (`header` is read from them). */
export function parseSageMakerCsv(
  text: string,
  inputs: ModelInputs,
  params: Readonly<Record<string, string>>,
): CsvRows {
  const header = csvHeaderParam(params);
  let parsed: ParsedRecord[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // Listed explicitly: auto-detection takes the first line's ending and then fails on mixed ones.
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as ParsedRecord[];
  } catch (error) {
    throw csvSyntaxError(error);
  }
  if (parsed.length === 0) throw badRequest('the CSV body has no rows');

  const first = parsed[0].record.map((cell) => cell.trim());
  const hasHeader = header === undefined ? namesRequiredInputs(first, inputs) : header === 'present';
  const startLine = ({ record, info }: ParsedRecord): number =>
    // A record can span lines (quoted newlines); csv-parse reports the line where it ends.
    info.lines - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);

  if (!hasHeader) {
    const rows = parsed.map(({ record }, index): RawRow => {
      if (record.length > inputs.length) {
        throw badRequest(
          `CSV line ${startLine(parsed[index])} has ${record.length} columns; without a header row the columns must be ${inputNames(inputs)} (in that order), or send a header naming them`,
        );
      }
      return record;
    });
    return { rows, hasHeader, lines: parsed.map(startLine) };
  }

  const mapping = mapColumns(first, inputs);
  const data = parsed.slice(1);
  const rows = data.map((entry): RawRow => {
    if (entry.record.length !== first.length) {
      throw badRequest(
        `CSV line ${startLine(entry)} has ${entry.record.length} columns; the header has ${first.length}`,
      );
    }
    const row = Object.create(null) as Record<string, string>;
    for (const [name, column] of mapping) row[name] = entry.record[column];
    return row;
  });
  return { rows, hasHeader, lines: data.map(startLine) };
}

function namesRequiredInputs(cells: readonly string[], inputs: ModelInputs): boolean {
  const lower = new Set(cells.map((cell) => cell.toLowerCase()));
  const required = inputs.filter((input) => input.required);
  return (required.length > 0 ? required : inputs.slice(0, 1)).every((input) =>
    lower.has(input.name.toLowerCase()),
  );
}

/**
 * The answer's columns, named as in the CSV upload's download: `predicted_label`,
 * `predicted_label_name` (multi-label: `predicted_labels`, `predicted_label_names`, joined with
 * "|"), one `probability_<class>` (or `score_<class>`) per class, `coverage_ratio`, `low_signal`.
 */
export function predictionCsvHeader(model: Pick<LoadedModel, 'card' | 'output'>): string[] {
  const multilabel = model.card.task === 'multilabel';
  const kind = model.output === 'scores' ? 'score' : 'probability';
  return [
    multilabel ? 'predicted_labels' : 'predicted_label',
    multilabel ? 'predicted_label_names' : 'predicted_label_name',
    ...model.card.classes.map((c) => `${kind}_${String(c.value)}`),
    'coverage_ratio',
    'low_signal',
  ].map(neutraliseCell);
}

export function predictionCsvRows(model: LoadedModel, predictions: readonly RowPrediction[]): string[][] {
  return predictions.map((prediction) => {
    const json = formatPrediction(model, prediction);
    const labels =
      model.card.task === 'multilabel'
        ? [(json.labels ?? []).map(String).join('|'), (json.label_names ?? []).join('|')]
        : [json.label === null || json.label === undefined ? '' : String(json.label), json.label_name ?? ''];
    return [
      ...labels.map(neutraliseCell),
      ...prediction.values.map((value) => String(value)),
      String(prediction.coverage.ratio),
      String(json.low_signal),
    ];
  });
}

/** Rows of cells → CSV text (RFC 4180 quoting, `\n` line ends), with an optional header row. */
export function toCsv(records: readonly (readonly string[])[], header?: readonly string[]): string {
  const all = header === undefined ? records : [header, ...records];
  return stringify(all as string[][], { record_delimiter: 'unix' });
}
