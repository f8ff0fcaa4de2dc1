/** Model inputs shaped like the disaster-tweets card, for the pure parser tests. */
import { HttpError } from '../../src/errors';
import type { ModelInputs } from '../../src/protocols/rows';

export const TWEET_INPUTS: ModelInputs = [
  { name: 'text', label: 'Tweet', required: true, multiline: true, example: '' },
  { name: 'keyword', label: 'Keyword', required: false, multiline: false, example: '' },
  { name: 'location', label: 'Location', required: false, multiline: false, example: '' },
];

export const LIMITS = { maxBatch: 5, maxTextChars: 50 };

/** The HttpError a call throws (fails the test when it throws nothing or something else). */
export function httpErrorOf(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError, nothing was thrown');
}
