/**
 * CSV text → records, read the way pandas' `read_csv` reads files by default. Pure.
 *
 * - the delimiter is comma, semicolon, tab or pipe: given, or sniffed from the header line;
 * - a quote inside an unquoted cell is a literal character (`a 5" rain gauge`, `=HYPERLINK("x")`);
 * - CRLF, LF and CR end records (mixed too), a missing final newline is fine, blank and
 *   whitespace-only lines are skipped;
 * - records keep their own length: callers pad short ones (pandas: missing values) and refuse
 *   longer ones with their lines, as pandas does.
 * One difference from pandas: a cell that opens with a quote and goes on after the closing one
 * (`"5" rain gauge`) keeps its quotes (pandas drops them: `5 rain gauge`).
 */
import { finished } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError as StreamCsvError, Parser } from 'csv-parse';
import { CsvError, type Options, parse } from 'csv-parse/sync';
import { HttpError, badRequest } from '../errors';

export type Delimiter = ',' | ';' | '\t' | '|';

/** In the order a tie is broken. */
export const DELIMITERS: readonly Delimiter[] = [',', ';', '\t', '|'];

export const DELIMITER_NAMES: Readonly<Record<Delimiter, string>> = {
  ',': 'comma',
  ';': 'semicolon',
  '\t': 'tab',
  '|': 'pipe',
};

const DELIMITER_ALIASES: Readonly<Record<string, Delimiter>> = {
  ',': ',',
  comma: ',',
  ';': ';',
  semicolon: ';',
  '\t': '\t',
  '\\t': '\t',
  tab: '\t',
  '|': '|',
  pipe: '|',
};

/** The `delimiter` option: a character or its name; undefined (sniff) when absent, empty or `auto`. */
export function parseDelimiter(value: string | undefined): Delimiter | undefined {
  if (value === undefined || value === '' || value.toLowerCase() === 'auto') return undefined;
  const delimiter = DELIMITER_ALIASES[value.toLowerCase()];
  if (delimiter === undefined) {
    throw badRequest(
      `"delimiter" must be auto, comma (,), semicolon (;), tab or pipe (|), got "${value.slice(0, 20)}"`,
    );
  }
  return delimiter;
}

export interface CsvRecord {
  readonly cells: string[];
  /** 1-based line the record starts on. */
  readonly line: number;
}

export interface ReadOptions {
  /** Given by the client; sniffed when undefined. */
  readonly delimiter?: Delimiter;
  /** Sniffing prefers the first delimiter whose header cells satisfy this (e.g. name the model's inputs). */
  readonly isHeader?: (cells: readonly string[]) => boolean;
  /** When no delimiter makes the first line a header: this one, else the one splitting it most. */
  readonly fallbackDelimiter?: Delimiter;
  /** Stop after this many records (a limit check needs only one past it). */
  readonly maxRecords?: number;
}

export interface CsvRecords {
  readonly records: CsvRecord[];
  readonly delimiter: Delimiter;
}

const SNIFF_CHARS = 64 * 1024;
/** Enough records to get past lines of spaces before the header. */
const SNIFF_RECORDS = 8;

/** csv-parse set to read as pandas' read_csv does by default. */
const PANDAS_LIKE: Options = {
  bom: true,
  relax_quotes: true,
  relax_column_count: true,
  skip_empty_lines: true,
  // Listed explicitly: auto-detection takes the first line's ending and then fails on mixed ones.
  record_delimiter: ['\r\n', '\n', '\r'],
};

/** pandas skips a line of spaces as blank. */
function isBlank(cells: readonly string[]): boolean {
  return cells.length === 1 && cells[0].trim() === '';
}

/**
 * What both readers share: csv-parse's options with the record rules (blank lines, line numbers)
 * and the translation of its errors. readCsv and readCsvAsync differ only in how they feed it.
 */
function reader(text: string, options: ReadOptions) {
  const delimiter = options.delimiter ?? sniffDelimiter(text, options.isHeader, options.fallbackDelimiter);
  const records: CsvRecord[] = [];
  // Where the last complete record ends: a quote that is never closed opens after it.
  let lastEnd = 0;
  // csv-parse counts a CRLF inside quotes as two lines; files (and editors) count it as one.
  let quotedCrlfs = 0;
  const parseOptions: Options = {
    ...PANDAS_LIKE,
    delimiter,
    ...(options.maxRecords === undefined ? {} : { to: options.maxRecords }),
    on_record: (cells: string[], context) => {
      quotedCrlfs += cells.reduce((n, cell) => n + crlfs(cell), 0);
      lastEnd = context.lines - quotedCrlfs;
      if (!isBlank(cells)) {
        // Quoted line breaks move the record's start back from where it ends.
        records.push({ cells, line: lastEnd - cells.reduce((n, cell) => n + lineBreaks(cell), 0) });
      }
      return null;
    },
  };
  const fail = (error: unknown): HttpError =>
    isCsvError(error) && error.code === 'CSV_QUOTE_NOT_CLOSED'
      ? unclosedQuote(nextContentLine(text, lastEnd))
      : csvSyntaxError(error);
  return { parseOptions, fail, result: { records, delimiter } as CsvRecords };
}

