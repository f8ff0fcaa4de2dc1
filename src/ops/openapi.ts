/**
 * The one list of every route the server answers (ours and the pages' and protocols' routers), as
 * an OpenAPI 3.1 document. It also drives the 405 answers: a path listed here with another method
 * gets 405 and an Allow header. Add a route here when you add it to a router; test/ops/openapi.test.ts
 * checks that every listed operation is really served.
 */
import type { Config } from '../config';
import type { ModelRegistry } from '../model/types';

type Method = 'get' | 'post';
type Schema = Record<string, unknown>;

interface MediaContent {
  [mediaType: string]: { schema: Schema; example?: unknown };
}

export interface Operation {
  readonly method: Method;
  /** OpenAPI path template: `/models/{name}/predict`, `/v1/models/{name}:predict`. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /**
   * Needs an API key when API_KEYS is set; false only for what carries no predictions (probes,
   * metrics, docs). Requests are checked against this table: a route missing here needs a key.
   */
  readonly secured: boolean;
  /**
   * Part of the open HTML form: with API_KEYS set and PROTECT_FORM off, a request without a key may
   * GET it, or POST an urlencoded form to it, and gets HTML for one text (src/http/security.ts).
   */
  readonly form?: boolean;
  readonly query?: readonly { name: string; description: string; schema: Schema }[];
  readonly requestBody?: MediaContent;
  readonly responses: Readonly<Record<string, { description: string; content?: MediaContent }>>;
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, example?: unknown): MediaContent => ({
  'application/json': example === undefined ? { schema } : { schema, example },
});
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });
const PLAIN: MediaContent = { 'text/plain': { schema: { type: 'string' } } };
const HTML: MediaContent = { 'text/html': { schema: { type: 'string' } } };
const CSV: MediaContent = { 'text/csv': { schema: { type: 'string' } } };

const STANDARD_ERRORS = {
  '400': errorResponse('Invalid input: the message names the reason; details.rows lists every failing row.'),
  '401': errorResponse('API_KEYS is set and no valid key was sent.'),
  '404': errorResponse('Unknown model.'),
  '413': errorResponse('A size or count limit was exceeded (body, text, batch, upload, CSV rows).'),
  '415': errorResponse('Unsupported Content-Type or charset.'),
  '429': errorResponse('Rate limit exceeded (RATE_LIMIT_PER_MINUTE).'),
  '503': errorResponse('The model is not ready or failed at run time.'),
};

const VERSION_PARAM = {
  name: 'version',
  in: 'path',
  required: true,
  description: 'A content hash (GET /models/{name}/versions) or a version folder name.',
  schema: { type: 'string' },
};

const MODEL_PARAM = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'Model name.',
};

const PREDICT_QUERY = [
  { name: 'model', description: 'Model name (default: DEFAULT_MODEL).', schema: { type: 'string' } },
  {
    name: 'explain',
    description: 'Include the terms that pushed the decision.',
    schema: { type: 'boolean' },
  },
  {
    name: 'top_terms',
    description: 'Terms per side in an explanation (1–50, default 10).',
    schema: { type: 'integer' },
  },
  {
    name: 'delimiter',
    description:
      'CSV input: `auto` (default: comma, semicolon, tab or pipe, sniffed from the header), `comma`, `semicolon`, `tab` or `pipe`. Also a form field.',
    schema: { type: 'string', enum: ['auto', 'comma', 'semicolon', 'tab', 'pipe', ',', ';', '|'] },
  },
  {
    name: 'formula_guard',
    description:
      "CSV output: `on` (default) prefixes `'` to cells starting with = + - @ (spreadsheet formulas); `off` returns the input's cells verbatim. Also a form field. X-CSV-Cells-Neutralised says how many cells changed.",
    schema: { type: 'string', enum: ['on', 'off'] },
  },
];

