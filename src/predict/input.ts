/**
 * What a prediction request carries → validated rows, or a 400 naming the reason and every failing
 * row. Pure: no req/res; routes hand over the parsed body.
 *
 * Accepted JSON shapes on /predict and /models/:name/predict:
 *   {"text": "...", "keyword": "...", "model"?: name, "explain"?: bool, "top_terms"?: int}  one row
 *   {"instances": [{...} | "text", ...], "model"?, "explain"?, "top_terms"?}             a batch
 *   [{...} | "text", ...]                                                                 a batch
 *   {"input": [{"text": "..."}, ...]}                                  the seeds' SageMaker shape
 *
 * Decisions (documented in the README):
 * - every input value must be a JSON string: numbers, booleans, null, arrays and objects are a 400
 *   naming the field (silently turning 42 or null into text hides client bugs);
 * - a required input that is missing, empty or only whitespace is a 400;
 * - JSON objects with a field the model does not take are a 400 naming it, so a typo such as
 *   "keywords" cannot silently drop an input; HTML forms and CSV files may carry extra fields
 *   (buttons, ids), which are ignored (CSV keeps them in the output);
 * - `model`, `explain` and `top_terms` are reserved names in JSON objects;
 * - values are passed to the model as sent (no Unicode normalisation, to match scikit-learn), except
 *   lone UTF-16 surrogates (from "\ud800" escapes), which become U+FFFD;
 * - values longer than MAX_TEXT_CHARS (UTF-16 units, like JavaScript's length) are a 400.
 */
import { HttpError, badRequest, payloadTooLarge } from '../errors';
import type { ModelCard } from '../model/schema';
import type { InputRow } from '../model/types';

export type ModelInputs = ModelCard['inputs'];

export interface InputLimits {
  readonly maxTextChars: number;
  readonly maxBatch: number;
}

/** One problem in one row: `index` is 0-based in the order sent; `line` is set for CSV files. */
export interface RowIssue {
  index: number;
  line?: number;
  field: string;
  message: string;
}

export type PayloadShape = 'single' | 'batch' | 'seed';

export interface PredictPayload {
  readonly shape: PayloadShape;
  /** Raw rows (objects or strings), not yet validated against a model. */
  readonly items: readonly unknown[];
  readonly options: RequestOptions;
}

/** Options a request may carry besides its rows (body fields or query parameters). */
export interface RequestOptions {
  model?: string;
  explain?: boolean;
  topTerms?: number;
}

export const RESERVED_FIELDS: ReadonlySet<string> = new Set(['model', 'explain', 'top_terms']);
const BATCH_KEYS = new Set(['instances', 'model', 'explain', 'top_terms']);
const SEED_KEYS = new Set(['input', 'model', 'explain', 'top_terms']);
const MAX_TOP_TERMS = 50;
/** Issues listed in one 400; the count of all failing rows is always given. */
const MAX_LISTED_ISSUES = 1000;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

/** Sort a parsed JSON body into its shape and options. */
export function readJsonPayload(body: unknown): PredictPayload {
  if (Array.isArray(body)) return { shape: 'batch', items: body, options: {} };
  if (!isPlainObject(body)) {
    throw badRequest(`the body is ${describeJsonType(body)}; send a JSON object such as {"text": "..."}`);
  }
  const options = readBodyOptions(body);
  if (Object.hasOwn(body, 'instances')) {
    rejectOtherKeys(body, BATCH_KEYS, '"instances"');
    if (!Array.isArray(body.instances)) {
      throw badRequest(`"instances" is ${describeJsonType(body.instances)}; it must be an array of rows`);
    }
    return { shape: 'batch', items: body.instances, options };
  }
  if (Object.hasOwn(body, 'input') && Array.isArray(body.input)) {
    rejectOtherKeys(body, SEED_KEYS, '"input"');
    return { shape: 'seed', items: body.input, options };
  }
  const row: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    if (!RESERVED_FIELDS.has(key)) row[key] = body[key];
  }
  return { shape: 'single', items: [row], options };
}

function rejectOtherKeys(body: Record<string, unknown>, allowed: ReadonlySet<string>, what: string): void {
  const others = Object.keys(body).filter((key) => !allowed.has(key));
  if (others.length > 0) {
    throw badRequest(
      `unknown top-level field(s) next to ${what}: ${others.map(quote).join(', ')}; allowed: ${[...allowed].map(quote).join(', ')}`,
    );
  }
}

