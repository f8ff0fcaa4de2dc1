/**
 * Format 2 sequence models (docs/bundle-format.md, "sequence.json"): the text of one field → token
 * ids → one padded int64 row of `maxlen` ids, the input of the user's network (embedding + LSTM…).
 * Kept beside schema.ts, which it extends: the schema is the authority on the format.
 */
import { z } from 'zod';
import { largeArray, SUPPORTED_FORMAT_VERSION } from './schema';

const isString = (value: unknown): value is string => typeof value === 'string';
const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

const LONE_SURROGATE = /\p{Cs}/u;
const noLoneSurrogate = (s: string): boolean => !LONE_SURROGATE.test(s);

export const kerasTokenizerSchema = z.object({
  type: z.literal('keras'),
  filters: z.string().refine(noLoneSurrogate, 'has a lone surrogate'),
  lower: z.boolean(),
  split: z.string().min(1, 'must not be empty').refine(noLoneSurrogate, 'has a lone surrogate'),
  char_level: z.boolean(),
  /** Keras keeps ids below num_words (null or 0: every id). */
  num_words: z.number().int().min(0).nullable(),
  oov_token: z.string().nullable(),
});

export const patternTokenizerSchema = z.object({
  type: z.literal('pattern'),
  /** A Python (sklearn-style) pattern; re.findall semantics, one group → that group. */
  token_pattern: z.string().min(1),
  lowercase: z.boolean(),
});

export const sequenceBlockSchema = z
  .object({
    field: z.string().min(1),
    kind: z.literal('sequence'),
    tokenizer: z.discriminatedUnion('type', [kerasTokenizerSchema, patternTokenizerSchema]),
    /** vocabulary[i] has id ids[i] (Keras: word_index in id order). */
    vocabulary: largeArray(isString, 'strings'),
    ids: largeArray(isId, 'non-negative integer ids'),
    /** Id of unknown tokens (Keras: word_index[oov_token]); null drops them. */
    oov_id: z.number().int().min(0).nullable(),
    maxlen: z.number().int().min(1).max(100_000),
    padding: z.enum(['pre', 'post']),
    truncating: z.enum(['pre', 'post']),
    pad_value: z.number().int(),
  })
  .superRefine((b, ctx) => {
    if (b.vocabulary.length !== b.ids.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['ids'],
        message: `has ${b.ids.length} ids for ${b.vocabulary.length} tokens`,
      });
      return;
    }
    const seen = new Set<string>();
    for (let i = 0; i < b.vocabulary.length; i++) {
      if (seen.has(b.vocabulary[i])) {
        ctx.addIssue({ code: 'custom', path: ['vocabulary', i], message: 'repeats a token' });
        return;
      }
      seen.add(b.vocabulary[i]);
    }
    const t = b.tokenizer;
    if (t.type === 'keras' && (t.oov_token === null) !== (b.oov_id === null)) {
      ctx.addIssue({ code: 'custom', path: ['oov_id'], message: 'must be set exactly when oov_token is' });
    }
    if (t.type === 'keras' && t.oov_token !== null && b.oov_id !== null) {
      const at = b.vocabulary.indexOf(t.oov_token);
      if (at < 0 || b.ids[at] !== b.oov_id) {
        ctx.addIssue({
          code: 'custom',
          path: ['oov_id'],
          message: 'is not the id of oov_token in the vocabulary',
        });
      }
    }
  });
export type SequenceBlock = z.infer<typeof sequenceBlockSchema>;

/** sequence.json: what replaces vectorizer.json in a sequence model's bundle. */
export const sequenceSpecSchema = z.object({
  format_version: z
    .number()
    .int()
    .min(2, 'sequence models need format_version 2')
    .max(
      SUPPORTED_FORMAT_VERSION,
      `is newer than this server supports (${SUPPORTED_FORMAT_VERSION}); upgrade Sift`,
    ),
  python_version: z.string().min(1),
  unicode_version: z.string().min(1),
  /** The ONNX input that receives the ids: int64 [N, maxlen]. */
  input_name: z.string().min(1),
  block: sequenceBlockSchema,
});
export type SequenceSpec = z.infer<typeof sequenceSpecSchema>;
