/**
 * The bundle format (docs/bundle-format.md) as zod schemas: the single authority on what a valid
 * artifacts/<name>/ folder holds. Pure: no I/O here; bundle.ts reads the files and reports errors
 * with the file name and the field path.
 */
import { z } from 'zod';

export const SUPPORTED_FORMAT_VERSION = 2;

const formatVersion = z
  .number()
  .int()
  .min(1)
  .refine((v) => v <= SUPPORTED_FORMAT_VERSION, {
    message: `format version is newer than this server supports (${SUPPORTED_FORMAT_VERSION}); upgrade Sift`,
  });

/**
 * An array of tens of thousands of elements (vocabularies, idf, coefficients) checked in one loop
 * rather than one schema per element: the same verdict, a fraction of the start-up time. Reports
 * the first bad element by index.
 */
export function largeArray<T>(isElement: (value: unknown) => value is T, expected: string) {
  return z.custom<T[]>().superRefine((value, ctx) => {
    if (!Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `expected an array of ${expected}` });
      return;
    }
    for (let i = 0; i < value.length; i++) {
      if (!isElement(value[i])) {
        ctx.addIssue({ code: 'custom', path: [i], message: `expected ${expected}` });
        return;
      }
    }
  });
}
const isString = (value: unknown): value is string => typeof value === 'string';
const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const stringArray = largeArray(isString, 'strings');
const finiteArray = largeArray(isFiniteNumber, 'finite numbers');

const range = z.tuple([z.number().int().min(0).max(0x10ffff), z.number().int().min(0).max(0x10ffff)]);
const ranges = z.array(range);
const labelValue = z.union([z.number(), z.string()]);

export const unicodeTablesSchema = z.object({
  format_version: formatVersion,
  unicode_version: z.string().min(1),
  python_version: z.string().min(1),
  word: ranges,
  digit: ranges,
  space: ranges,
  assigned: ranges,
  combining: ranges,
  case_ignorable: ranges,
  cased: ranges,
  lower: z.record(z.string().regex(/^\d+$/), z.string()),
});
export type UnicodeTables = z.infer<typeof unicodeTablesSchema>;

export const featureBlockSchema = z
  .object({
    field: z.string().min(1),
    offset: z.number().int().min(0),
    width: z.number().int().min(0),
    weight: z.number().finite().default(1),
    kind: z.enum(['tfidf', 'count']),
    analyzer: z.enum(['word', 'char', 'char_wb']),
    ngram_range: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
    lowercase: z.boolean(),
    strip_accents: z.enum(['ascii', 'unicode']).nullable(),
    token_pattern: z.string().nullable(),
    stop_words: z.array(z.string()).nullable(),
    stemmer: z.enum(['porter', 'lancaster']).nullable(),
    binary: z.boolean(),
    sublinear_tf: z.boolean(),
    norm: z.enum(['l1', 'l2']).nullable(),
    use_idf: z.boolean(),
    vocabulary: stringArray,
    idf: finiteArray.nullable(),
  })
  .superRefine((b, ctx) => {
    if (b.ngram_range[0] > b.ngram_range[1]) {
      ctx.addIssue({ code: 'custom', path: ['ngram_range'], message: 'min_n is greater than max_n' });
    }
    if (b.vocabulary.length !== b.width) {
      ctx.addIssue({
        code: 'custom',
        path: ['vocabulary'],
        message: `has ${b.vocabulary.length} terms, width is ${b.width}`,
      });
    }
    if (b.idf !== null && b.idf.length !== b.width) {
      ctx.addIssue({
        code: 'custom',
        path: ['idf'],
        message: `has ${b.idf.length} values, width is ${b.width}`,
      });
    }
    if (b.kind === 'tfidf' && b.use_idf && b.idf === null) {
      ctx.addIssue({ code: 'custom', path: ['idf'], message: 'use_idf is true but idf is null' });
    }
    if (b.analyzer === 'word' && b.token_pattern === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['token_pattern'],
        message: 'a word analyzer needs a token_pattern',
      });
    }
  });
