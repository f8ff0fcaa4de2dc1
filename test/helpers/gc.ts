import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's own gc function, as --expose-gc gives it, without the flag staying on: while it is on,
 * every new context (the next test file jest runs in this worker) gets a `gc` global that cannot
 * be deleted.
 */
export function v8Gc(): (options?: object) => unknown {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as (options?: object) => unknown;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