function readBodyOptions(body: Record<string, unknown>): RequestOptions {
  const options: RequestOptions = {};
  if (body.model !== undefined) {
    if (typeof body.model !== 'string' || body.model === '') {
      throw badRequest(`"model" is ${describeJsonType(body.model)}; it must be a model name`);
    }
    options.model = body.model;
  }
  if (body.explain !== undefined) {
    if (typeof body.explain !== 'boolean') {
      throw badRequest(`"explain" is ${describeJsonType(body.explain)}; it must be true or false`);
    }
    options.explain = body.explain;
  }
  if (body.top_terms !== undefined) {
    const value = body.top_terms;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TOP_TERMS) {
      throw badRequest(`"top_terms" must be a whole number from 1 to ${MAX_TOP_TERMS}`);
    }
    options.topTerms = value;
  }
  return options;
}

/**
 * Options from query parameters (`?model=`, `?explain=true`, `?top_terms=5`) or form fields;
 * a repeated parameter or an unreadable value is a 400.
 */
export function readTextOptions(source: Readonly<Record<string, unknown>>): RequestOptions {
  const options: RequestOptions = {};
  const single = (name: string): string | undefined => {
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw badRequest(`"${name}" is given more than once`);
    return value;
  };
  const model = single('model');
  if (model !== undefined && model !== '') options.model = model;
  const explain = single('explain');
  if (explain !== undefined && explain !== '') {
    const value = explain.toLowerCase();
    if (['true', '1', 'on', 'yes'].includes(value)) options.explain = true;
    else if (['false', '0', 'off', 'no'].includes(value)) options.explain = false;
    else throw badRequest(`"explain" must be true or false`);
  }
  const topTerms = single('top_terms');
  if (topTerms !== undefined && topTerms !== '') {
    const value = /^\d{1,3}$/.test(topTerms) ? Number(topTerms) : NaN;
    if (!(value >= 1 && value <= MAX_TOP_TERMS)) {
      throw badRequest(`"top_terms" must be a whole number from 1 to ${MAX_TOP_TERMS}`);
    }
    options.topTerms = value;
  }
  return options;
}

/** Later sources win: query parameters, then body options. */
export function mergeOptions(...sources: RequestOptions[]): RequestOptions {
  const merged: RequestOptions = {};
  for (const source of sources) {
    if (source.model !== undefined) merged.model = source.model;
    if (source.explain !== undefined) merged.explain = source.explain;
    if (source.topTerms !== undefined) merged.topTerms = source.topTerms;
  }
  return merged;
}

/** Replace lone surrogates (invalid UTF-16, e.g. from a "\udc00" JSON escape) with U+FFFD. */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/** The input a bare string fills: the first required input (the first input if none is required). */
export function primaryInput(inputs: ModelInputs): ModelInputs[number] {
  return inputs.find((input) => input.required) ?? inputs[0];
}

/** Checks one field value; returns the clean text, or records an issue and returns undefined. */
function checkValue(
  value: unknown,
  input: ModelInputs[number],
  limits: InputLimits,
  report: (field: string, message: string) => void,
): string | undefined {
  if (value === undefined) {
    if (input.required) report(input.name, 'is required');
    return input.required ? undefined : '';
  }
  if (typeof value !== 'string') {
    report(input.name, `must be a string, got ${describeJsonType(value)}`);
    return undefined;
  }
  if (value.length > limits.maxTextChars) {
    report(
      input.name,
      `is ${value.length} characters long; the limit is ${limits.maxTextChars} (MAX_TEXT_CHARS)`,
    );
    return undefined;
  }
  if (input.required && value.trim() === '') {
    report(input.name, 'is empty');
    return undefined;
  }
  return wellFormed(value);
}

const namesOfInputs = new WeakMap<ModelInputs, ReadonlySet<string>>();

/** The set of a model's input names, made once per model card rather than per row. */
function inputNames(inputs: ModelInputs): ReadonlySet<string> {
  let names = namesOfInputs.get(inputs);
  if (names === undefined) {
    names = new Set(inputs.map((input) => input.name));
    namesOfInputs.set(inputs, names);
  }
  return names;
}

/**
 * Validate one raw row against the model's inputs. `unknownFields: 'reject'` for JSON objects,
 * 'ignore' for forms. Issues are appended; the row is returned only when it has none.
 */