export function readCsv(text: string, options: ReadOptions = {}): CsvRecords {
  const { parseOptions, fail, result } = reader(text, options);
  try {
    parse(text, parseOptions);
  } catch (error) {
    throw fail(error);
  }
  return result;
}

/**
 * Characters fed to the parser per turn of the event loop: a few milliseconds of work, so a
 * 10,000-row upload never holds /health and other requests for the whole parse.
 */
export const READ_CHUNK_CHARS = 64 * 1024;

/**
 * readCsv, fed `chunkChars` at a time with a turn of the event loop between: the same records and
 * the same errors (csv-parse keeps its state across chunks).
 */
export async function readCsvAsync(
  text: string,
  options: ReadOptions = {},
  chunkChars = READ_CHUNK_CHARS,
): Promise<CsvRecords> {
  if (text.length <= chunkChars) return readCsv(text, options);
  const { parseOptions, fail, result } = reader(text, options);
  const parser = new Parser(parseOptions);
  const done = finished(parser.resume());
  // Keeps an early error from being unhandled while the loop still runs; `done` reports it.
  done.catch(() => undefined);
  for (let start = 0; start < text.length;) {
    // The parser ends itself at maxRecords and stops at its first error: nothing more to feed then.
    if (parser.writableEnded || parser.destroyed) break;
    let end = Math.min(text.length, start + chunkChars);
    // Never split a surrogate pair: each chunk is encoded to UTF-8 on its own.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end++;
    parser.write(text.slice(start, end));
    start = end;
    await nextTurn();
  }
  if (!parser.writableEnded && !parser.destroyed) parser.end();
  try {
    await done;
  } catch (error) {
    throw fail(error);
  }
  return result;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The header's delimiter: the first that makes it a header, else `fallback` or the one splitting it most. */
export function sniffDelimiter(
  text: string,
  isHeader?: (cells: readonly string[]) => boolean,
  fallback?: Delimiter,
): Delimiter {
  const head = text.slice(0, SNIFF_CHARS);
  let best: Delimiter = ',';
  let bestCount = 1;
  for (const delimiter of DELIMITERS) {
    let cells: string[];
    try {
      const first = parse(head, { ...PANDAS_LIKE, delimiter, to: SNIFF_RECORDS }) as string[][];
      cells = first.find((record) => !isBlank(record)) ?? [];
    } catch {
      continue;
    }
    if (isHeader?.(cells.map((cell) => cell.trim())) === true) return delimiter;
    if (cells.length > bestCount) {
      best = delimiter;
      bestCount = cells.length;
    }
  }
  return fallback ?? best;
}

/** The first non-blank line after `line` (1-based). */
function nextContentLine(text: string, line: number): number {
  const lines = text.split(/\r\n|\n|\r/);
  let next = line;
  while (next < lines.length && lines[next].trim() === '') next++;
  return next + 1;
}

function unclosedQuote(line: number): HttpError {
  return new HttpError(
    400,
    'invalid_csv',
    `the CSV is malformed: line ${line} opens a quote that is never closed (a cell that starts with " must end with ", and a " inside it is written "")`,
    { details: { line, reason: 'CSV_QUOTE_NOT_CLOSED' } },
  );
}

function crlfs(cell: string): number {
  let n = 0;
  for (let i = cell.indexOf('\r\n'); i >= 0; i = cell.indexOf('\r\n', i + 2)) n++;
  return n;
}

function lineBreaks(cell: string): number {
  let n = 0;
  for (let i = 0; i < cell.length; i++) {
    const c = cell.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && cell.charCodeAt(i + 1) !== 0x0a)) n++;
  }
  return n;
}

const CSV_MESSAGES: Readonly<Record<string, string>> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'has a different number of cells than the header',
  CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH: 'has a different number of cells than the header',
  CSV_INVALID_CLOSING_QUOTE: 'has characters after a closing quote',
  CSV_MAX_RECORD_SIZE: 'is too long',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'has characters after a closing quote',
};

/** csv-parse's sync and stream entry points are separate bundles, each with its own CsvError class. */
function isCsvError(error: unknown): error is CsvError {
  return error instanceof CsvError || error instanceof StreamCsvError;
}

/** csv-parse messages quote the offending cell; ours name only the line and the problem. */
export function csvSyntaxError(error: unknown): HttpError {
  if (isCsvError(error)) {
    const { lines } = error as CsvError & { lines?: number };
    const problem = CSV_MESSAGES[error.code] ?? 'is not valid CSV';
    return new HttpError(400, 'invalid_csv', `the CSV is malformed: line ${lines ?? '?'} ${problem}`, {
      details: { line: lines, reason: error.code },
    });
  }
  return new HttpError(400, 'invalid_csv', 'the CSV is malformed');
}
