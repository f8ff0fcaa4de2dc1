/**
 * SageMaker's container contract over the real app and the real fixture bundles: /ping,
 * /execution-parameters and /invocations in every request and answer format, MLflow's payloads,
 * model selection, and every error status.
 */
import { gzipSync } from 'node:zlib';
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

const ATTRIBUTES = 'X-Amzn-SageMaker-Custom-Attributes';

/** The self-test rows of a fixture card: inputs with sklearn's own label and probabilities. */
function golden(model: string, index = 0) {
  const card = registry.get(model)!.card;
  return card.golden[index];
}

function expectValues(actual: Record<string, number>, expected: readonly number[]): void {
  const values = Object.values(actual);
  expect(values).toHaveLength(expected.length);
  values.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
}

function invoke(contentType: string, body: string | object, accept?: string) {
  const req = request(app).post('/invocations').set('Content-Type', contentType);
  if (accept !== undefined) req.set('Accept', accept);
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}

describe('GET /ping', () => {
  it('answers 200 with an empty body when every model is ready', async () => {
    const res = await request(app).get('/ping');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  it('answers 503 while the server drains', async () => {
    const draining = buildTestApp(registry, {}, { lifecycle: { draining: true } }).app;
    const res = await request(draining).get('/ping');
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe('not ready: the server is shutting down');
  });

  it('answers 405 to other methods', async () => {
    const res = await request(app).post('/ping');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('GET /execution-parameters', () => {
  it('tells batch transform the strategy and the payload size the limits allow', async () => {
    const res = await request(app).get('/execution-parameters');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      MaxConcurrentTransforms: 1,
      BatchStrategy: 'MULTI_RECORD',
      MaxPayloadInMB: 1,
    });
  });
});

describe('POST /invocations with JSON', () => {
  it("answers Sift's single shape exactly as POST /predict does", async () => {
    const { inputs, label, values } = golden('tweets-mini', 1);
    const res = await invoke('application/json', inputs);
    expect(res.status).toBe(200);
    expect(res.body.model).toBe('tweets-mini');
    expect(res.body.label).toBe(label);
    expectValues(res.body.probabilities, values);
    const direct = await request(app).post('/predict').send(inputs);
    expect(res.body).toEqual(direct.body);
  });

  it('answers instances and bare lists with {"model", "predictions"}', async () => {
    const rows = [golden('tweets-mini', 0).inputs, golden('tweets-mini', 1).inputs];
    for (const body of [{ instances: rows }, rows]) {
      const res = await invoke('application/json', body);
      expect(res.status).toBe(200);
      expect(res.body.model).toBe('tweets-mini');
      expect(res.body.predictions.map((p: { label: number }) => p.label)).toEqual([
        golden('tweets-mini', 0).label,
        golden('tweets-mini', 1).label,
      ]);
    }
  });

  it('answers the seeds\' {"input": [...]} with {"output": [{"label", ...}]}', async () => {
    const { inputs, label } = golden('tweets-mini', 1);
    const res = await invoke('application/json', { input: [inputs] });
    expect(res.status).toBe(200);
    expect(res.body.output).toHaveLength(1);
    expect(res.body.output[0].label).toBe(label);
  });

  it('accepts a charset parameter and a gzip-encoded body', async () => {
    const res = await invoke('application/json; charset=utf-8', { text: 'flood' });
    expect(res.status).toBe(200);
    const zipped = await request(app)
      .post('/invocations')
      .set('Content-Type', 'text/csv')
      .set('Content-Encoding', 'gzip')
      .send(gzipSync(Buffer.from('text\nflood warning\n')));
    expect(zipped.status).toBe(200);
    expect(zipped.body.predictions).toHaveLength(1);
  });
});

describe("POST /invocations with MLflow's scoring formats", () => {
  const first = () => golden('tweets-mini', 0);
  const second = () => golden('tweets-mini', 1);

  it('reads dataframe_split with extra columns and null for missing values', async () => {
    const body = {
      dataframe_split: {
        index: [10, 11],
        columns: ['id', 'text', 'keyword', 'location'],
        data: [
          [1, first().inputs.text, null, null],
          [2, second().inputs.text, second().inputs.keyword, second().inputs.location],
        ],
      },
    };
    const res = await invoke('application/json', body);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['predictions']);
    expect(res.body.predictions).toHaveLength(2);
    expect(res.body.predictions[0].label).toBe(first().label);
    expectValues(res.body.predictions[0].probabilities, first().values);
    expect(res.body.predictions[1].label).toBe(second().label);
    expectValues(res.body.predictions[1].probabilities, second().values);
    expect(res.body.predictions[1]).toHaveProperty('label_name');
  });

  it('reads dataframe_records, columnar instances, inputs and params', async () => {
    const bodies = [
      { dataframe_records: [{ ...second().inputs, target: 1 }] },
      {
        instances: {
          text: [second().inputs.text],
          keyword: [second().inputs.keyword],
          location: [second().inputs.location],
        },
      },
      { inputs: [[second().inputs.text, second().inputs.keyword, second().inputs.location]] },
      {
        inputs: {
          text: second().inputs.text,
          keyword: second().inputs.keyword,
          location: second().inputs.location,
        },
      },
      { instances: [second().inputs], params: { ignored: true } },
    ];
    for (const body of bodies) {
      const res = await invoke('application/json', body);
      expect({ body, status: res.status }).toEqual({ body, status: 200 });
      expect(Object.keys(res.body)).toEqual(['predictions']);
      expect(res.body.predictions[0].label).toBe(second().label);
      expectValues(res.body.predictions[0].probabilities, second().values);
    }
  });

  it('says what is wrong with a payload, with the row and field', async () => {
    const cases: [object, string][] = [
      [
        { dataframe_split: { columns: ['body'], data: [['x']] } },
        'dataframe_split.columns has no "text" column (found: body)',
      ],
      [
        { dataframe_records: [{ text: 'ok' }, { text: 5 }] },
        '1 of 2 rows are invalid: row 1: field "text" must be a string, got a number',
      ],
      [{ inputs: [], instances: [] }, 'exactly one of'],
      [{ inputs: { text: ['a', 'b'], keyword: ['k'] } }, 'inputs.keyword has 1 values but inputs.text has 2'],
    ];
    for (const [body, message] of cases) {
      const res = await invoke('application/json', body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
  });
});

describe('POST /invocations with CSV', () => {
  it('reads a header row and maps columns by name', async () => {
    const { inputs, label, values } = golden('tweets-mini', 1);
    const csv = `id,location,keyword,text\n7,${inputs.location},"${inputs.keyword}","${inputs.text}"\n`;
    const res = await invoke('text/csv', csv);
    expect(res.status).toBe(200);
    expect(res.body.predictions[0].label).toBe(label);
    expectValues(res.body.predictions[0].probabilities, values);
  });

  it('reads rows without a header in the model input order', async () => {
    const { inputs, label } = golden('tweets-mini', 1);
    const res = await invoke(
      'text/csv',
      `"${inputs.text}","${inputs.keyword}",${inputs.location}\nsecond row\n`,
    );
    expect(res.status).toBe(200);
    expect(res.body.predictions).toHaveLength(2);
    expect(res.body.predictions[0].label).toBe(label);
  });

  it('answers CSV lines without a header unless asked, one per row', async () => {
    const { inputs, label } = golden('sentiment-mini', 1);
    const plain = await request(app)
      .post('/invocations')
      .set(ATTRIBUTES, 'model=sentiment-mini')
      .set('Content-Type', 'text/csv')
      .set('Accept', 'text/csv')
      .send(`"${inputs.text}"\nthanks for the upgrade\n`);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/csv; charset=utf-8; header=absent');
    const lines = plain.text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const cells = lines[0].split(',');
    expect(cells[0]).toBe(label);
    expect(cells).toHaveLength(2 + 3 + 2 + 1); // + model_version

    const withHeader = await request(app)
      .post('/invocations')
      .set(ATTRIBUTES, 'model=sentiment-mini')
      .set('Content-Type', 'text/csv; header=absent')
      .set('Accept', 'text/csv; header=present')
      .send('text\n');
    expect(withHeader.status).toBe(200);
    expect(withHeader.text.split('\n')[0]).toBe(
      'predicted_label,predicted_label_name,probability_negative,probability_neutral,probability_positive,coverage_ratio,low_signal,model_version',
    );
    expect(withHeader.text.trimEnd().split('\n')).toHaveLength(2);
  });

  it('names the CSV line that is wrong', async () => {
    const res = await invoke('text/csv', 'text,keyword\nfire,wildfire\n   ,x\n');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('1 of 2 rows are invalid: line 3: field "text" is empty');
    const broken = await invoke('text/csv', 'text\n"never closed\n');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_csv');
  });
});

describe('POST /invocations with JSON Lines', () => {
  it('reads one object or string per line and answers JSON by default', async () => {
    const { inputs, label } = golden('tweets-mini', 1);
    const res = await invoke('application/jsonlines', `${JSON.stringify(inputs)}\n\n"plain text"\n`);
    expect(res.status).toBe(200);
    expect(res.body.predictions).toHaveLength(2);
    expect(res.body.predictions[0].label).toBe(label);
  });

  it('answers JSON Lines when Accept asks, with the model and options from custom attributes', async () => {
    const toxic = golden('toxic-mini', 0);
    const res = await request(app)
      .post('/invocations')
      .set(ATTRIBUTES, 'trace=1, model=toxic-mini, explain=true, top_terms=2')
      .set('Content-Type', 'application/jsonlines')
      .set('Accept', 'application/jsonlines')
      .send(`${JSON.stringify(toxic.inputs)}\n"you are all wonderful"\n`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/jsonlines; charset=utf-8');
    const lines = res.text
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            labels: number[];
            probabilities: Record<string, number>;
            explanation?: { toward: unknown[] };
          },
      );
    expect(lines).toHaveLength(2);
    expect(lines[0].labels).toEqual(toxic.label);
    expectValues(lines[0].probabilities, toxic.values);
    expect(lines[0].explanation?.toward.length).toBeLessThanOrEqual(2);
  });

  it('names the line that is wrong', async () => {
    const res = await invoke('application/jsonlines', '{"text": "ok"}\n{"text": \n');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^line 2: the line is not valid JSON/);
    const field = await invoke('application/x-jsonlines', '{"text": "ok"}\n\n{"text": ["no"]}\n');
    expect(field.status).toBe(400);
    expect(field.body.error.message).toBe(
      '1 of 2 rows are invalid: line 3: field "text" must be a string, got an array',
    );
  });
});

describe('model selection', () => {
  it('uses the model named in the custom attributes, else the default', async () => {
    const res = await request(app)
      .post('/invocations')
      .set(ATTRIBUTES, 'model=sentiment-mini')
      .send({ text: golden('sentiment-mini', 1).inputs.text });
    expect(res.status).toBe(200);
    expect(res.body.model).toBe('sentiment-mini');
    expect(res.body.label).toBe(golden('sentiment-mini', 1).label);
  });

  it("lets the body name the model in Sift's own shapes", async () => {
    const res = await invoke('application/json', { text: 'lost my bag', model: 'sentiment-mini' });
    expect(res.status).toBe(200);
    expect(res.body.model).toBe('sentiment-mini');
  });

  it('answers 404 for an unknown model', async () => {
    const res = await request(app).post('/invocations').set(ATTRIBUTES, 'model=nope').send({ text: 'a' });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      'unknown model "nope"; loaded models: sentiment-mini, toxic-mini, tweets-mini',
    );
  });
});

describe('POST /invocations errors', () => {
  it('answers 415 for other content types and charsets', async () => {
    const plain = await invoke('text/plain', 'hello');
    expect(plain.status).toBe(415);
    expect(plain.body.error.message).toBe(
      'Content-Type must be application/json, text/csv, application/jsonlines; got "text/plain"',
    );
    const none = await request(app).post('/invocations').send(Buffer.from('{}'));
    expect(none.status).toBe(415);
    const latin = await invoke('application/json; charset=iso-8859-1', '{"text": "a"}');
    expect(latin.status).toBe(415);
  });

  it('answers 406 when no answer format is acceptable', async () => {
    const res = await invoke('application/json', { text: 'a' }, 'image/png, text/csv;q=0');
    expect(res.status).toBe(406);
    expect(res.body.error.code).toBe('not_acceptable');
    expect(res.body.error.message).toBe(
      'cannot answer in "image/png, text/csv;q=0"; accepted: application/json, text/csv, application/jsonlines',
    );
  });

  it('answers 413 for a body over MAX_BODY_BYTES and a batch over MAX_BATCH', async () => {
    const small = buildTestApp(registry, { maxBodyBytes: 1024, maxBatch: 2 }).app;
    const big = await request(small)
      .post('/invocations')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ text: 'x'.repeat(2000) }));
    expect(big.status).toBe(413);
    const lines = await request(small)
      .post('/invocations')
      .set('Content-Type', 'application/jsonlines')
      .send('"a"\n"b"\n"c"\n');
    expect(lines.status).toBe(413);
    expect(lines.body.error.message).toBe('3 rows in one request; the limit is 2 (MAX_BATCH)');
    const long = await request(small)
      .post('/invocations')
      .set('Content-Type', 'application/jsonlines')
      .send('x'.repeat(1500));
    expect(long.status).toBe(413);
  });

  it('answers 400, never 500, for payloads of the wrong shape', async () => {
    const bodies = [
      'null',
      '5',
      '"text"',
      '[]',
      '{}',
      '[[[]]]',
      '{"instances": 5}',
      '{"input": [5]}',
      '{"dataframe_split": null}',
      'not json',
    ];
    for (const body of bodies) {
      const res = await invoke('application/json', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(typeof res.body.error.message).toBe('string');
    }
    const empty = await request(app).post('/invocations').set('Content-Type', 'text/csv').send('');
    expect(empty.status).toBe(400);
  });

  it('answers 405 to GET', async () => {
    const res = await request(app).get('/invocations');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});