export function validateRow(
  item: unknown,
  index: number,
  inputs: ModelInputs,
  limits: InputLimits,
  unknownFields: 'reject' | 'ignore',
  issues: RowIssue[],
): InputRow | undefined {
  const before = issues.length;
  const report = (field: string, message: string) =>
    issues.push({ index, field: field.slice(0, 100), message });
  const row: Record<string, string> = Object.create(null) as Record<string, string>;

  if (typeof item === 'string') {
    const primary = primaryInput(inputs);
    for (const input of inputs) {
      const text = checkValue(input === primary ? item : undefined, input, limits, report);
      if (text !== undefined) row[input.name] = text;
    }
  } else if (isPlainObject(item)) {
    if (unknownFields === 'reject') {
      const known = inputNames(inputs);
      for (const key of Object.keys(item)) {
        if (!known.has(key)) {
          report(
            key,
            `is not an input of this model (inputs: ${inputs.map((input) => input.name).join(', ')})`,
          );
        }
      }
    }
    for (const input of inputs) {
      const value = Object.hasOwn(item, input.name) ? item[input.name] : undefined;
      const text = checkValue(value, input, limits, report);
      if (text !== undefined) row[input.name] = text;
    }
  } else {
    report('', `is ${describeJsonType(item)}; a row must be an object of fields or a string`);
  }
  return issues.length === before ? Object.freeze(row) : undefined;
}

/** A 400 listing the failing rows (or the one failing field of a single request). */
export function invalidRows(issues: readonly RowIssue[], rowCount: number): HttpError {
  const failedRows = new Set(issues.map((issue) => issue.index)).size;
  const describe = (issue: RowIssue) =>
    `${rowCount > 1 || issue.line !== undefined ? `${issue.line !== undefined ? `line ${issue.line}` : `row ${issue.index}`}: ` : ''}${issue.field === '' ? 'the row' : `field "${issue.field}"`} ${issue.message}`;
  const summary = issues.slice(0, 3).map(describe).join('; ');
  const message =
    rowCount > 1
      ? `${failedRows} of ${rowCount} rows are invalid: ${summary}${issues.length > 3 ? '; ...' : ''}`
      : `invalid input: ${summary}${issues.length > 3 ? '; ...' : ''}`;
  return new HttpError(400, 'invalid_input', message, {
    details: {
      failed: failedRows,
      rows: issues.slice(0, MAX_LISTED_ISSUES),
      ...(issues.length > MAX_LISTED_ISSUES ? { truncated: true } : {}),
    },
  });
}

export function checkBatchSize(count: number, limits: InputLimits): void {
  if (count === 0) throw badRequest('there are no rows to predict');
  if (count > limits.maxBatch) {
    throw payloadTooLarge(`${count} rows in one request; the limit is ${limits.maxBatch} (MAX_BATCH)`);
  }
}

/** Validate every item: all rows, or a 400 listing every failing one. */
export function rowsFromItems(
  items: readonly unknown[],
  inputs: ModelInputs,
  limits: InputLimits,
  unknownFields: 'reject' | 'ignore' = 'reject',
): InputRow[] {
  checkBatchSize(items.length, limits);
  const issues: RowIssue[] = [];
  const rows: InputRow[] = [];
  items.forEach((item, index) => {
    const row = validateRow(item, index, inputs, limits, unknownFields, issues);
    if (row !== undefined) rows.push(row);
  });
  if (issues.length > 0) throw invalidRows(issues, items.length);
  return rows;
}

/** An HTML/urlencoded/multipart form → one row. Extra fields are ignored; repeated inputs are a 400. */
export function rowFromForm(
  fields: Readonly<Record<string, string | readonly string[]>>,
  inputs: ModelInputs,
  limits: InputLimits,
): InputRow {
  const item: Record<string, unknown> = {};
  for (const input of inputs) {
    if (Object.hasOwn(fields, input.name)) item[input.name] = fields[input.name];
  }
  return rowsFromItems([item], inputs, { ...limits, maxBatch: 1 }, 'ignore')[0];
}

/** Plain-text body → one row: the text fills the primary input. */
export function rowFromText(text: string, inputs: ModelInputs, limits: InputLimits): InputRow {
  return rowsFromItems([text], inputs, { ...limits, maxBatch: 1 })[0];
}

function quote(name: string): string {
  return `"${name.length > 50 ? `${name.slice(0, 50)}…` : name}"`;
}