const PREDICT_BODY: MediaContent = {
  'application/json': {
    schema: ref('PredictRequest'),
    example: { text: 'Forest fire near La Ronge Sask. Canada', keyword: 'fire', location: '' },
  },
  'application/x-www-form-urlencoded': {
    schema: { type: 'object', additionalProperties: { type: 'string' } },
    example: { text: 'Forest fire near La Ronge', keyword: 'wildfire' },
  },
  'multipart/form-data': {
    schema: {
      type: 'object',
      properties: {
        file: {
          type: 'string',
          format: 'binary',
          description:
            'A CSV file with a header line: UTF-8 (BOM or not), UTF-16 with a BOM, or Windows-1252 (said in X-CSV-Notice).',
        },
      },
      additionalProperties: { type: 'string' },
    },
    example: { file: 'id,text\n1,Forest fire near La Ronge\n2,What a lovely day\n' },
  },
  'text/csv': {
    schema: {
      type: 'string',
      description:
        'CSV with a header line naming the model inputs; a `charset` parameter is followed, else as the file upload.',
    },
    example: 'text,keyword\nForest fire near La Ronge,wildfire\nWhat a lovely day,\n',
  },
  'text/plain': {
    schema: { type: 'string', description: "The text of the model's main input." },
    example: 'Forest fire near La Ronge Sask. Canada',
  },
};

const PREDICT_RESPONSES = {
  '200': {
    description:
      'One prediction (single object), a batch (`instances` or an array), `{"output": [...]}` for the seed shape, CSV for CSV input (JSON when Accept prefers it), the result page for browsers. CSV answers carry X-CSV-Encoding, X-CSV-Delimiter, X-CSV-Notice (when the encoding was guessed), X-CSV-Rows, X-CSV-Cells-Neutralised and X-CSV-Join-Column (`id`, or the added `row_number`).',
    content: {
      'application/json': {
        schema: { oneOf: [ref('Prediction'), ref('BatchPrediction'), ref('SeedPrediction')] },
      },
      ...CSV,
      ...HTML,
    },
  },
  ...STANDARD_ERRORS,
};

const PROTOCOL_BODY: MediaContent = {
  'application/json': {
    schema: { type: 'object' },
    example: { instances: ['Forest fire near La Ronge', { text: 'What a lovely day', keyword: '' }] },
  },
  'application/jsonlines': {
    schema: { type: 'string' },
    example: '{"text": "Forest fire near La Ronge"}\n"Just had the best pizza"\n',
  },
  'text/csv': {
    schema: { type: 'string' },
    example: 'text,keyword\n"Earthquake shakes the city",earthquake\nWhat a lovely sunny day,\n',
  },
};

const KSERVE_EXAMPLE = {
  instances: [{ text: 'Forest fire near La Ronge', keyword: 'wildfire' }, 'I love fruits'],
};

