/**
 * KServe V1 and the Open Inference Protocol (V2) over the real app and the real fixture bundles:
 * every route, the `:predict` colon route, outputs against the models' golden answers, and every
 * error in the protocols' {"error": "message"} shape.
 */
import type express from 'express';
import request from 'supertest';
import type { SiftRegistry } from '../../src/model/registry';
import { buildTestApp, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;
let app: express.Express;

beforeAll(async () => {
  registry = await loadFixtureRegistry();
  app = buildTestApp(registry).app;
});

afterAll(async () => {
  await registry.close();
});

function golden(model: string, index = 0) {
  return registry.get(model)!.card.golden[index];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A protocol error: the status and `{"error": "<message>"}`, nothing else. */
function expectError(res: request.Response, status: number, message?: string | RegExp): void {
  expect(res.status).toBe(status);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error).toBe('string');
  if (typeof message === 'string') expect(res.body.error).toBe(message);
  else if (message !== undefined) expect(res.body.error).toMatch(message);
}

describe('KServe V1', () => {
  it('lists the models and reports each one ready', async () => {
    const list = await request(app).get('/v1/models');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ models: ['sentiment-mini', 'toxic-mini', 'tweets-mini'] });
    const one = await request(app).get('/v1/models/toxic-mini');
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ name: 'toxic-mini', ready: true });
  });

  it('predicts through the colon route: {"instances"} → {"predictions"}', async () => {
    const rows = [golden('sentiment-mini', 0), golden('sentiment-mini', 1)];
    const res = await request(app)
      .post('/v1/models/sentiment-mini:predict')
      .send({ instances: [rows[0].inputs, rows[1].inputs.text] });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['predictions']);
    expect(res.body.predictions.map((p: { label: string }) => p.label)).toEqual([
      rows[0].label,
      rows[1].label,
    ]);
    const values = Object.values(res.body.predictions[0].probabilities as Record<string, number>);
    values.forEach((value, i) => expect(value).toBeCloseTo(rows[0].values[i], 5));
    expect(res.body.predictions[0].explanation).toBeUndefined();
  });

  it('accepts TF-Serving\'s "inputs", as rows or columns', async () => {
    const { inputs, label } = golden('tweets-mini', 1);
    for (const body of [
      { inputs: [inputs] },
      { inputs: { text: [inputs.text], keyword: [inputs.keyword], location: [inputs.location] } },
    ]) {
      const res = await request(app).post('/v1/models/tweets-mini:predict').send(body);
      expect(res.status).toBe(200);
      expect(res.body.predictions[0].label).toBe(label);
    }
  });

  it('explains through :explain', async () => {
    const res = await request(app)
      .post('/v1/models/tweets-mini:explain')
      .send({ instances: [golden('tweets-mini', 1).inputs], top_terms: 3 });
    expect(res.status).toBe(200);
    expect(res.body.explanations).toHaveLength(1);
    expect(res.body.explanations[0].explanation.toward.length).toBeLessThanOrEqual(3);
  });

  it('answers errors as {"error": "message"}', async () => {
    expectError(await request(app).get('/v1/models/nope'), 404, /^unknown model "nope"/);
    expectError(
      await request(app)
        .post('/v1/models/nope:predict')
        .send({ instances: ['a'] }),
      404,
    );
    expectError(
      await request(app)
        .post('/v1/models/tweets-mini:predict')
        .send({ rows: ['a'] }),
      400,
      'the body needs "instances" (a list of rows); it has rows',
    );
    expectError(
      await request(app)
        .post('/v1/models/tweets-mini:predict')
        .send({ instances: [{ text: 'ok' }, { txt: 'x' }] }),
      400,
      /^1 of 2 rows are invalid: row 1: field "txt" is not an input of this model/,
    );
    expectError(
      await request(app)
        .post('/v1/models/tweets-mini:predict')
        .send({ instances: ['a'], model: 'sentiment-mini' }),
      400,
      '"model" is not accepted here: the model is named in the URL',
    );
    expectError(
      await request(app).post('/v1/models/tweets-mini:predict').set('Content-Type', 'text/plain').send('a'),
      415,
    );
    expectError(
      await request(app).get('/v1/models/tweets-mini:predict'),
      405,
      'GET is not allowed here; use POST',
    );
    expectError(await request(app).post('/v1/models'), 405);
    expectError(
      await request(app)
        .post('/v1/models/tweets-mini:predict')
        .set('Content-Type', 'application/json')
        .send('{'),
      400,
    );
    expectError(
      await request(app).post('/v1/models/tweets-mini:predict').set('Content-Type', 'application/json'),
      400,
    );
    expectError(await request(app).get('/v1/elsewhere'), 404, 'no KServe endpoint at GET /v1/elsewhere');
    expectError(
      await request(app)
        .post('/v1/models/tweets-mini:classify')
        .send({ instances: ['a'] }),
      404,
      '"classify" is not a KServe V1 verb; use :predict or :explain',
    );
  });

  it('answers 413 over MAX_BATCH and MAX_BODY_BYTES', async () => {
    const small = buildTestApp(registry, { maxBatch: 2, maxBodyBytes: 1024 }).app;
    expectError(
      await request(small)
        .post('/v1/models/tweets-mini:predict')
        .send({ instances: ['a', 'b', 'c'] }),
      413,
      '3 rows in one request; the limit is 2 (MAX_BATCH)',
    );
    expectError(
      await request(small)
        .post('/v1/models/tweets-mini:predict')
        .send({ instances: ['x'.repeat(2000)] }),
      413,
    );
  });
});

