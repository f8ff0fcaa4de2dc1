/**
 * Reads and validates one bundle folder (docs/bundle-format.md). Every problem names the file and
 * the field path; a format version newer than this server is refused before anything else is read
 * from that file; the files must agree with each other (width, classes, versions, input fields).
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import {
  cardSchema,
  classCount,
  classifierSchema,
  SUPPORTED_FORMAT_VERSION,
  unicodeTablesSchema,
  vectorizerSchema,
  type ClassifierSpec,
  type ModelCard,
  type UnicodeTables,
  type VectorizerSpec,
} from './schema';

export const BUNDLE_FILES = {
  card: 'card.json',
  vectorizer: 'vectorizer.json',
  unicode: 'unicode.json',
  classifier: 'classifier.json',
  onnx: 'model.onnx',
} as const;

/** A sequence bundle's feature file, in place of vectorizer.json (src/model/sequence-model.ts). */
export const SEQUENCE_BUNDLE_FILE = 'sequence.json';

export interface Bundle {
  readonly dir: string;
  readonly card: ModelCard;
  readonly vectorizer: VectorizerSpec;
  readonly unicode: UnicodeTables;
  readonly classifier: ClassifierSpec;
  readonly onnxPath: string;
}

/** A bundle that cannot be served; `problems` are "file: field.path: message" lines. */
export class BundleError extends Error {
  readonly dir: string;
  readonly problems: readonly string[];

  constructor(dir: string, problems: readonly string[]) {
    super(`bundle ${basename(dir)} (${dir}) is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'BundleError';
    this.dir = dir;
    this.problems = problems;
  }
}

/** `classes[1].name` style paths. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

/**
 * Reads and validates one JSON file of a bundle; problems are appended as "file: path: message".
 * With `optional`, a missing file is not a problem (the result is undefined).
 */
export async function readJsonFile<T>(
  dir: string,
  file: string,
  schema: z.ZodType<T>,
  problems: string[],
  { optional = false }: { optional?: boolean } = {},
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return undefined;
    problems.push(`${file}: ${code === 'ENOENT' ? 'missing' : `cannot be read (${code ?? String(error)})`}`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}: not valid JSON (${(error as Error).message})`);
    return undefined;
  }
  const version = (raw as { format_version?: unknown } | null)?.format_version;
  if (typeof version === 'number' && version > SUPPORTED_FORMAT_VERSION) {
    problems.push(
      `${file}: format_version ${version} is newer than this server supports (${SUPPORTED_FORMAT_VERSION}); upgrade Sift`,
    );
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 20)) {
      problems.push(`${file}: ${formatPath(issue.path)}: ${issue.message}`);
    }
    if (parsed.error.issues.length > 20)
      problems.push(`${file}: … ${parsed.error.issues.length - 20} more problems`);
    return undefined;
  }
  return parsed.data;
}