export const OPERATIONS: readonly Operation[] = [
  // Pages (src/web)
  {
    method: 'get',
    path: '/',
    tag: 'Pages',
    summary: 'Redirect to /index.',
    secured: true,
    form: true,
    responses: { '302': { description: 'To /index.' } },
  },
  {
    method: 'get',
    path: '/index',
    tag: 'Pages',
    summary: 'The form, the model card and the CSV upload (HTML).',
    secured: true,
    form: true,
    query: [{ name: 'model', description: 'Model to show.', schema: { type: 'string' } }],
    responses: {
      '200': { description: 'HTML page.', content: HTML },
      '404': errorResponse('Unknown model.'),
    },
  },
  {
    method: 'post',
    path: '/index',
    tag: 'Pages',
    summary:
      'The form again with what was typed (the result page\'s "Edit and try again", the model picker).',
    description:
      "A form body with `model` and the model's input fields; the text travels in the body, never in the URL.",
    secured: false,
    requestBody: {
      'application/x-www-form-urlencoded': {
        schema: { type: 'object', additionalProperties: { type: 'string' } },
        example: { text: 'Forest fire near La Ronge', keyword: 'wildfire' },
      },
    },
    responses: {
      '200': { description: 'HTML page.', content: HTML },
      '404': errorResponse('Unknown model.'),
    },
  },

  // Prediction API (src/predict)
  {
    method: 'post',
    path: '/predict',
    tag: 'Predict',
    summary: 'Predict one row, a batch, or a CSV file with the default (or named) model.',
    description:
      'JSON: `{"text": ...}` (one row), `{"instances": [...]}` or a top-level array (batch), `{"input": [{"text": ...}]}` (the seeds\' SageMaker shape). Forms and `text/plain` give one row; a CSV (`text/csv` body or multipart field `file`) gives a CSV download with the prediction columns added.',
    secured: true,
    form: true,
    query: PREDICT_QUERY,
    requestBody: PREDICT_BODY,
    responses: PREDICT_RESPONSES,
  },
  {
    method: 'get',
    path: '/models',
    tag: 'Models',
    summary: 'The loaded models.',
    secured: true,
    responses: {
      '200': { description: 'Models and the default.', content: json(ref('ModelList')) },
      '401': STANDARD_ERRORS['401'],
    },
  },
  {
    method: 'get',
    path: '/models/{name}',
    tag: 'Models',
    summary: "A model's summary and full model card.",
    secured: true,
    responses: {
      '200': {
        description: 'The model and its card.',
        content: json({
          allOf: [ref('ModelSummary'), { type: 'object', properties: { card: { type: 'object' } } }],
        }),
      },
      '401': STANDARD_ERRORS['401'],
      '404': STANDARD_ERRORS['404'],
    },
  },
  {
    method: 'post',
    path: '/models/{name}/predict',
    tag: 'Predict',
    summary: 'Like POST /predict, with the model named in the path.',
    secured: true,
    form: true,
    query: PREDICT_QUERY.filter((q) => q.name !== 'model'),
    requestBody: PREDICT_BODY,
    responses: PREDICT_RESPONSES,
  },

  // SageMaker (src/protocols/sagemaker.ts)
  {
    method: 'get',
    path: '/ping',
    tag: 'SageMaker',
    summary:
      'SageMaker health check: 200 when the required models (REQUIRED_MODELS, else the default) are ready.',
    secured: false,
    responses: { '200': { description: 'Ready.' }, '503': { description: 'Not ready.' } },
  },
  {
    method: 'post',
    path: '/invocations',
    tag: 'SageMaker',
    summary: 'SageMaker inference: JSON, CSV, JSON lines, and MLflow scoring formats.',
    description:
      'MLflow formats: `dataframe_split`, `dataframe_records`, `instances`, `inputs`. The model is the default one unless the `X-Amzn-SageMaker-Custom-Attributes` header names another (`model=NAME`). `text/csv` bodies are read as CSV uploads (encodings, stray quotes, blank lines); the delimiter is the `delimiter` Content-Type parameter or custom attribute (`comma`, `semicolon`, `tab`, `pipe`), else the one that makes the first row a header, else comma.',
    secured: true,
    requestBody: PROTOCOL_BODY,
    responses: {
      '200': {
        description: 'Predictions in the format of the request (or per Accept).',
        content: { ...json({ type: 'object' }), ...CSV },
      },
      ...STANDARD_ERRORS,
    },
  },

  {
    method: 'get',
    path: '/execution-parameters',
    tag: 'SageMaker',
    summary: 'SageMaker batch transform parameters (payload size, strategy, concurrency).',
    secured: false,
    responses: {
      '200': {
        description: '`{"MaxConcurrentTransforms", "BatchStrategy", "MaxPayloadInMB"}`',
        content: json({ type: 'object' }),
      },
    },
  },

  // KServe v1 (src/protocols/kserve.ts)
  {
    method: 'get',
    path: '/v1/models',
    tag: 'KServe v1',
    summary: 'Model names.',
    secured: true,
    responses: { '200': { description: '`{"models": [...]}`', content: json({ type: 'object' }) } },
  },
  {
    method: 'get',
    path: '/v1/models/{name}',
    tag: 'KServe v1',
    summary: 'Model readiness: 200, or 503 with the reason (open, like the probes).',
    secured: false,
    responses: {
      '200': { description: '`{"name", "ready"}`', content: json({ type: 'object' }) },
      '404': STANDARD_ERRORS['404'],
    },
  },
  {
    method: 'post',
    path: '/v1/models/{name}:predict',
    tag: 'KServe v1',
    summary: 'KServe v1 predict: `{"instances": [...]}` → `{"predictions": [...]}`.',
    secured: true,
    requestBody: json(
      { type: 'object', properties: { instances: { type: 'array' } }, required: ['instances'] },
      KSERVE_EXAMPLE,
    ),
    responses: {
      '200': { description: 'Predictions.', content: json({ type: 'object' }) },
      ...STANDARD_ERRORS,
    },
  },

  {
    method: 'post',
    path: '/v1/models/{name}:explain',
    tag: 'KServe v1',
    summary:
      'KServe v1 explain: like :predict, with the terms that pushed each decision → `{"explanations": [...]}`.',
    secured: true,
    requestBody: json(
      { type: 'object', properties: { instances: { type: 'array' } }, required: ['instances'] },
      KSERVE_EXAMPLE,
    ),
    responses: {
      '200': { description: 'Predictions with explanations.', content: json({ type: 'object' }) },
      ...STANDARD_ERRORS,
    },
  },

  // Open Inference Protocol v2 (src/protocols/kserve.ts)
  {
    method: 'get',
    path: '/v2',
    tag: 'Open Inference Protocol v2',
    summary: 'Server metadata.',
    secured: true,
    responses: {
      '200': { description: '`{"name", "version", "extensions"}`', content: json({ type: 'object' }) },
    },
  },
  {
    method: 'get',
    path: '/v2/health/live',
    tag: 'Open Inference Protocol v2',
    summary: 'Server liveness.',
    secured: false,
    responses: { '200': { description: 'Live.' } },
  },
  {
    method: 'get',
    path: '/v2/health/ready',
    tag: 'Open Inference Protocol v2',
    summary: 'Server readiness.',
    secured: false,
    responses: { '200': { description: 'Ready.' }, '503': { description: 'Not ready.' } },
  },
  {
    method: 'get',
    path: '/v2/models/{name}',
    tag: 'Open Inference Protocol v2',
    summary: 'Model metadata: inputs (BYTES) and outputs.',
    secured: true,
    responses: {
      '200': { description: 'Metadata.', content: json({ type: 'object' }) },
      '404': STANDARD_ERRORS['404'],
    },
  },
  {
    method: 'get',
    path: '/v2/models/{name}/ready',
    tag: 'Open Inference Protocol v2',
    summary: 'Model readiness: 200, or 503 with the reason (open, like the probes).',
    secured: false,
    responses: {
      '200': { description: 'Ready.' },
      '404': STANDARD_ERRORS['404'],
      '503': { description: 'Not ready.' },
    },
  },
  {
    method: 'post',
    path: '/v2/models/{name}/infer',
    tag: 'Open Inference Protocol v2',
    summary: 'Inference with BYTES inputs named after the model inputs.',
    secured: true,
    requestBody: json(
      { type: 'object', properties: { inputs: { type: 'array' } }, required: ['inputs'] },
      {
        inputs: [
          {
            name: 'text',
            shape: [2],
            datatype: 'BYTES',
            data: ['Forest fire near La Ronge', 'I love fruits'],
          },
        ],
      },
    ),
    responses: { '200': { description: 'Outputs.', content: json({ type: 'object' }) }, ...STANDARD_ERRORS },
  },

  {
    method: 'post',
    path: '/models/{name}/versions/{version}/predict',
    tag: 'Predict',
    summary:
      'Like POST /models/{name}/predict, answered by one stored version (content hash or version folder).',
    secured: true,
    requestBody: PREDICT_BODY,
    responses: PREDICT_RESPONSES,
  },
  {
    method: 'get',
    path: '/models/{name}/versions',
    tag: 'Models',
    summary: "A model's loaded versions: content hash, label, folder, ready, which one is the default.",
    secured: true,
    responses: {
      '200': { description: 'Versions.', content: json({ type: 'object' }) },
      '404': STANDARD_ERRORS['404'],
    },
  },

  // Prediction log: feedback, export, monitor (src/monitor; PREDICTION_LOG)
  {
    method: 'post',
    path: '/predictions/{id}/feedback',
    tag: 'Monitor',
    summary: 'Record the true label of a logged prediction (the `prediction_id` of its answer).',
    description:
      'With PREDICTION_LOG on, every prediction answers a `prediction_id` (JSON answers of /predict, /invocations and KServe v1; the `X-Prediction-Ids` header, comma-separated in row order, for Open Inference Protocol v2 answers of up to 100 rows). JSON `{"label": "<class name or value>"}`, or `{"labels": [...]}` for multi-label models ([] = none applies); the latest feedback wins. The result page posts the same URL as a form (`verdict=yes`, or `label` fields) and gets a page back.',
    secured: true,
    form: true,
    requestBody: {
      'application/json': { schema: ref('Feedback'), example: { label: 'Real disaster' } },
      'application/x-www-form-urlencoded': {
        schema: {
          type: 'object',
          properties: { verdict: { enum: ['yes', 'no'] }, label: { type: 'string' } },
        },
        example: { verdict: 'no', label: 'Not a disaster' },
      },
    },
    responses: {
      '200': {
        description: 'Recorded (`correct`: whether the model had it right). Browsers get a page.',
        content: {
          ...json({
            type: 'object',
            properties: {
              prediction_id: { type: 'string' },
              model: { type: 'string' },
              labels: { type: 'array', items: { type: 'string' } },
              predicted: { type: 'array', items: { type: 'string' } },
              correct: { type: 'boolean' },
            },
          }),
          ...HTML,
        },
      },
      '400': errorResponse('Not a class of the model (the message lists them), or no label.'),
      '401': STANDARD_ERRORS['401'],
      '403': errorResponse('A form posted from another site.'),
      '404': errorResponse('No logged prediction has this id (never logged, or pruned by retention).'),
      '503': errorResponse(
        'The prediction log is off (`prediction_log_off`) or its store is down (`prediction_log_unavailable`).',
      ),
    },
  },
  {
    method: 'get',
    path: '/feedback.csv',
    tag: 'Monitor',
    summary:
      'Logged predictions with feedback as a training CSV for scripts/train.py: input columns + the true label.',
    description:
      'One row per prediction with feedback (latest feedback), oldest first; the label column holds the class value (`|`-joined for multi-label). Rows logged without inputs (PREDICTION_LOG_INPUTS=off) are left out; redacted inputs are exported as stored. Retrain: `/usr/bin/python3 scripts/train.py --task disaster-tweets --data feedback.csv`.',
    secured: true,
    query: [
      { name: 'model', description: 'Model name (default: DEFAULT_MODEL).', schema: { type: 'string' } },
      {
        name: 'label_column',
        description:
          "The label column's name (default `target`; airline-sentiment's data calls it `sentiment`).",
        schema: { type: 'string' },
      },
      {
        name: 'formula_guard',
        description:
          "`off` (default: the file is training data, kept verbatim) or `on` (prefix `'` to cells starting with = + - @, for spreadsheets).",
        schema: { type: 'string', enum: ['on', 'off'] },
      },
    ],
    responses: {
      '200': { description: 'CSV with a header line.', content: CSV },
      '400': errorResponse('Bad label_column or formula_guard.'),
      '401': STANDARD_ERRORS['401'],
      '404': STANDARD_ERRORS['404'],
      '503': errorResponse('The prediction log is off or its store is down.'),
    },
  },
  {
    method: 'get',
    path: '/feedback.jsonl',
    tag: 'Monitor',
    summary:
      'The same rows as JSON lines: prediction_id, time, model, model_version, inputs, predicted, labels.',
    secured: true,
    query: [
      { name: 'model', description: 'Model name (default: DEFAULT_MODEL).', schema: { type: 'string' } },
    ],
    responses: {
      '200': {
        description: 'One JSON object per line.',
        content: { 'application/jsonl': { schema: { type: 'string' } } },
      },
      '401': STANDARD_ERRORS['401'],
      '404': STANDARD_ERRORS['404'],
      '503': errorResponse('The prediction log is off or its store is down.'),
    },
  },
  {
    method: 'get',
    path: '/models/{name}/monitor',
    tag: 'Monitor',
    summary:
      'How the model does in production (HTML): live class shares against training, coverage, low-signal share, live accuracy from feedback, term drift (PSI) per hour or day.',
    secured: true,
    query: [
      {
        name: 'bucket',
        description: '`hour` (48 of them, default) or `day` (30).',
        schema: { type: 'string', enum: ['hour', 'day'] },
      },
    ],
    responses: {
      '200': { description: 'HTML page.', content: HTML },
      '404': STANDARD_ERRORS['404'],
      '503': errorResponse('The prediction log is off or its store is down.'),
    },
  },
  {
    method: 'get',
    path: '/models/{name}/monitor.json',
    tag: 'Monitor',
    summary:
      'The monitor page as JSON: summary, training shares, drift (PSI and the terms behind it), buckets, log status.',
    secured: true,
    query: [
      {
        name: 'bucket',
        description: '`hour` (default) or `day`.',
        schema: { type: 'string', enum: ['hour', 'day'] },
      },
    ],
    responses: {
      '200': { description: 'The report.', content: json({ type: 'object' }) },
      '400': errorResponse('Bad bucket.'),
      '404': STANDARD_ERRORS['404'],
      '503': errorResponse('The prediction log is off or its store is down.'),
    },
  },

  // Model administration (src/ops/admin.ts)
  {
    method: 'post',
    path: '/admin/models/reload',
    tag: 'Operations',
    summary:
      'Read ARTIFACTS_DIR again: new and changed bundles are loaded and self-tested beside the running ones, then swapped in; a failing one is not (the old keeps serving). Needs ADMIN_TOKEN in X-Admin-Token.',
    secured: true,
    responses: {
      '200': {
        description: 'Everything new was swapped in: the reload report.',
        content: json({ type: 'object' }),
      },
      '401': errorResponse('No or a wrong X-Admin-Token (or API key).'),
      '403': errorResponse('ADMIN_TOKEN is not set: the admin API is off.'),
      '409': errorResponse('Some bundle was refused; details is the reload report.'),
    },
  },
  {
    method: 'post',
    path: '/admin/models/{name}/versions/{version}/default',
    tag: 'Operations',
    summary:
      "Serve this version at the model's own routes (rollback), until its `default` file changes. Needs ADMIN_TOKEN in X-Admin-Token.",
    secured: true,
    responses: {
      '200': { description: 'The reload report.', content: json({ type: 'object' }) },
      '401': errorResponse('No or a wrong X-Admin-Token (or API key).'),
      '403': errorResponse('ADMIN_TOKEN is not set: the admin API is off.'),
      '404': errorResponse('Unknown model or version.'),
      '409': errorResponse('That version is not ready.'),
    },
  },

  // Operations (src/ops)
  {
    method: 'get',
    path: '/health',
    tag: 'Operations',
    summary: 'Liveness: the process answers.',
    secured: false,
    responses: { '200': { description: 'Alive.', content: json({ type: 'object' }) } },
  },
  {
    method: 'get',
    path: '/ready',
    tag: 'Operations',
    summary:
      "Readiness: the required models (REQUIRED_MODELS, else the default) loaded and passed their self-test, and not shutting down; every model's state is listed.",
    secured: false,
    responses: {
      '200': { description: 'Ready.', content: json(ref('Readiness')) },
      '503': { description: 'Not ready; `reasons` says why.', content: json(ref('Readiness')) },
    },
  },
  {
    method: 'get',
    path: '/models/{name}/ready',
    tag: 'Operations',
    summary: "One model's readiness: 200, or 503 with its state and reason.",
    secured: false,
    responses: {
      '200': { description: 'Ready.', content: json({ type: 'object' }) },
      '404': STANDARD_ERRORS['404'],
      '503': {
        description: 'Not ready (`state` failed or not_ready, `reason`).',
        content: json({ type: 'object' }),
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics.',
    secured: false,
    responses: { '200': { description: 'Prometheus text format.', content: PLAIN } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'Operations',
    summary: 'This document.',
    secured: false,
    responses: { '200': { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'Operations',
    summary: 'This document as a page.',
    secured: false,
    responses: { '200': { description: 'HTML page.', content: HTML } },
  },
];

const SCHEMAS: Record<string, Schema> = {
  Feedback: {
    type: 'object',
    description: 'The true class of a logged prediction: a class name (or value) of its model.',
    properties: {
      label: { type: ['string', 'integer'] },
      labels: { type: 'array', items: { type: ['string', 'integer'] }, description: 'Multi-label models.' },
    },
  },
  Row: {
    type: 'object',
    description: "One row: the model's input fields (see GET /models/{name}); every value is a string.",
    additionalProperties: { type: 'string' },
  },
  PredictRequest: {
    oneOf: [
      {
        title: 'Single',
        allOf: [
          ref('Row'),
          {
            type: 'object',
            properties: {
              model: { type: 'string' },
              explain: { type: 'boolean' },
              top_terms: { type: 'integer', minimum: 1, maximum: 50 },
            },
          },
        ],
      },
      {
        title: 'Batch',
        type: 'object',
        required: ['instances'],
        properties: {
          instances: { type: 'array', items: { oneOf: [ref('Row'), { type: 'string' }] } },
          model: { type: 'string' },
          explain: { type: 'boolean' },
          top_terms: { type: 'integer' },
        },
        additionalProperties: false,
      },
      { title: 'Batch (array)', type: 'array', items: { oneOf: [ref('Row'), { type: 'string' }] } },
      {
        title: 'Seed SageMaker shape',
        type: 'object',
        required: ['input'],
        properties: { input: { type: 'array', items: ref('Row') } },
      },
    ],
  },
  Prediction: {
    type: 'object',
    properties: {
      model: { type: 'string' },
      label: {
        type: ['integer', 'string', 'null'],
        description: 'The class value as the model was trained with it.',
      },
      label_name: { type: ['string', 'null'] },
      labels: { type: 'array', items: { type: ['integer', 'string'] }, description: 'Multi-label models.' },
      label_names: { type: 'array', items: { type: 'string' } },
      probabilities: {
        type: 'object',
        additionalProperties: { type: 'number' },
        description: 'By String(class value).',
      },
      scores: {
        type: 'object',
        additionalProperties: { type: 'number' },
        description: 'Decision scores (models without probabilities).',
      },
      coverage: {
        type: 'object',
        properties: { total: { type: 'integer' }, known: { type: 'integer' }, ratio: { type: 'number' } },
      },
      low_signal: { type: 'boolean', description: 'The model knows none of the tokens of this text.' },
      explanation: ref('Explanation'),
      prediction_id: {
        type: 'string',
        format: 'uuid',
        description: 'With PREDICTION_LOG on: this row in the log, for POST /predictions/{id}/feedback.',
      },
    },
    required: ['coverage', 'low_signal'],
  },
  Explanation: {
    type: 'object',
    properties: {
      class: { type: ['integer', 'string'] },
      class_name: { type: 'string' },
      intercept: { type: 'number' },
      toward: { type: 'array', items: ref('Term') },
      against: { type: 'array', items: ref('Term') },
    },
  },
  Term: {
    type: 'object',
    properties: { term: { type: 'string' }, field: { type: 'string' }, contribution: { type: 'number' } },
  },
  BatchPrediction: {
    type: 'object',
    properties: { model: { type: 'string' }, predictions: { type: 'array', items: ref('Prediction') } },
  },
  SeedPrediction: { type: 'object', properties: { output: { type: 'array', items: ref('Prediction') } } },
  ModelSummary: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      task: { enum: ['binary', 'multiclass', 'multilabel'] },
      output: { enum: ['probabilities', 'scores'] },
      default: { type: 'boolean' },
      ready: { type: 'boolean' },
      reason: { type: 'string' },
      inputs: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, label: { type: 'string' }, required: { type: 'boolean' } },
        },
      },
      classes: {
        type: 'array',
        items: {
          type: 'object',
          properties: { value: { type: ['integer', 'string'] }, name: { type: 'string' } },
        },
      },
    },
  },
  ModelList: {
    type: 'object',
    properties: {
      default: { type: 'string' },
      models: { type: 'array', items: ref('ModelSummary') },
      failed: {
        description: 'Bundles that failed to load (only when there are some): their routes answer 503.',
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, default: { type: 'boolean' }, reason: { type: 'string' } },
        },
      },
    },
  },
  Readiness: {
    type: 'object',
    properties: {
      status: { enum: ['ready', 'not_ready'] },
      required: { type: 'array', items: { type: 'string' } },
      models: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            state: { enum: ['ready', 'not_ready', 'failed'] },
            ready: { type: 'boolean' },
            default: { type: 'boolean' },
            required: { type: 'boolean' },
            reason: { type: 'string' },
          },
        },
      },
      reasons: { type: 'array', items: { type: 'string' } },
    },
  },
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['status', 'code', 'message'],
        properties: {
          status: { type: 'integer' },
          code: { type: 'string', examples: ['invalid_input', 'not_found', 'payload_too_large'] },
          message: { type: 'string' },
          details: {
            description:
              'For invalid rows: `{"failed": n, "rows": [{"index", "field", "message", "line"?}]}`.',
          },
        },
      },
    },
  },
};

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, unknown>;
  tags: { name: string }[];
}

