/**
 * The worker thread's side of store-thread.ts: builds the real store from the spec and answers the
 * main thread's calls one message each; labeledRows is streamed in pages through cursors.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  CURSOR_PAGE,
  type StoreSpec,
  type ThreadReply,
  type ThreadRequest,
  buildStore,
} from './store-thread';
import { SqliteStore } from './store-sqlite';
import type { LabeledRow } from './types';

const port = parentPort;
if (port === null) throw new Error('store-thread-worker runs on a worker thread only');
const reply = (message: ThreadReply) => port.postMessage(message);

const store = buildStore((workerData as { spec: StoreSpec }).spec, (message) =>
  reply({ type: 'idle-error', message }),
);
const cursors = new Map<number, AsyncIterator<LabeledRow>>();
let nextCursor = 1;

async function handle(method: string, args: readonly unknown[]): Promise<unknown> {
  const arg = (i: number) => args[i] as never;
  switch (method) {
    case 'open':
      return store.open();
    case 'insertPredictions':
      return store.insertPredictions(arg(0));
    case 'recordFeedback':
      return store.recordFeedback(arg(0));
    case 'getPrediction':
      return store.getPrediction(arg(0));
    case 'buckets':
      return store.buckets(arg(0), arg(1));
    case 'termCounts':
      return store.termCounts(arg(0), arg(1));
    case 'prune':
      return store.prune(arg(0));
    case 'pragma':
      if (!(store instanceof SqliteStore)) throw new Error('PRAGMA is for SQLite only');
      return store.pragma(arg(0));
    case 'labeledRows.open': {
      const cursor = nextCursor++;
      cursors.set(cursor, store.labeledRows(arg(0), arg(1))[Symbol.asyncIterator]());
      return cursor;
    }
    case 'labeledRows.next': {
      const iterator = cursors.get(arg(0));
      if (iterator === undefined) throw new Error('unknown cursor');
      const rows: LabeledRow[] = [];
      while (rows.length < CURSOR_PAGE) {
        const next = await iterator.next();
        if (next.done === true) {
          cursors.delete(arg(0));
          return { rows, done: true };
        }
        rows.push(next.value);
      }
      return { rows, done: false };
    }
    case 'labeledRows.close':
      await cursors.get(arg(0))?.return?.();
      cursors.delete(arg(0));
      return undefined;
    case 'close':
      return store.close();
    default:
      throw new Error(`unknown method ${method}`);
  }
}

port.on('message', (request: ThreadRequest) => {
  handle(request.method, request.args).then(
    (result) => reply({ id: request.id, result }),
    (error: unknown) =>
      reply({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
