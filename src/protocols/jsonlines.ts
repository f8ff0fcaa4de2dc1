/**
 * JSON Lines bodies (SageMaker's `application/jsonlines`): one JSON value per line, blank lines
 * skipped. Each line is a row: an object of fields, a string (the model's first input) or an
 * array (the inputs in order). Pure.
 */
import { HttpError, badRequest } from '../errors';
import { parseStrictJson } from '../http/json';
import { describeJsonType as describeJson, isPlainObject } from '../predict/input';
import type { RawRow } from './rows';

export interface JsonLinesRows {
  readonly rows: RawRow[];
  /** The body line of each row (1-based). */
  readonly lines: number[];
}

export function parseJsonLines(text: string, maxDepth: number): JsonLinesRows {
  const rows: RawRow[] = [];
  const lineNumbers: number[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = parseStrictJson(line, maxDepth);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      // The shared parser speaks of "the body"; here the line is what the client must fix.
      throw new HttpError(
        error.status,
        error.code,
        `${where}: ${error.message.replace(/^the body /, 'the line ')}`,
      );
    }
    if (typeof value !== 'string' && !Array.isArray(value) && !isPlainObject(value)) {
      throw badRequest(
        `${where} is ${describeJson(value)}; expected an object of fields, a string or an array`,
      );
    }
    rows.push(value as RawRow);
    lineNumbers.push(index + 1);
  });
  if (rows.length === 0) throw badRequest('the JSON Lines body has no rows');
  return { rows, lines: lineNumbers };
}

/**
 * One JSON document per line, each line ending in `\n`. `<`, `>` and `&` are written as \u escapes,
 * as the app's JSON answers are, so no answer can be read as HTML.
 */
export function toJsonLines(values: readonly unknown[]): string {
  return values.map((value) => `${JSON.stringify(value).replace(/[<>&]/g, escapeChar)}\n`).join('');
}

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
