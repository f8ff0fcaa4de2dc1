/**
 * The prediction store on a worker thread. Both SQLite drivers are synchronous and `pg` builds and
 * parses its messages in JavaScript: written on the main thread, a batch of 200 rows held the event
 * loop for ~7–12 ms (docs/prediction-log.md). Here the main thread only posts the batch; the
 * thread (store-thread-worker.ts) owns the real store and its connection.
 *
 * A thread needs compiled JavaScript, or a TypeScript hook it can inherit (`node -r
 * test/helpers/ts-register.js`); where it has neither (jest runs the sources in its own module
 * system) the store runs on the main thread instead, with the same behaviour.
 */
import { Worker } from 'node:worker_threads';
import type { PostgresStoreOptions } from './store-postgres';
import { createPostgresStore } from './store-postgres';
import type { SqliteStoreOptions } from './store-sqlite';
import { createSqliteStore } from './store-sqlite';
import type {
  BucketStats,
  FeedbackOutcome,
  FeedbackRecord,
  LabeledRow,
  PredictionRecord,
  PredictionStore,
  TermCount,
} from './types';

export type StoreSpec =
  | { readonly kind: 'sqlite'; readonly options: SqliteStoreOptions }
  | { readonly kind: 'postgres'; readonly options: Omit<PostgresStoreOptions, 'onIdleError'> };

export interface ThreadOptions {
  /** 'auto': a thread when this process can start one (see above); false: the main thread. */
  readonly thread?: 'auto' | false | { readonly execArgv: readonly string[] };
  /** Told when PostgreSQL drops an idle connection. */
  readonly onIdleError?: (message: string) => void;
}

/** What crosses to the thread: a method of the store and its arguments. */
export interface ThreadRequest {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}
export type ThreadReply =
  | { readonly id: number; readonly result?: unknown; readonly error?: undefined }
  | { readonly id: number; readonly error: string }
  | { readonly type: 'idle-error'; readonly message: string };

/** Rows per message when the thread streams labeledRows. */
export const CURSOR_PAGE = 500;

export function buildStore(spec: StoreSpec, onIdleError?: (message: string) => void) {
  return spec.kind === 'sqlite'
    ? createSqliteStore(spec.options)
    : createPostgresStore({ ...spec.options, onIdleError: (error) => onIdleError?.(error.message) });
}

/** Whether a worker thread could load this module's compiled or hooked sources. */
function canThread(): boolean {
  if (__filename.endsWith('.js')) return true;
  // Running from TypeScript sources: only with a `.ts` hook in Node's own loader, which the thread
  // inherits through execArgv (jest's sandboxed require has none).
  return typeof require.extensions === 'object' && '.ts' in require.extensions && process.execArgv.length > 0;
}

export function createStore(
  spec: StoreSpec,
  options: ThreadOptions = {},
): PredictionStore & { readonly threaded: boolean } {
  const thread = options.thread ?? 'auto';
  if (thread === false || (thread === 'auto' && !canThread())) {
    return Object.assign(buildStore(spec, options.onIdleError), { threaded: false });
  }
  // 'auto' passes no execArgv: Node then inherits the parent's options itself and leaves out the
  // V8 and process-wide flags a thread may not take. Passing process.execArgv explicitly throws
  // ERR_WORKER_INVALID_EXEC_ARGV under `npm start` and the image's ENTRYPOINT
  // (--max-semi-space-size=4 --expose-gc), and the log never opened there.
  return new ThreadedStore(spec, thread === 'auto' ? undefined : [...thread.execArgv], options.onIdleError);
}

const WORKER_FILE = __filename.replace(/store-thread\.(ts|js)$/, 'store-thread-worker.$1');
// eval: a worker's file must end in .js/.mjs/.cjs; from sources it is a .ts one, loaded by the hook.
const BOOTSTRAP = `require(require('node:worker_threads').workerData.file)`;

