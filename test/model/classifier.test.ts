import { join } from 'node:path';
import { HttpError } from '../../src/errors';
import { readBundle } from '../../src/model/bundle';
import { loadModel, SiftModel } from '../../src/model/classifier';
import { decisionScores } from '../../src/model/linear';
import { BUNDLES, copyBundle, scratchDir } from './helpers';

const TWEETS = join(BUNDLES, 'tweets-mini');
const SENTIMENT = join(BUNDLES, 'sentiment-mini');
const TOXIC = join(BUNDLES, 'toxic-mini');

describe.each([
  ['tweets-mini', TWEETS],
  ['sentiment-mini', SENTIMENT],
  ['toxic-mini', TOXIC],
])('%s', (_name, dir) => {
  let model: SiftModel;
  beforeAll(async () => {
    // Tiny chunks and ONNX from 2 rows on, so both paths and several chunks are exercised.
    model = await loadModel(dir, { onnxMinRows: 2, maxChunkBytes: 3 * 4 * 1200 });
  });
  afterAll(() => model.close());

  it('is ready after its golden self-test', () => {
    expect(model.status()).toEqual({ ready: true });
    expect(model.selfTest?.checked).toBe(model.card.golden.length);
    expect(model.selfTest?.maxDifference).toBeLessThan(1e-6);
  });

  it('answers the golden examples through predict()', async () => {
    const rows = model.card.golden.map((g) => g.inputs);
    const viaOnnx = await model.predict(rows);
    const viaLinear = await Promise.all(rows.map(async (row) => (await model.predict([row]))[0]));
    viaOnnx.forEach((prediction, i) => {
      const golden = model.card.golden[i];
      golden.values.forEach((v, k) => {
        expect(Math.abs(prediction.values[k] - v)).toBeLessThan(1e-5);
        expect(Math.abs(viaLinear[i].values[k] - prediction.values[k])).toBeLessThan(1e-6);
      });
      expect(viaLinear[i].classIndex).toBe(prediction.classIndex);
      expect(viaLinear[i].positives).toEqual(prediction.positives);
      if (model.card.task === 'multilabel') {
        expect(prediction.positives.map((k) => model.card.classes[k].value)).toEqual(golden.label);
        expect(prediction.classIndex).toBe(prediction.positives[0] ?? -1);
      } else {
        expect(model.card.classes[prediction.classIndex].value).toBe(golden.label);
        expect(prediction.positives).toEqual([prediction.classIndex]);
      }
    });
  });

  it('answers concurrent ONNX batches (one shared input buffer, taking turns) as it answers them one by one', async () => {
    const golden = model.card.golden.map((g) => g.inputs);
    const batches = [golden, [...golden].reverse(), golden.slice(0, 2), [...golden, ...golden]];
    const oneByOne = [];
    for (const rows of batches) oneByOne.push(await model.predict(rows));
    const together = await Promise.all(batches.map((rows) => model.predict(rows)));
    expect(together.map((b) => b.map((p) => p.values))).toEqual(oneByOne.map((b) => b.map((p) => p.values)));
  });

  it('explains a prediction with terms whose contributions add up to the score', async () => {
    const row = model.card.golden.find((g) => Object.values(g.inputs).some((t) => t.length > 20))?.inputs ?? {
      text: model.card.inputs[0].example,
    };
    const [prediction] = await model.predict([row], { explain: true, topTerms: 1000 });
    const explanation = prediction.explanation;
    expect(explanation).toBeDefined();
    if (explanation === undefined) return;
    const classIndex = prediction.classIndex >= 0 ? prediction.classIndex : explanation.classIndex;
    expect(explanation.classIndex).toBe(classIndex);
    const z = decisionScores(model.layer!, model.vectorizer.transformRow(row))[classIndex];
    const sum = [...explanation.toward, ...explanation.against].reduce(
      (s, t) => s + t.contribution,
      explanation.intercept,
    );
    expect(sum).toBeCloseTo(z, 5);
    const toward = explanation.toward.map((t) => t.contribution);
    expect(toward).toEqual([...toward].sort((a, b) => b - a));
    expect(toward.every((c) => c > 0)).toBe(true);
    const against = explanation.against.map((t) => t.contribution);
    expect(against).toEqual([...against].sort((a, b) => a - b));
    for (const term of [...explanation.toward, ...explanation.against]) {
      expect(model.card.inputs.map((i) => i.name)).toContain(term.field);
      expect(term.term.length).toBeGreaterThan(0);
    }
    const [short] = await model.predict([row], { explain: true, topTerms: 2 });
    expect(short.explanation?.toward.length).toBeLessThanOrEqual(2);
    expect(short.explanation?.against.length).toBeLessThanOrEqual(2);
  });

  it('reports coverage', async () => {
    const [known] = await model.predict([{ text: 'the the the' }]);
    expect(known.coverage.total).toBeGreaterThan(0);
    const row = { text: 'qqqzx zzqqv' };
    const [unknown] = await model.predict([row]);
    const terms = model.vectorizer.analyzeRow(row).reduce((n, t) => n + t.length, 0);
    expect(terms).toBeGreaterThanOrEqual(2);
    expect(unknown.coverage).toEqual({ total: terms, known: 0, ratio: 0 });
    const [empty] = await model.predict([{ text: '' }]);
    expect(empty.coverage).toEqual({ total: 0, known: 0, ratio: 0 });
  });

  it('returns nothing for no rows', async () => {
    expect(await model.predict([])).toEqual([]);
  });
});

