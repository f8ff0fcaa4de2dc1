import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { loadServedModel } from '../../src/model/load';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { SequenceModel } from '../../src/model/sequence-model';
import { buildTestApp } from '../helpers/app';
import { BUNDLES, scratchDir } from './helpers';

// Tiny embedding + GRU networks written by scripts/gen_sequence_fixtures.py (PyTorch →
// torch.onnx.export → sift_sklearn.sequence_export); their golden examples are PyTorch's outputs.
const SEQUENCE_BUNDLES = join(__dirname, '..', 'fixtures', 'sequence', 'bundles');

function edited(name: string, file: string, change: (json: Record<string, unknown>) => void) {
  const scratch = scratchDir();
  const dir = join(scratch.dir, name);
  cpSync(join(SEQUENCE_BUNDLES, name), dir, { recursive: true });
  const path = join(dir, file);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  change(json);
  writeFileSync(path, JSON.stringify(json));
  return { dir, cleanup: scratch.cleanup };
}

describe('sequence models', () => {
  let registry: SiftRegistry;
  beforeAll(async () => {
    registry = await loadRegistry(SEQUENCE_BUNDLES, { defaultModel: 'sequence-mini' });
  });
  afterAll(async () => {
    await registry.close();
  });
  const model = (name: string) => registry.get(name) as SequenceModel;

  it('load through the registry and pass their self-test (TypeScript ids + onnxruntime = PyTorch)', () => {
    for (const name of ['sequence-mini', 'topics-mini']) {
      const m = model(name);
      expect(m).toBeInstanceOf(SequenceModel);
      expect(m.status()).toEqual({ ready: true });
      expect(m.selfTest?.checked).toBeGreaterThan(100);
      expect(m.selfTest?.maxDifference).toBeLessThan(1e-5);
    }
  });

  it('single-label: probabilities sum to 1, the label is their first maximum, coverage counts tokens', async () => {
    const m = model('sequence-mini');
    const words = m.encoder.block.vocabulary.slice(1, 5); // [0] is <OOV>
    const [p] = await m.predict([{ text: `${words.join(' ')}, zzqqx!` }]);
    expect(p.values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p.classIndex).toBe(p.values[1] > p.values[0] ? 1 : 0);
    expect(p.positives).toEqual([p.classIndex]);
    expect(p.coverage).toEqual({ total: 5, known: 4, ratio: 0.8 }); // zzqqx is <OOV>
  });

  it("multi-label: each label is on above the card's own threshold", async () => {
    const m = model('topics-mini');
    expect(m.card.label_thresholds).toEqual([0.5, 0.4, 0.6]);
    const texts = [
      'you idiot',
      'what a lovely day',
      'shut up you clown damn',
      'crap',
      'nobody likes you loser',
    ];
    const predictions = await m.predict(texts.map((text) => ({ text })));
    for (const p of predictions) {
      expect(p.positives).toEqual([0, 1, 2].filter((k) => p.values[k] > [0.5, 0.4, 0.6][k]));
      expect(p.classIndex).toBe(p.positives[0] ?? -1);
    }
    expect(predictions.some((p) => p.positives.length > 0)).toBe(true);
  });

  it('explains by leaving each distinct token out: the contribution is the probability drop', async () => {
    const m = model('sequence-mini');
    const text = 'forest fire near the town';
    const [p] = await m.predict([{ text }], { explain: true, topTerms: 10 });
    const explanation = p.explanation!;
    expect(explanation.method).toBe('occlusion');
    const terms = [...explanation.toward, ...explanation.against];
    expect(terms.length).toBeGreaterThan(0);
    for (const term of terms) {
      expect(text.split(' ')).toContain(term.term);
      const [without] = await m.predict([{ text: text.replace(term.term, ' ') }]);
      const k = explanation.classIndex;
      expect(term.contribution).toBeCloseTo(p.values[k] - without.values[k], 6);
    }
    const [empty] = await m.predict([{ text: '' }]);
    expect(explanation.intercept).toBeCloseTo(empty.values[explanation.classIndex], 6);
  });

  it('answers a batch larger than one ONNX call', async () => {
    const rows = Array.from({ length: 1100 }, (_, i) => ({ text: `fire number ${i} near the town` }));
    const predictions = await model('sequence-mini').predict(rows);
    expect(predictions).toHaveLength(1100);
    expect(predictions[1099].values).toEqual(predictions[0].values);
  });

  it('serves JSON and CSV through the app: per-label probabilities and on/off', async () => {
    const { app } = buildTestApp(registry);
    const json = await request(app)
      .post('/models/topics-mini/predict')
      .send({ instances: ['you idiot', 'what a lovely day'] })
      .expect(200);
    expect(json.body.predictions[0]).toHaveProperty('labels');
    expect(Object.keys(json.body.predictions[0].probabilities)).toEqual(['toxic', 'obscene', 'insult']);
    const csv = await request(app)
      .post('/models/topics-mini/predict')
      .attach('file', Buffer.from('id,text\n1,you idiot\n2,what a lovely day\n'), 'comments.csv')
      .expect(200);
    const header = csv.text.split(/\r?\n/)[0];
    expect(header).toContain('predicted_labels');
    expect(header).toContain('probability_obscene');
    const page = await request(app)
      .post('/index')
      .type('form')
      .send({ model: 'topics-mini', text: 'shut up you clown damn' })
      .expect(200);
    expect(page.text).toContain('Obscene');
    const oip = await request(app)
      .post('/v2/models/topics-mini/infer')
      .send({
        inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['you idiot', 'what a lovely day'] }],
      })
      .expect(200);
    expect(oip.body.outputs.length).toBeGreaterThan(0);
    const kserve = await request(app)
      .post('/v1/models/sequence-mini:predict')
      .send({ instances: ['Forest fire near the town', 'I love fruits'] })
      .expect(200);
    expect(kserve.body.predictions).toHaveLength(2);
    const card = await request(app).get('/index?model=topics-mini').expect(200);
    expect(card.text).toContain('“Obscene” above 0.4');
  });
});

