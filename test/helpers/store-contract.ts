/**
 * What every PredictionStore does, run against each real database (test/monitor/store-*.test.ts).
 * `fresh` gives an open, empty store per test.
 */
import type { PredictionStore } from '../../src/monitor/types';
import { HOUR, T0, record } from './prediction-records';

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

export function storeContract(fresh: () => Promise<PredictionStore>): void {
  let store: PredictionStore;
  beforeEach(async () => {
    store = await fresh();
  });
  afterEach(async () => {
    await store.close();
  });

  it('keeps a prediction and reads it back as written', async () => {
    const r = record({ inputs: null, version: null, requestId: null, labels: [], terms: ['a', 'a', 'b'] });
    await store.insertPredictions([r, record()]);
    expect(await store.getPrediction(r.id)).toEqual({ ...r, terms: ['a', 'b'] });
    expect(await store.getPrediction('no-such-id')).toBeUndefined();
  });

  it('records feedback, latest wins, and exports the labeled rows oldest first', async () => {
    const a = record({ time: T0 + 2000 });
    const b = record({ time: T0 + 1000, model: 'other' });
    const c = record({ time: T0 });
    await store.insertPredictions([a, b, c]);
    expect(
      await store.recordFeedback({ predictionId: 'missing', labels: ['x'], time: T0, source: 'api' }),
    ).toBe('unknown-prediction');
    await store.recordFeedback({ predictionId: a.id, labels: ['other'], time: T0 + 10, source: 'api' });
    await store.recordFeedback({ predictionId: a.id, labels: ['disaster'], time: T0 + 20, source: 'form' });
    // An older answer arriving late does not overwrite the newer one.
    await store.recordFeedback({ predictionId: a.id, labels: ['other'], time: T0 + 5, source: 'api' });
    await store.recordFeedback({ predictionId: b.id, labels: ['x'], time: T0, source: 'api' });
    await store.recordFeedback({ predictionId: c.id, labels: ['other'], time: T0, source: 'api' });
    const rows = await collect(store.labeledRows('tweets-mini'));
    expect(rows.map((r) => [r.id, r.trueLabels])).toEqual([
      [c.id, ['other']],
      [a.id, ['disaster']],
    ]);
    expect(rows[1]).toEqual({
      id: a.id,
      time: a.time,
      model: 'tweets-mini',
      version: 'abc123',
      inputs: a.inputs,
      predicted: ['disaster'],
      trueLabels: ['disaster'],
    });
    expect((await collect(store.labeledRows(undefined))).map((r) => r.id)).toEqual([c.id, b.id, a.id]);
    expect((await collect(store.labeledRows(undefined, { since: T0 + 1 }))).map((r) => r.id)).toEqual([
      b.id,
      a.id,
    ]);
    expect((await collect(store.labeledRows(undefined, { limit: 1 }))).map((r) => r.id)).toEqual([c.id]);
  });

  it('pages through a large export without losing or repeating rows', async () => {
    const records = Array.from({ length: 1203 }, (_, i) => record({ time: T0 + Math.floor(i / 7) }));
    await store.insertPredictions(records);
    for (const r of records)
      await store.recordFeedback({ predictionId: r.id, labels: ['disaster'], time: T0, source: 'api' });
    const ids = (await collect(store.labeledRows('tweets-mini'))).map((r) => r.id);
    expect(ids).toHaveLength(1203);
    expect(new Set(ids).size).toBe(1203);
  });

  it('sums hours and days: classes, low signal, coverage, feedback and accuracy', async () => {
    const rows = [
      record({ time: T0 + 10, labels: ['disaster'] }),
      record({ time: T0 + 20, labels: ['other'], coverageKnown: 0 }),
      record({ time: T0 + HOUR + 5, labels: ['disaster'], coverageTotal: 0, coverageKnown: 0 }),
      record({ time: T0 + 30 * HOUR, labels: ['disaster', 'other'] }),
      record({ time: T0 + 40, model: 'other' }),
    ];
    await store.insertPredictions(rows.slice(0, 2));
    await store.insertPredictions(rows.slice(2));
    await store.recordFeedback({ predictionId: rows[0].id, labels: ['disaster'], time: T0, source: 'api' });
    await store.recordFeedback({ predictionId: rows[1].id, labels: ['disaster'], time: T0, source: 'api' });
    await store.recordFeedback({
      predictionId: rows[3].id,
      labels: ['other', 'disaster'],
      time: T0,
      source: 'api',
    });
    const hours = await store.buckets('tweets-mini', { since: T0 + 1, bucket: 'hour' });
    expect(hours).toEqual([
      {
        start: T0,
        predictions: 2,
        classCounts: { disaster: 1, other: 1 },
        lowSignal: 1,
        coverageSum: 0.75,
        withFeedback: 2,
        correct: 1,
      },
      {
        start: T0 + HOUR,
        predictions: 1,
        classCounts: { disaster: 1 },
        lowSignal: 1,
        coverageSum: 0,
        withFeedback: 0,
        correct: 0,
      },
      {
        start: T0 + 30 * HOUR,
        predictions: 1,
        classCounts: { disaster: 1, other: 1 },
        lowSignal: 0,
        coverageSum: 0.75,
        withFeedback: 1,
        correct: 1,
      },
    ]);
    const days = await store.buckets('tweets-mini', { since: T0, bucket: 'day' });
    const day0 = Date.UTC(2026, 0, 5);
    expect(days.map((d) => [d.start, d.predictions, d.withFeedback, d.correct])).toEqual([
      [day0, 3, 2, 1],
      [day0 + 24 * HOUR, 1, 1, 1],
    ]);
    expect(await store.buckets('tweets-mini', { since: T0 + 31 * HOUR, bucket: 'hour' })).toEqual([]);
  });

  it('counts rows per term over a window of hours, most frequent first', async () => {
    await store.insertPredictions([
      record({ time: T0, terms: ['fire', 'forest'] }),
      record({ time: T0 + 1, terms: ['fire', 'flood', 'fire'] }),
      record({ time: T0 + HOUR, terms: ['flood'] }),
      record({ time: T0 + 2 * HOUR, terms: ['calm'] }),
      record({ time: T0, model: 'other', terms: ['fire'] }),
    ]);
    expect(await store.termCounts('tweets-mini', { since: T0, until: T0 + 2 * HOUR, limit: 10 })).toEqual({
      rows: 3,
      terms: [
        { term: 'fire', rows: 2 },
        { term: 'flood', rows: 2 },
        { term: 'forest', rows: 1 },
      ],
    });
    expect(await store.termCounts('tweets-mini', { since: T0 + HOUR, limit: 1 })).toEqual({
      rows: 2,
      terms: [{ term: 'calm', rows: 1 }],
    });
    expect(await store.termCounts('nobody', { since: 0, limit: 5 })).toEqual({ rows: 0, terms: [] });
  });

  it('does not count a batch twice when it is written again (a retry after a lost commit)', async () => {
    const batch = [record(), record()];
    await store.insertPredictions(batch);
    await store.insertPredictions([...batch, record()]);
    expect((await store.termCounts('tweets-mini', { since: 0, limit: 5 })).rows).toBe(3);
  });

  it('prunes by age and by rows, feedback and aggregates with them', async () => {
    const old = record({ time: T0 - 10 * HOUR });
    const rows = Array.from({ length: 12 }, (_, i) => record({ time: T0 + i }));
    await store.insertPredictions([old, ...rows]);
    await store.recordFeedback({ predictionId: old.id, labels: ['x'], time: T0, source: 'api' });
    expect(await store.prune({ olderThan: T0 - HOUR, maxRows: 100 })).toBe(1);
    expect(await store.getPrediction(old.id)).toBeUndefined();
    expect(await collect(store.labeledRows(undefined))).toEqual([]);
    expect(await store.buckets('tweets-mini', { since: 0, bucket: 'hour' })).toHaveLength(1);
    expect(await store.prune({ olderThan: 0, maxRows: 5 })).toBe(7);
    expect(await store.getPrediction(rows[6].id)).toBeUndefined();
    expect(await store.getPrediction(rows[7].id)).toBeDefined();
    expect(await store.prune({ olderThan: 0, maxRows: 5 })).toBe(0);
  });

  it('writes a batch as one transaction: a bad row leaves nothing behind', async () => {
    const good = record();
    const bad = { ...record(), model: null } as unknown as ReturnType<typeof record>;
    // Checked by message: a native driver's error may come from another realm than the test's Error.
    const failure: unknown = await store.insertPredictions([good, bad]).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(String((failure as { message?: unknown }).message)).toMatch(/null/i);
    expect(await store.getPrediction(good.id)).toBeUndefined();
    expect((await store.termCounts('tweets-mini', { since: 0, limit: 5 })).rows).toBe(0);
  });
}
