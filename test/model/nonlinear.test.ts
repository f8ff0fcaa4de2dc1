/**
 * Classifiers served only through ONNX (classifier.json kind onnx, bundle format 2) over HTTP: the
 * JSON API and the result page label occlusion explanations, a batch answers every row, and the
 * golden self-test gates readiness exactly as for linear models.
 */
import { join } from 'node:path';
import request from 'supertest';
import { loadModel } from '../../src/model/classifier';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { buildTestApp } from '../helpers/app';
import { copyBundle, scratchDir } from './helpers';

const PARITY = join(__dirname, '..', 'fixtures', 'parity');
const XGB = 'tree-xgboost-tutorial-binary';
const MLP = 'mlp-tanh-two-layers-multiclass';
const FIRE = { text: 'Forest fire near La Ronge Sask. Canada, evacuation ordered', keyword: 'wildfire' };

describe('kind onnx bundles', () => {
  const scratch = scratchDir();
  let registry: SiftRegistry;

  beforeAll(async () => {
    copyBundle(join(PARITY, XGB), join(scratch.dir, XGB));
    copyBundle(join(PARITY, MLP), join(scratch.dir, MLP));
    registry = await loadRegistry(scratch.dir, { defaultModel: XGB });
  });
  afterAll(async () => {
    await registry?.close();
    scratch.cleanup();
  });

  it('load and pass their self-test through ONNX only', () => {
    for (const model of registry.list()) {
      expect(model.status()).toEqual({ ready: true });
      expect(model.paths).toEqual(['onnx']);
      expect(model.layer).toBeNull();
      expect(model.selfTest?.checked).toBeGreaterThan(0);
    }
  });

  it('answer explain=true with occlusion contributions, labelled with the method', async () => {
    const t = buildTestApp(registry);
    const res = await request(t.app).post(`/models/${XGB}/predict?explain=true&top_terms=3`).send(FIRE);
    expect(res.status).toBe(200);
    const body = res.body as {
      probabilities: Record<string, number>;
      label: number;
      explanation: { method: string; class: number; intercept: number; toward: { term: string }[] };
    };
    expect(body.explanation.method).toBe('occlusion');
    expect(body.explanation.class).toBe(body.label);
    expect(body.explanation.toward.length).toBeLessThanOrEqual(3);
    const p = body.probabilities[String(body.label)];
    expect(p).toBe(Math.max(...Object.values(body.probabilities)));
    expect(body.explanation.intercept).toBeGreaterThan(0);
    expect(body.explanation.intercept).toBeLessThan(1);
  });

  it('explain a batch row by row with the same numbers as one at a time', async () => {
    const t = buildTestApp(registry);
    const rows = [
      FIRE,
      { text: 'I love this sunny day', keyword: '' },
      { text: 'flood warning', keyword: 'flood' },
    ];
    const batch = await request(t.app)
      .post(`/models/${MLP}/predict?explain=true`)
      .send({ instances: rows.map((r) => ({ text: r.text })) });
    expect(batch.status).toBe(200);
    const single = await request(t.app)
      .post(`/models/${MLP}/predict?explain=true`)
      .send({ text: rows[2].text });
    const predictions = (batch.body as { predictions: { explanation: unknown }[] }).predictions;
    expect(predictions).toHaveLength(3);
    expect(predictions[2].explanation).toEqual((single.body as { explanation: unknown }).explanation);
  });

  it('say on the result page that the explanation is an occlusion', async () => {
    const t = buildTestApp(registry);
    const res = await request(t.app)
      .post('/predict')
      .type('form')
      .set('Accept', 'text/html')
      .send({ model: XGB, ...FIRE, explain: 'true' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('occlusion');
    expect(res.text).not.toContain('exact for a linear model');
  });

  it("answer a CSV upload and the SageMaker protocol with the JSON API's probabilities", async () => {
    const t = buildTestApp(registry);
    const csv = `id,text,keyword\r\n1,"${FIRE.text}",wildfire\r\n2,What a lovely day,sunny\r\n`;
    const res = await request(t.app).post(`/models/${XGB}/predict`).attach('file', Buffer.from(csv), 'x.csv');
    if (res.status !== 200) throw new Error(res.text);
    const lines = res.text.trim().split('\r\n');
    const header = lines[0].split(',');
    const p1 = Number(lines[1].split(',').at(header.indexOf('probability_1') - header.length));
    const json = await request(t.app).post(`/models/${XGB}/predict`).send(FIRE);
    const probabilities = (json.body as { probabilities: Record<string, number> }).probabilities;
    expect(p1).toBeCloseTo(probabilities['1'], 6);
    const sagemaker = await request(t.app)
      .post('/invocations')
      .set('X-Amzn-SageMaker-Custom-Attributes', `model=${XGB}`)
      .send({ instances: [FIRE] });
    expect(sagemaker.status).toBe(200);
    expect(JSON.stringify(sagemaker.body)).toContain(String(probabilities['1']));
  });

  it('apply a tuned threshold strictly: p(positive) equal to it is not positive', async () => {
    const [reference] = await registry.get(XGB)!.predict([FIRE]);
    const p = reference.values[1];
    for (const [threshold, expected] of [
      [p, 0],
      [p - 1e-6, 1],
    ] as const) {
      const dir = join(scratch.dir, `threshold-${expected}`);
      copyBundle(join(PARITY, XGB), dir, { card: (card) => void (card.threshold = threshold) });
      const model = await loadModel(dir);
      const [prediction] = await model.predict([FIRE]);
      expect(prediction.values[1]).toBe(p);
      expect(prediction.classIndex).toBe(expected);
      await model.close();
    }
  });

  it('are not served when a golden example disagrees', async () => {
    const dir = join(scratch.dir, 'broken');
    copyBundle(join(PARITY, XGB), dir, {
      card: (card) => {
        const golden = card.golden as { values: number[] }[];
        golden[0].values = [golden[0].values[1], golden[0].values[0]];
      },
    });
    const model = await loadModel(dir);
    expect(model.status().ready).toBe(false);
    expect(model.status().reason).toMatch(/^self-test: golden example 0 \(onnx\): value 0 is /);
    await expect(model.predict([FIRE])).rejects.toMatchObject({ status: 503 });
    await model.close();
  });

  it('refuse a graph whose width does not match the vectorizer', async () => {
    const dir = join(scratch.dir, 'wide');
    copyBundle(join(PARITY, MLP), dir, {
      classifier: (c) => void (c.width = (c.width as number) + 1),
      vectorizer: (v) => {
        const blocks = v.blocks as { width: number; vocabulary: string[]; idf: number[] | null }[];
        blocks[0].vocabulary.push('zzz-extra');
        blocks[0].idf?.push(1);
        blocks[0].width += 1;
        v.width = (v.width as number) + 1;
      },
    });
    await expect(loadModel(dir)).rejects.toThrow(/model\.onnx: input shape \[N, \d+\] does not match width/);
  });
});