export type FeatureBlock = z.infer<typeof featureBlockSchema>;

export const vectorizerSchema = z
  .object({
    format_version: formatVersion,
    sklearn_version: z.string().min(1),
    python_version: z.string().min(1),
    unicode_version: z.string().min(1),
    width: z.number().int().min(1),
    blocks: z.array(featureBlockSchema).min(1),
  })
  .superRefine((v, ctx) => {
    let offset = 0;
    v.blocks.forEach((b, i) => {
      if (b.offset !== offset) {
        ctx.addIssue({
          code: 'custom',
          path: ['blocks', i, 'offset'],
          message: `is ${b.offset}, expected ${offset}`,
        });
      }
      offset += b.width;
    });
    if (offset !== v.width) {
      ctx.addIssue({ code: 'custom', path: ['width'], message: `is ${v.width}, blocks add up to ${offset}` });
    }
  });
export type VectorizerSpec = z.infer<typeof vectorizerSchema>;

export const linearClassifierSchema = z
  .object({
    format_version: formatVersion,
    /** Absent in version 1 files: every version-1 classifier is linear. */
    kind: z.literal('linear').optional(),
    estimator: z.string().min(1),
    output: z.enum(['probabilities', 'scores']),
    post_transform: z.enum(['logistic', 'softmax', 'logistic_l1', 'modified_huber', 'none']),
    multilabel: z.boolean(),
    width: z.number().int().min(1),
    intercepts: z.array(z.number().finite()).min(1),
    coefficients: z.array(finiteArray).min(1),
  })
  .superRefine((c, ctx) => {
    if (c.coefficients.length !== c.intercepts.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['coefficients'],
        message: `has ${c.coefficients.length} rows, intercepts has ${c.intercepts.length}`,
      });
    }
    c.coefficients.forEach((row, i) => {
      if (row.length !== c.width) {
        ctx.addIssue({
          code: 'custom',
          path: ['coefficients', i],
          message: `has ${row.length} values, width is ${c.width}`,
        });
      }
    });
    if ((c.output === 'scores') !== (c.post_transform === 'none')) {
      ctx.addIssue({
        code: 'custom',
        path: ['output'],
        message: 'scores go with post_transform none, probabilities with any other',
      });
    }
  });
export type LinearClassifierSpec = z.infer<typeof linearClassifierSchema>;

/**
 * Format 2, kind `onnx`: a classifier that only model.onnx computes (trees, boosting, neural
 * networks, a user's own graph). `probabilities` float32 [N, classes] is its one output the server
 * reads; the label is the first maximum of those probabilities.
 */
export const onnxClassifierSchema = z
  .object({
    format_version: formatVersion.refine((v) => v >= 2, { message: 'kind onnx needs format_version 2' }),
    kind: z.literal('onnx'),
    estimator: z.string().min(1),
    output: z.literal('probabilities'),
    /** Multi-label: one independent probability per label (a sigmoid each), not summing to 1. */
    multilabel: z.boolean(),
    width: z.number().int().min(1),
    classes: z.number().int().min(2),
    explanation: z.literal('occlusion'),
    /** Columns the graph can read (trees); null when every column may matter. */
    used_features: z.array(z.number().int().min(0)).nullable().default(null),
  })
  .superRefine((c, ctx) => {
    const used = c.used_features;
    if (used === null) return;
    for (let i = 0; i < used.length; i++) {
      if (used[i] >= c.width || (i > 0 && used[i] <= used[i - 1])) {
        ctx.addIssue({
          code: 'custom',
          path: ['used_features', i],
          message: `must be increasing column indices below width ${c.width}`,
        });
        return;
      }
    }
  });
export type OnnxClassifierSpec = z.infer<typeof onnxClassifierSchema>;

