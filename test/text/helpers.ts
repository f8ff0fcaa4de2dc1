import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unicodeTablesSchema, type UnicodeTables } from '../../src/model/schema';
import { compileUnicode, type PythonUnicode } from '../../src/text/unicode';

export const CORE_FIXTURES = join(__dirname, '..', 'fixtures', 'core');

let tables: UnicodeTables | undefined;

/** The character tables of Python 3.11 / Unicode 14 (test/fixtures/core/make_core_fixtures.py). */
export function python311Unicode(): PythonUnicode {
  tables ??= unicodeTablesSchema.parse(JSON.parse(readFileSync(join(CORE_FIXTURES, 'unicode.json'), 'utf8')));
  return compileUnicode(tables);
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