describe('Open Inference Protocol (V2)', () => {
  it('describes the server and answers the health probes', async () => {
    const server = await request(app).get('/v2');
    expect(server.status).toBe(200);
    expect(server.body).toEqual({
      name: 'sift',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      extensions: [],
    });
    expect((await request(app).get('/v2/health/live')).body).toEqual({ live: true });
    const ready = await request(app).get('/v2/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true });
  });

  it('reports not ready while the server drains', async () => {
    const draining = buildTestApp(registry, {}, { lifecycle: { draining: true } }).app;
    const res = await request(draining).get('/v2/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ ready: false });
    expect((await request(draining).get('/v2/health/live')).status).toBe(200);
  });

  it('gives model metadata: one BYTES input per field, label and probabilities outputs', async () => {
    const res = await request(app).get('/v2/models/tweets-mini');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'tweets-mini',
      versions: [registry.get('tweets-mini')!.version],
      platform: 'sift_bundlev1',
      inputs: [
        { name: 'text', datatype: 'BYTES', shape: [-1] },
        { name: 'keyword', datatype: 'BYTES', shape: [-1] },
        { name: 'location', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    const ready = await request(app).get('/v2/models/sentiment-mini/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ name: 'sentiment-mini', ready: true });
  });

  it('infers: label BYTES [N] and probabilities FP32 [N, C] matching scikit-learn', async () => {
    const rows = [golden('sentiment-mini', 0), golden('sentiment-mini', 1)];
    const res = await request(app)
      .post('/v2/models/sentiment-mini/infer')
      .send({
        id: 'req-42',
        inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: rows.map((r) => r.inputs.text) }],
      });
    expect(res.status).toBe(200);
    expect(res.body.model_name).toBe('sentiment-mini');
    expect(res.body.id).toBe('req-42');
    const [label, probabilities] = res.body.outputs;
    expect(label).toEqual({ name: 'label', datatype: 'BYTES', shape: [2], data: rows.map((r) => r.label) });
    expect(probabilities.name).toBe('probabilities');
    expect(probabilities.datatype).toBe('FP32');
    expect(probabilities.shape).toEqual([2, 3]);
    const expected = rows.flatMap((r) => r.values);
    (probabilities.data as number[]).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
  });

  it('reads several inputs, [N, 1] shapes, and returns only the outputs asked for', async () => {
    const { inputs, values } = golden('tweets-mini', 1);
    const res = await request(app)
      .post('/v2/models/tweets-mini/infer')
      .send({
        inputs: [
          { name: 'text', shape: [1, 1], datatype: 'BYTES', data: [[inputs.text]] },
          {
            name: 'keyword',
            shape: [1],
            datatype: 'BYTES',
            data: [inputs.keyword],
            parameters: { content_type: 'str' },
          },
          { name: 'location', shape: [1], datatype: 'BYTES', data: [inputs.location] },
        ],
        outputs: [{ name: 'probabilities' }],
      });
    expect(res.status).toBe(200);
    expect(res.body.id).toMatch(UUID);
    expect(res.body.outputs).toHaveLength(1);
    (res.body.outputs[0].data as number[]).forEach((value, i) => expect(value).toBeCloseTo(values[i], 5));
  });

  it('joins the positive labels of a multi-label model', async () => {
    const toxic = golden('toxic-mini', 0);
    const res = await request(app)
      .post('/v2/models/toxic-mini/infer')
      .send({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [toxic.inputs.text] }] });
    expect(res.status).toBe(200);
    expect(res.body.outputs[0].data).toEqual([(toxic.label as number[]).join(',')]);
  });

  it('answers errors as {"error": "message"} with 400, 404, 405, 413 and 415', async () => {
    const infer = (body: unknown) =>
      request(app)
        .post('/v2/models/tweets-mini/infer')
        .send(body as object);
    const text = (data: unknown[], shape: unknown = [data.length]) => ({
      name: 'text',
      shape,
      datatype: 'BYTES',
      data,
    });
    expectError(
      await infer({ inputs: [{ ...text(['a']), datatype: 'INT64' }] }),
      400,
      'input "text" has datatype "INT64"; text inputs are "BYTES"',
    );
    expectError(
      await infer({ inputs: [text(['a', 'b'], [3])] }),
      400,
      'input "text" has 2 elements in "data" but shape [3] says 3',
    );
    expectError(
      await infer({ inputs: [{ ...text(['a']), name: 'body' }] }),
      400,
      'inputs[0] is named "body"; this model\'s inputs are text, keyword, location',
    );
    expectError(await infer({ inputs: [text([' '])] }), 400, 'invalid input: field "text" is empty');
    expectError(
      await infer({ inputs: [text(['a'])], outputs: [{ name: 'scores' }] }),
      400,
      /^outputs\[0\] asks for "scores"/,
    );
    expectError(
      await infer({}),
      400,
      '"inputs" must be a non-empty array of tensors, one per model input (text, keyword, location)',
    );
    expectError(await infer([]), 400);
    expectError(
      await request(app).post('/v2/models/tweets-mini/infer').set('Content-Type', 'application/json'),
      400,
    );
    expectError(
      await request(app)
        .post('/v2/models/nope/infer')
        .send({ inputs: [text(['a'])] }),
      404,
      /^unknown model "nope"/,
    );
    expectError(await request(app).get('/v2/models/nope'), 404);
    expectError(await request(app).get('/v2/models/nope/ready'), 404);
    expectError(
      await request(app).get('/v2/models/tweets-mini/versions/1'),
      404,
      'versioned protocol URLs are not served: /v2/models/NAME/... answers with the default version, POST /models/NAME/versions/VERSION/predict with another',
    );
    expectError(await request(app).get('/v2/models/tweets-mini/infer'), 405);
    expectError(await request(app).put('/v2/health/ready'), 405);
    expectError(
      await request(app)
        .post('/v2/models/tweets-mini/infer')
        .set('Content-Type', 'text/csv')
        .send('text\na\n'),
      415,
    );
    const small = buildTestApp(registry, { maxBatch: 2, maxBodyBytes: 1024 }).app;
    expectError(
      await request(small)
        .post('/v2/models/tweets-mini/infer')
        .send({ inputs: [text(['a', 'b', 'c'])] }),
      413,
    );
    expectError(
      await request(small)
        .post('/v2/models/tweets-mini/infer')
        .send({ inputs: [text(['x'.repeat(2000)])] }),
      413,
    );
  });
});

describe('metrics for the colon routes', () => {
  it('labels them with the route as written, without path-to-regexp escapes', async () => {
    await request(app)
      .post('/v1/models/tweets-mini:predict')
      .send({ instances: [{ text: 'forest fire near the town' }] })
      .expect(200);
    const text = (await request(app).get('/metrics').expect(200)).text;
    expect(text).toContain('route="/v1/models/:name:predict"');
    expect(text).not.toContain('\\:predict');
  });
});