class ThreadedStore implements PredictionStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly threaded = true;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** open() succeeded and close() was not called: a thread that died is restarted and reopened. */
  private wanted = false;

  constructor(
    private readonly spec: StoreSpec,
    private readonly execArgv: string[] | undefined,
    private readonly onIdleError?: (message: string) => void,
  ) {
    this.kind = spec.kind;
  }

  private start(): Worker {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      ...(this.execArgv === undefined ? {} : { execArgv: this.execArgv }),
      workerData: { file: WORKER_FILE, spec: this.spec },
    });
    // An idle log must not keep the process alive; close() ends the thread.
    worker.unref();
    worker.on('message', (reply: ThreadReply) => {
      if ('type' in reply) return this.onIdleError?.(reply.message);
      const call = this.pending.get(reply.id);
      if (call === undefined) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) call.reject(new Error(reply.error));
      else call.resolve(reply.result);
    });
    const stopped = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const call of this.pending.values())
        call.reject(new Error(`the prediction log thread stopped: ${why}`));
      this.pending.clear();
    };
    worker.on('error', (error) => stopped(error.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private send(method: string, args: readonly unknown[], worker: Worker): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (worker !== this.worker) return reject(new Error('the prediction log thread stopped'));
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args } satisfies ThreadRequest);
    });
  }

  private async call(method: string, ...args: unknown[]): Promise<unknown> {
    let worker = this.worker;
    if (worker === undefined) {
      if (!this.wanted) throw new Error(`the prediction log (${this.kind}) is not open`);
      worker = this.start();
      await this.send('open', [], worker);
    }
    return this.send(method, args, worker);
  }

  async open(): Promise<void> {
    if (this.wanted && this.worker !== undefined) return;
    const worker = this.worker ?? this.start();
    try {
      await this.send('open', [], worker);
    } catch (error) {
      this.worker = undefined;
      await worker.terminate();
      throw error;
    }
    this.wanted = true;
  }

  async insertPredictions(records: readonly PredictionRecord[]): Promise<void> {
    await this.call('insertPredictions', records);
  }

  async recordFeedback(feedback: FeedbackRecord): Promise<FeedbackOutcome> {
    return (await this.call('recordFeedback', feedback)) as FeedbackOutcome;
  }

  async getPrediction(id: string): Promise<PredictionRecord | undefined> {
    return (await this.call('getPrediction', id)) as PredictionRecord | undefined;
  }

  async *labeledRows(
    model: string | undefined,
    options?: { since?: number; limit?: number },
  ): AsyncIterable<LabeledRow> {
    const cursor = (await this.call('labeledRows.open', model, options)) as number;
    let done = false;
    try {
      while (!done) {
        const page = (await this.call('labeledRows.next', cursor)) as { rows: LabeledRow[]; done: boolean };
        done = page.done;
        yield* page.rows;
      }
    } finally {
      if (!done) await this.call('labeledRows.close', cursor).catch(() => undefined);
    }
  }

  async buckets(model: string, options: { since: number; bucket: 'hour' | 'day' }): Promise<BucketStats[]> {
    return (await this.call('buckets', model, options)) as BucketStats[];
  }

  async termCounts(
    model: string,
    options: { since: number; until?: number; limit: number },
  ): Promise<{ rows: number; terms: TermCount[] }> {
    return (await this.call('termCounts', model, options)) as { rows: number; terms: TermCount[] };
  }

  async prune(options: { olderThan: number; maxRows: number }): Promise<number> {
    return (await this.call('prune', options)) as number;
  }

  /** SQLite only: a PRAGMA on the thread's connection (SqliteStore.pragma). */
  async pragma(statement: string): Promise<void> {
    await this.call('pragma', statement);
  }

  async close(): Promise<void> {
    this.wanted = false;
    const worker = this.worker;
    if (worker === undefined) return;
    await this.send('close', [], worker).catch(() => undefined);
    this.worker = undefined;
    await worker.terminate();
  }
}