describe('sequence bundles that cannot be served', () => {
  it('refuses a maxlen that does not match the network input width', async () => {
    const bundle = edited('sequence-mini', 'sequence.json', (json) => {
      (json.block as { maxlen: number }).maxlen = 20;
    });
    try {
      await expect(loadServedModel(bundle.dir)).rejects.toThrow(
        /classifier\.json: width: is 16, sequence\.json maxlen is 20/,
      );
    } finally {
      bundle.cleanup();
    }
  });

  it('refuses a float32 feature graph in place of the int64 ids network', async () => {
    const bundle = edited('sequence-mini', 'card.json', () => undefined);
    copyFileSync(join(BUNDLES, 'tweets-mini', 'model.onnx'), join(bundle.dir, 'model.onnx'));
    try {
      await expect(loadServedModel(bundle.dir)).rejects.toThrow(
        /model\.onnx: expected one input 'ids', found \[features\]/,
      );
    } finally {
      bundle.cleanup();
    }
  });

  it('does not serve a model whose vocabulary ids were changed (self-test)', async () => {
    const bundle = edited('sequence-mini', 'sequence.json', (json) => {
      const block = json.block as { ids: number[] };
      block.ids = block.ids.map((id) => (id > 1 ? ((id + 7) % 290) + 2 : id));
    });
    try {
      const m = await loadServedModel(bundle.dir);
      expect(m.status().ready).toBe(false);
      expect(m.status().reason).toMatch(/self-test: golden example/);
      await m.close();
    } finally {
      bundle.cleanup();
    }
  });

  it('names a bad sequence.json field', async () => {
    const bundle = edited('topics-mini', 'sequence.json', (json) => {
      (json.block as { padding: string }).padding = 'middle';
    });
    try {
      await expect(loadServedModel(bundle.dir)).rejects.toThrow(/sequence\.json: block\.padding/);
    } finally {
      bundle.cleanup();
    }
  });
});
