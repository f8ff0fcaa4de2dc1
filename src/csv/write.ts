/**
 * Records → CSV text. Pure. Every cell holding a quote, the delimiter, CR or LF is quoted (RFC 4180;
 * csv-stringify alone quotes only the record delimiter, so a lone LF would split a row), and
 * cells a spreadsheet would run as formulas can be neutralised, counting how many changed.
 */
import { stringify } from 'csv-stringify/sync';
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

export function writeCsv(records: readonly (readonly string[])[], options: WriteOptions = {}): string {
  const text = stringify(records as string[][], {
    delimiter: options.delimiter ?? ',',
    record_delimiter: options.recordDelimiter === '\n' ? 'unix' : 'windows',
    quoted_match: /[\r\n]/,
    eof: true,
  });
  return options.bom === true ? `\ufeff${text}` : text;
}