/** classifier.json: the schema is chosen by `kind` so that problems name the right fields. */
export const classifierSchema = z
  .unknown()
  .transform((raw, ctx): LinearClassifierSpec | OnnxClassifierSpec => {
    const kind = (raw as { kind?: unknown } | null)?.kind;
    const parsed =
      kind === 'onnx' ? onnxClassifierSchema.safeParse(raw) : linearClassifierSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
      return z.NEVER;
    }
    return parsed.data;
  });
export type ClassifierSpec = LinearClassifierSpec | OnnxClassifierSpec;

/** How many classes (columns of the values) a classifier has. */
export function classCount(spec: ClassifierSpec): number {
  return spec.kind === 'onnx' ? spec.classes : spec.intercepts.length;
}

const metricsPerClass = z.object({
  class: labelValue,
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  accuracy: z.number(),
  support: z.number().int(),
});

/** What a model name may be: it appears in URLs and file names. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const cardSchema = z
  .object({
    format_version: formatVersion,
    name: z.string().regex(MODEL_NAME_PATTERN, 'must be lowercase letters, digits, . _ - (max 64)'),
    title: z.string().min(1),
    description: z.string(),
    task: z.enum(['binary', 'multiclass', 'multilabel']),
    inputs: z
      .array(
        z.object({
          name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier'),
          label: z.string().min(1),
          required: z.boolean(),
          multiline: z.boolean(),
          example: z.string().default(''),
        }),
      )
      .min(1),
    classes: z.array(z.object({ value: labelValue, name: z.string().min(1) })).min(1),
    positive_class: z.number().int().min(0).optional(),
    threshold: z.number().gt(0).lt(1).optional(),
    /** Multi-label only: label k applies when its probability is above label_thresholds[k] (default 0.5). */
    label_thresholds: z.array(z.number().gt(0).lt(1)).optional(),
    metrics: z
      .object({
        accuracy: z.number(),
        macro_f1: z.number(),
        roc_auc: z.number().optional(),
        per_class: z.array(metricsPerClass),
        confusion_matrix: z.array(z.array(z.number().int())),
        train_size: z.number().int(),
        test_size: z.number().int(),
      })
      .passthrough()
      .nullable(),
    data: z.object({ file: z.string(), sha256: z.string(), rows: z.number().int() }).nullable(),
    versions: z.record(z.string(), z.string()),
    /** The exporter's or user's own version string (shown beside the content hash). */
    version: z.string().min(1).max(64).optional(),
    created_at: z.string(),
    training: z.record(z.string(), z.unknown()).default({}),
    examples: z.array(z.object({ title: z.string(), inputs: z.record(z.string(), z.string()) })).default([]),
    golden: z
      .array(
        z.object({
          inputs: z.record(z.string(), z.string()),
          label: z.union([labelValue, z.array(labelValue)]),
          values: z.array(z.number()),
        }),
      )
      .default([]),
  })
  .superRefine((c, ctx) => {
    if (c.task === 'binary' && c.classes.length !== 2) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a binary model has exactly 2 classes' });
    }
    if (c.positive_class !== undefined && c.positive_class >= c.classes.length) {
      ctx.addIssue({ code: 'custom', path: ['positive_class'], message: 'is not a class index' });
    }
    if (c.label_thresholds !== undefined) {
      if (c.task !== 'multilabel') {
        ctx.addIssue({
          code: 'custom',
          path: ['label_thresholds'],
          message: 'are for multi-label models only',
        });
      } else if (c.label_thresholds.length !== c.classes.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['label_thresholds'],
          message: `has ${c.label_thresholds.length} thresholds for ${c.classes.length} labels`,
        });
      }
    }
    c.golden.forEach((g, i) => {
      if (g.values.length !== c.classes.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['golden', i, 'values'],
          message: `has ${g.values.length} values for ${c.classes.length} classes`,
        });
      }
    });
  });
export type ModelCard = z.infer<typeof cardSchema>;
