/**
 * Records → CSV text. Pure. Every cell holding a quote, the delimiter, CR or LF is quoted (RFC 4180;
 * csv-stringify alone quotes only the record delimiter, so a lone LF would split a row), and
 * cells a spreadsheet would run as formulas can be neutralised, counting how many changed.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Options, stringify } from 'csv-stringify/sync';
import type { Delimiter } from './read';

// Cells a spreadsheet may evaluate: formulas (= + - @), DDE via leading tab/CR/LF, NUL, and the
// full-width forms some spreadsheet locales also accept.
const FORMULA_START = /^[=+\-@\t\r\n\0\uff1d\uff0b\uff0d\uff20]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Prefix a quote so spreadsheets show the cell as text; plain numbers (-0.5, +3) are left alone. */
export function neutraliseCell(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

/** Neutralises cells when on, verbatim when off, and counts the cells it changed. */
export class FormulaGuard {
  changed = 0;

  constructor(readonly on: boolean) {}

  /** A cell of the user's data: neutralised only when the guard is on. */
  cell(value: string): string {
    return this.on ? this.always(value) : value;
  }

  /** A cell the server writes from elsewhere (a model card's class names): always neutralised. */
  always(value: string): string {
    const safe = neutraliseCell(value);
    if (safe !== value) this.changed++;
    return safe;
  }
}

export interface WriteOptions {
  readonly delimiter?: Delimiter;
  /** `\r\n` (RFC 4180, the default) or `\n`. */
  readonly recordDelimiter?: '\r\n' | '\n';
  /** Start with a UTF-8 byte-order mark, so Excel reads the file as UTF-8. */
  readonly bom?: boolean;
}

function stringifyOptions(options: WriteOptions): Options {
  return {
    delimiter: options.delimiter ?? ',',
    record_delimiter: options.recordDelimiter === '\n' ? 'unix' : 'windows',
    quoted_match: /[\r\n]/,
    eof: true,
  };
}

export function writeCsv(records: readonly (readonly string[])[], options: WriteOptions = {}): string {
  const text = stringify(records as string[][], stringifyOptions(options));
  return options.bom === true ? `\ufeff${text}` : text;
}

/** Records written per turn of the event loop: a few milliseconds of work. */
export const WRITE_CHUNK_RECORDS = 500;

/**
 * writeCsv for `count` records built by `record(i)` as their chunk is written, `chunkRecords` at a
 * time with a turn of the event loop between: the same text (every record ends with the record
 * delimiter), while a 10,000-row answer neither holds the event loop nor exists twice as cells.
 */
export async function writeCsvInChunks(
  count: number,
  record: (index: number) => readonly string[],
  options: WriteOptions = {},
  chunkRecords = WRITE_CHUNK_RECORDS,
): Promise<string> {
  const settings = stringifyOptions(options);
  const parts: string[] = options.bom === true ? ['\ufeff'] : [];
  for (let start = 0; start < count; start += chunkRecords) {
    if (start > 0) await nextTurn();
    const chunk: (readonly string[])[] = [];
    for (let i = start; i < Math.min(count, start + chunkRecords); i++) chunk.push(record(i));
    parts.push(stringify(chunk as string[][], settings));
  }
  return parts.join('');
}