/** "14.0.0" ≤ "17.0"? Compares dotted numeric versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Problems between files that each validated on their own. */
export function crossCheck(
  card: ModelCard,
  vectorizer: VectorizerSpec,
  unicode: UnicodeTables,
  classifier: ClassifierSpec,
  runtimeUnicode: string | undefined = process.versions.unicode,
): string[] {
  const problems: string[] = [];
  if (classifier.width !== vectorizer.width) {
    problems.push(
      `classifier.json: width: is ${classifier.width}, vectorizer.json width is ${vectorizer.width}`,
    );
  }
  if (classCount(classifier) !== card.classes.length) {
    problems.push(
      `classifier.json: ${classifier.kind === 'onnx' ? 'classes' : 'intercepts'}: has ${classCount(classifier)} classes, card.json classes has ${card.classes.length}`,
    );
  }
  if (classifier.multilabel !== (card.task === 'multilabel')) {
    problems.push(`classifier.json: multilabel: is ${classifier.multilabel}, card.json task is ${card.task}`);
  }
  if (unicode.unicode_version !== vectorizer.unicode_version) {
    problems.push(
      `unicode.json: unicode_version: is ${unicode.unicode_version}, vectorizer.json unicode_version is ${vectorizer.unicode_version}`,
    );
  }
  const cardUnicode = card.versions.unicode;
  if (cardUnicode !== undefined && cardUnicode !== vectorizer.unicode_version) {
    problems.push(
      `card.json: versions.unicode: is ${cardUnicode}, vectorizer.json unicode_version is ${vectorizer.unicode_version}`,
    );
  }
  const cardSklearn = card.versions.sklearn;
  if (cardSklearn !== undefined && cardSklearn !== vectorizer.sklearn_version) {
    problems.push(
      `card.json: versions.sklearn: is ${cardSklearn}, vectorizer.json sklearn_version is ${vectorizer.sklearn_version}`,
    );
  }
  if (runtimeUnicode !== undefined && compareVersions(vectorizer.unicode_version, runtimeUnicode) > 0) {
    problems.push(
      `vectorizer.json: unicode_version: ${vectorizer.unicode_version} is newer than this Node's Unicode ${runtimeUnicode} (NFKD would differ); use a newer Node`,
    );
  }
  const inputNames = new Set(card.inputs.map((i) => i.name));
  vectorizer.blocks.forEach((block, i) => {
    if (!inputNames.has(block.field)) {
      problems.push(`vectorizer.json: blocks[${i}].field: '${block.field}' is not one of card.json inputs`);
    }
    if (block.stemmer !== null && block.analyzer !== 'word') {
      problems.push(`vectorizer.json: blocks[${i}].stemmer: a stemmer needs analyzer 'word'`);
    }
  });
  if (card.task === 'binary' && card.positive_class === undefined && card.threshold !== undefined) {
    problems.push('card.json: positive_class: a threshold needs a positive_class');
  }
  if (card.task !== 'binary' && (card.threshold !== undefined || card.positive_class !== undefined)) {
    problems.push('card.json: threshold: threshold and positive_class are for binary models only');
  }
  return problems;
}

/** A model.onnx problem as a BundleError line that names the file. */
export function onnxProblem(dir: string, error: unknown): BundleError {
  const message = (error as Error).message;
  return new BundleError(dir, [
    message.startsWith(BUNDLE_FILES.onnx) ? message : `${BUNDLE_FILES.onnx}: ${message}`,
  ]);
}

/** model.onnx's path; "missing" is appended to problems when it is not there. */
export async function onnxFile(dir: string, problems: string[]): Promise<string> {
  const onnxPath = join(dir, BUNDLE_FILES.onnx);
  try {
    await access(onnxPath);
  } catch {
    problems.push(`${BUNDLE_FILES.onnx}: missing`);
  }
  return onnxPath;
}

/**
 * The bundle's content version: the first 12 hex digits of a SHA-256 over its files (names and
 * bytes, in a fixed order: the five of a feature bundle, or a sequence bundle's with sequence.json in
 * place of vectorizer.json). Two folders with the same files have the same version wherever they
 * are; any changed byte is a new version. Rejects when a file cannot be read.
 */
export async function bundleHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const sequence = await access(join(dir, SEQUENCE_BUNDLE_FILE)).then(
    () => true,
    () => false,
  );
  const files = Object.values(BUNDLE_FILES).map((file) =>
    sequence && file === BUNDLE_FILES.vectorizer ? SEQUENCE_BUNDLE_FILE : file,
  );
  for (const file of files.sort()) {
    const bytes = await readFile(join(dir, file));
    hash.update(`${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex').slice(0, 12);
}

export async function readBundle(dir: string): Promise<Bundle> {
  const problems: string[] = [];
  const [card, vectorizer, unicode, classifier] = await Promise.all([
    readJsonFile(dir, BUNDLE_FILES.card, cardSchema, problems),
    readJsonFile(dir, BUNDLE_FILES.vectorizer, vectorizerSchema, problems),
    readJsonFile(dir, BUNDLE_FILES.unicode, unicodeTablesSchema, problems),
    readJsonFile(dir, BUNDLE_FILES.classifier, classifierSchema, problems),
  ]);
  const onnxPath = await onnxFile(dir, problems);
  if (card && vectorizer && unicode && classifier)
    problems.push(...crossCheck(card, vectorizer, unicode, classifier));
  if (problems.length > 0 || !card || !vectorizer || !unicode || !classifier)
    throw new BundleError(dir, problems);
  return { dir, card, vectorizer, unicode, classifier, onnxPath };
}