export function buildOpenApi(
  config: Pick<Config, 'apiKeys'> & Partial<Pick<Config, 'protectForm'>>,
  registry?: ModelRegistry,
  version = '0.1.0',
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters = [
      ...(op.path.includes('{name}') ? [MODEL_PARAM] : []),
      ...(op.path.includes('{version}') ? [VERSION_PARAM] : []),
      ...(op.query ?? []).map((q) => ({
        name: q.name,
        in: 'query',
        required: false,
        description: q.description,
        schema: q.schema,
      })),
    ];
    const entry: Record<string, unknown> = {
      tags: [op.tag],
      summary: op.summary,
      ...(op.description === undefined ? {} : { description: op.description }),
      operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.requestBody === undefined ? {} : { requestBody: { required: true, content: op.requestBody } }),
      responses: op.responses,
      ...(op.secured && config.apiKeys.length > 0 && (op.method === 'post' || !op.form || config.protectForm)
        ? { security: [{ bearer: [] }, { apiKey: [] }] }
        : {}),
    };
    paths[op.path] = { ...(paths[op.path] ?? {}), [op.method]: entry };
  }
  const models = registry?.list().map((m) => m.name) ?? [];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sift',
      version,
      description: `Text classification with scikit-learn TF-IDF + linear models.${
        models.length > 0 ? ` Loaded models: ${models.join(', ')} (default: ${registry?.defaultModel}).` : ''
      } Errors are \`{"error": {"status", "code", "message", "details"?}}\`.`,
    },
    tags: [...new Set(OPERATIONS.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer KEY (when API_KEYS is set).',
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

/** Who may use a route when API_KEYS is set (see Operation.secured and Operation.form). */
export type Access = 'open' | 'form' | 'key';

interface CompiledPath {
  regexp: RegExp;
  /** Method (HEAD with GET) → its access. */
  methods: Map<string, Access>;
}

const accessOf = (op: Operation): Access => (!op.secured ? 'open' : op.form === true ? 'form' : 'key');

const compiled: CompiledPath[] = (() => {
  const byPath = new Map<string, Map<string, Access>>();
  for (const op of OPERATIONS) {
    const methods = byPath.get(op.path) ?? new Map<string, Access>();
    methods.set(op.method.toUpperCase(), accessOf(op));
    if (op.method === 'get') methods.set('HEAD', accessOf(op));
    byPath.set(op.path, methods);
  }
  // Parameters never hold ':' (model names are [a-z0-9._-]), so `/v1/models/{name}` does not match
  // `/v1/models/x:predict`.
  return [...byPath].map(([path, methods]) => {
    const pattern = path
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith('{') ? '[^/:]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    // Case-insensitive like Express' routing, so /PREDICT gets the same 405 as /predict.
    return { regexp: new RegExp(`^${pattern}/?$`, 'i'), methods };
  });
})();

/** Methods served at `path` per the route table; undefined when no route has that path. */
export function allowedMethods(path: string): string[] | undefined {
  const methods = new Set<string>();
  for (const entry of compiled) {
    if (entry.regexp.test(path)) entry.methods.forEach((_access, m) => methods.add(m));
  }
  return methods.size === 0 ? undefined : [...methods].sort();
}

/**
 * The access the route table gives `method` on `path`. Deny by default: a path no route lists, or
 * a method the path does not serve, needs a key — unless every route at that path is open (then
 * the answer is its 405, which carries nothing).
 */
export function routeAccess(method: string, path: string): Access {
  const matches = compiled.filter((entry) => entry.regexp.test(path));
  for (const entry of matches) {
    const access = entry.methods.get(method.toUpperCase());
    if (access !== undefined) return access;
  }
  const open = matches.length > 0 && matches.every((e) => [...e.methods.values()].every((a) => a === 'open'));
  return open ? 'open' : 'key';
}