describe('serving rules', () => {
  let scratch: ReturnType<typeof scratchDir>;
  beforeAll(() => {
    scratch = scratchDir();
  });
  afterAll(() => scratch.cleanup());

  it('applies a tuned binary threshold on top of sklearn’s argmax', async () => {
    const dir = copyBundle(TWEETS, join(scratch.dir, 'threshold'), { card: (c) => void (c.threshold = 0.9) });
    const model = await loadModel(dir);
    try {
      expect(model.status().ready).toBe(true);
      const rows = model.card.golden.map((g) => g.inputs);
      const predictions = await model.predict(rows);
      predictions.forEach((p) => expect(p.classIndex).toBe(p.values[1] > 0.9 ? 1 : 0));
    } finally {
      await model.close();
    }
  });

  it('is not served when its golden self-test fails, and says why', async () => {
    const dir = copyBundle(TWEETS, join(scratch.dir, 'golden'), {
      card: (c) => {
        const golden = c.golden as { values: number[] }[];
        golden[0].values = [golden[0].values[0] + 0.01, golden[0].values[1] - 0.01];
      },
    });
    const model = await loadModel(dir);
    try {
      const status = model.status();
      expect(status.ready).toBe(false);
      expect(status.reason).toMatch(/golden example 0 \(linear, one row per call\): value 0 .*> 0\.00001/);
      await expect(model.predict([{ text: 'fire' }])).rejects.toMatchObject({ status: 503, expose: true });
    } finally {
      await model.close();
    }
  });

  it('turns a runtime failure into a 503 for that model only', async () => {
    const [broken, healthy] = await Promise.all([loadModel(TWEETS), loadModel(SENTIMENT)]);
    try {
      const invalid = [{ text: 42 }] as unknown as Record<string, string>[];
      const error = await broken.predict(invalid).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 503 });
      expect(broken.status()).toMatchObject({
        ready: false,
        reason: expect.stringMatching(/^runtime failure/),
      });
      await expect(broken.predict([{ text: 'fire' }])).rejects.toMatchObject({ status: 503 });
      expect((await healthy.predict([{ text: 'great flight' }])).length).toBe(1);
    } finally {
      await Promise.all([broken.close(), healthy.close()]);
    }
  });

  it('refuses predictions after close()', async () => {
    const model = await SiftModel.load(await readBundle(TWEETS));
    await model.close();
    await model.close();
    expect(model.status()).toEqual({ ready: false, reason: 'closed' });
    await expect(model.predict([{ text: 'fire' }])).rejects.toMatchObject({ status: 503 });
  });
});
