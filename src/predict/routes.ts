/**
 * The prediction API: POST /predict, POST /models/:name/predict, GET /models, GET /models/:name.
 * Handlers only sort the request out and pick the answer's format; the work is in input.ts,
 * csv.ts, predict.ts and format.ts.
 */
import type { ServerResponse } from 'node:http';
import { type Request, type Response, Router } from 'express';
import type pino from 'pino';
import type { AppDeps } from '../deps';
import { HttpError, badRequest, unauthorized } from '../errors';
import {
  type BodyKind,
  type FormFields,
  bodyKindOf,
  charsetOf,
  describeKinds,
  readBody,
  uploadedFile,
} from '../http/body';
import { csvWorkBytes, reserveMore } from '../http/admission';
import { type DirectCall, type RoutesOf, directRoute, jsonRoute, varyAccept } from '../http/dispatch';
import { routeLabel } from '../http/context';
import { sendJson } from '../http/json';
import { OPEN_FORM, wantsHtml } from '../http/security';
import type { InputRow, LoadedModel, ModelRegistry } from '../model/types';
import { formErrors, typedValues } from '../web/form';
import { renderForm, renderPrediction } from '../web/render';
import {
  type CsvOptions,
  type CsvTable,
  csvFormatHeaders,
  parseCsv,
  predictionsToCsv,
  readCsvOptions,
  withUploadLimits,
} from './csv';
import { formatBatch, formatSeed, formatSingle } from './format';
import {
  type ModelInputs,
  type PayloadShape,
  type PredictPayload,
  type RequestOptions,
  type RowIssue,
  mergeOptions,
  readJsonPayload,
  readTextOptions,
  rowFromForm,
  rowFromText,
  rowsFromItems,
} from './input';
import { requestSource } from '../monitor/capture';
import { predictRows, resolveModel, resolveVersion } from './predict';

export const PREDICT_BODY_KINDS: readonly BodyKind[] = ['json', 'form', 'multipart', 'csv', 'text'];

/** What the request asked for, once its body is sorted out. */
interface PredictRequest {
  shape: PayloadShape | 'csv';
  rows: readonly InputRow[];
  table?: CsvTable;
}

/** The row issues of a form a browser posted (no file), when validation refused it. */
function formIssues(req: Request, res: Response, error: unknown): readonly RowIssue[] | undefined {
  const kind = req.body === undefined ? undefined : bodyKindOf(req);
  if (kind !== 'form' && kind !== 'multipart') return undefined;
  if (uploadedFile(res) !== undefined || !wantsHtml(req)) return undefined;
  if (!(error instanceof HttpError) || error.code !== 'invalid_input') return undefined;
  const rows = (error.details as { rows?: unknown } | undefined)?.rows;
  return Array.isArray(rows) ? (rows as RowIssue[]) : undefined;
}

export function createPredictRouter(deps: AppDeps): RoutesOf {
  const router = Router();
  const { config, registry } = deps;
  const limits = {
    maxTextChars: config.maxTextChars,
    maxBatch: config.maxBatch,
    maxCsvRows: config.maxCsvRows,
    maxUploadBytes: config.maxUploadBytes,
  };
  const body = readBody(config, PREDICT_BODY_KINDS);

  /** The JSON payload, parsed once: it carries both rows and options. */
  function jsonPayload(req: Request): PredictPayload | undefined {
    return req.body !== undefined && bodyKindOf(req) === 'json' ? readJsonPayload(req.body) : undefined;
  }

  /** Options from the query string and the body; the model named in the path wins over both. */
  function readOptions(
    req: Request,
    payload: PredictPayload | undefined,
    pathModel: string | undefined,
  ): RequestOptions {
    const kind = req.body === undefined ? undefined : bodyKindOf(req);
    const fromForm =
      kind === 'form' || kind === 'multipart' ? readTextOptions(req.body as Record<string, unknown>) : {};
    return requestOptions(req.query as Record<string, unknown>, fromForm, payload, pathModel);
  }

  /** `delimiter` and `formula_guard` from the query string and form fields. */
  function csvOptions(req: Request): CsvOptions {
    const kind = req.body === undefined ? undefined : bodyKindOf(req);
    const fromForm = kind === 'form' || kind === 'multipart' ? (req.body as Record<string, unknown>) : {};
    return readCsvOptions(req.query as Record<string, unknown>, fromForm);
  }

  async function readTable(
    bytes: Buffer,
    inputs: ModelInputs,
    req: Request,
    res: Response,
    charset?: string,
  ): Promise<PredictRequest> {
    reserveMore(res, csvWorkBytes(bytes));
    try {
      const table = await parseCsv(bytes, inputs, limits, { delimiter: csvOptions(req).delimiter, charset });
      return { shape: 'csv', rows: table.rows, table };
    } catch (error) {
      throw withUploadLimits(error, limits);
    }
  }

  /** Sort the body into rows for `model`: the model's inputs say what a row is. */
  async function readRows(
    req: Request,
    res: Response,
    model: LoadedModel,
    payload: PredictPayload | undefined,
  ): Promise<PredictRequest> {
    const { inputs } = model.card;
    const upload = uploadedFile(res);
    if (upload !== undefined) return readTable(upload.buffer, inputs, req, res);
    if (payload !== undefined) {
      return { shape: payload.shape, rows: rowsFromItems(payload.items, inputs, limits) };
    }
    switch (req.body === undefined ? undefined : bodyKindOf(req)) {
      case 'form':
      case 'multipart':
        return { shape: 'single', rows: [rowFromForm(req.body as FormFields, inputs, limits)] };
      case 'csv':
        return readTable(req.body as Buffer, inputs, req, res, charsetOf(req));
      case 'text':
        return { shape: 'single', rows: [rowFromText(req.body as string, inputs, limits)] };
      default:
        throw new HttpError(
          400,
          'empty_body',
          `the request has no body; send ${describeKinds(PREDICT_BODY_KINDS)}`,
        );
    }
  }

  const predict = (pathModel: (req: Request) => string | undefined, pathVersion?: (req: Request) => string) =>
    async function predictHandler(req: Request, res: Response): Promise<void> {
      const payload = jsonPayload(req);
      // JSON for an API client: the same answer the direct path gives (src/http/dispatch.ts).
      if (
        payload !== undefined &&
        res.locals[OPEN_FORM] !== true &&
        !(payload.shape === 'single' && wantsHtml(req))
      ) {
        const target = {
          id: req.id,
          route: routeLabel(req, res),
          res,
          locals: res.locals,
          log: () => req.log,
        };
        await answerJson(
          target,
          req.query as Record<string, unknown>,
          payload,
          pathModel(req),
          pathVersion?.(req),
        );
        return;
      }
      const options = readOptions(req, payload, pathModel(req));
      const version = pathVersion?.(req);
      const model =
        version === undefined
          ? resolveModel(registry, options.model)
          : resolveVersion(registry, options.model ?? registry.defaultModel, version);
      let request: PredictRequest;
      try {
        request = await readRows(req, res, model, payload);
      } catch (error) {
        const issues = formIssues(req, res, error);
        if (issues === undefined) throw error;
        // A person at the form: show it again as typed, the problems beside their fields.
        const { inputs } = model.card;
        const values = typedValues(req.body as FormFields, inputs);
        renderForm(res, deps, model, { values, errors: formErrors(issues, inputs) }, 400);
        return;
      }
      // Let in without a key as the open form: one text, answered as a page, nothing machine-readable.
      const openForm = res.locals[OPEN_FORM] === true;
      if (openForm && (request.shape !== 'single' || request.table !== undefined)) {
        throw unauthorized('an API key is required for batches and CSV');
      }
      const html = openForm || (request.shape === 'single' && wantsHtml(req));
      const explain = html || (options.explain ?? config.explainDefault);
      const result = await predictRows(deps, model.name, request.rows, {
        ...(version !== undefined ? { version } : {}),
        explain,
        // The page folds every term onto the words of the input, so it needs all of them.
        topTerms: html ? Number.POSITIVE_INFINITY : options.topTerms,
        capture: requestSource(req, res, html ? 'form' : undefined),
      });

      if (config.logInputs) req.log.info({ model: model.name, rows: request.rows }, 'prediction inputs');
      predictionHeaders(res, res.locals, result.model);

      if (request.table !== undefined) {
        res.set(csvFormatHeaders(request.table.format));
        if (req.accepts(['text/csv', 'application/json']) === 'application/json') {
          res.json(formatBatch(result));
          return;
        }
        const download = await predictionsToCsv(request.table, result, csvOptions(req));
        res.setHeader('X-CSV-Cells-Neutralised', String(download.neutralised));
        res.setHeader('X-CSV-Join-Column', download.joinColumn);
        res.setHeader('X-CSV-Rows', String(request.table.records.length));
        res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
        res.setHeader('Content-Disposition', `attachment; filename="predictions-${model.name}.csv"`);
        res.send(download.text);
        return;
      }
      if (html) {
        renderPrediction(res, { model, inputs: result.rows[0], prediction: result.predictions[0] });
        return;
      }
      sendShaped(res, request.shape, result);
    };

  /**
   * A JSON payload from an API client → its answer, on either request path: options, model, rows,
   * prediction, headers, the JSON of the payload's shape.
   */
  async function answerJson(
    target: AnswerTarget,
    query: Readonly<Record<string, unknown>>,
    payload: PredictPayload,
    pathModel: string | undefined,
    version: string | undefined,
  ): Promise<void> {
    const options = requestOptions(query, {}, payload, pathModel);
    const model =
      version === undefined
        ? resolveModel(registry, options.model)
        : resolveVersion(registry, options.model ?? registry.defaultModel, version);
    const rows = rowsFromItems(payload.items, model.card.inputs, limits);
    const result = await predictRows(deps, model.name, rows, {
      ...(version !== undefined ? { version } : {}),
      explain: options.explain ?? config.explainDefault,
      topTerms: options.topTerms,
      capture: { requestId: target.id, route: target.route },
    });
    if (config.logInputs) target.log().info({ model: model.name, rows }, 'prediction inputs');
    predictionHeaders(target.res, target.locals, result.model);
    sendShaped(target.res, payload.shape, result);
  }

  /** The JSON path's entry: the parsed JSON body of a request the dispatch matched. */
  const fromJson =
    (pathModel: (call: DirectCall) => string | undefined, version?: (call: DirectCall) => string) =>
    (call: DirectCall): Promise<void> =>
      answerJson(call, call.query, readJsonPayload(call.body), pathModel(call), version?.(call));

  // JSON posts to these take the JSON or the direct path (src/http/dispatch.ts), the rest the router.
  const routes = [
    {
      path: '/predict',
      express: predict(() => undefined),
      json: fromJson(() => undefined),
    },
    {
      path: '/models/:name/predict',
      express: predict((req) => req.params.name as string),
      json: fromJson((call) => call.params.name),
    },
    {
      path: '/models/:name/versions/:version/predict',
      express: predict(
        (req) => req.params.name as string,
        (req) => req.params.version as string,
      ),
      json: fromJson(
        (call) => call.params.name,
        (call) => call.params.version,
      ),
    },
  ];
  const direct = routes.map((route) => directRoute(route.path, [body, route.express]));
  for (const route of direct) router.post(route.path, ...route.handlers);

  router.get('/models/:name/versions', (req: Request, res: Response) => {
    const model = resolveModel(registry, req.params.name as string);
    res.json({ name: model.name, versions: registry.versions?.(model.name) ?? [] });
  });

  router.get('/models', (_req: Request, res: Response) => {
    const failed = registry.failed ?? [];
    res.json({
      default: registry.defaultModel,
      models: registry.list().map((m) => modelSummary(m, registry)),
      // Registered but not loaded (their routes answer 503 with this reason).
      ...(failed.length > 0
        ? {
            failed: failed.map((f) => ({
              name: f.name,
              default: f.name === registry.defaultModel,
              reason: f.reason,
            })),
          }
        : {}),
    });
  });

  router.get('/models/:name', (req: Request, res: Response) => {
    const model = resolveModel(registry, req.params.name as string);
    res.json({ ...modelSummary(model, registry), card: model.card });
  });

  return { router, direct, json: routes.map((route) => jsonRoute(route.path, route.json)) };
}

/** Where a JSON answer goes: the response, the locals the access log reads, the request's logger. */
interface AnswerTarget {
  /** The request id and route label (for what records predictions per request). */
  readonly id: string;
  readonly route: string;
  readonly res: ServerResponse;
  readonly locals: Record<string, unknown>;
  log(): pino.Logger;
}

/** Options from the query string, the form's fields and the JSON payload; the model in the path wins. */
function requestOptions(
  query: Readonly<Record<string, unknown>>,
  fromForm: RequestOptions,
  payload: PredictPayload | undefined,
  pathModel: string | undefined,
): RequestOptions {
  const options = mergeOptions(readTextOptions(query), fromForm, payload?.options ?? {});
  if (pathModel !== undefined) {
    if (options.model !== undefined && options.model !== pathModel) {
      throw badRequest(
        `the request names model "${options.model.slice(0, 80)}" but the URL names "${pathModel}"`,
      );
    }
    options.model = pathModel;
  }
  return options;
}

/** The headers of every prediction answer: which bundle answered, never cached, varies with Accept. */
function predictionHeaders(
  res: ServerResponse,
  locals: Record<string, unknown>,
  model: Pick<LoadedModel, 'version' | 'versionLabel'>,
): void {
  setModelVersion(res, locals, model);
  res.setHeader('Cache-Control', 'no-store');
  varyAccept(res);
}

function sendShaped(
  res: ServerResponse,
  shape: PredictRequest['shape'],
  result: Parameters<typeof formatBatch>[0],
): void {
  if (shape === 'seed') sendJson(res, formatSeed(result));
  else if (shape === 'batch') sendJson(res, formatBatch(result));
  else sendJson(res, formatSingle(result));
}

/**
 * `X-Model-Version` (content hash, plus the label when there is one): which bundle answered, for
 * every response shape and protocol.
 */
export function setModelVersion(
  res: ServerResponse,
  locals: Record<string, unknown>,
  model: Pick<LoadedModel, 'version' | 'versionLabel'>,
): void {
  if (!model.version) return;
  res.setHeader('X-Model-Version', model.version);
  locals.modelVersion = model.version;
  if (model.versionLabel !== undefined) res.setHeader('X-Model-Version-Label', model.versionLabel);
}

export interface ModelSummary {
  name: string;
  title: string;
  description: string;
  task: string;
  output: 'probabilities' | 'scores';
  default: boolean;
  version?: string;
  version_label?: string;
  ready: boolean;
  reason?: string;
  inputs: { name: string; label: string; required: boolean }[];
  classes: { value: string | number; name: string }[];
}

export function modelSummary(model: LoadedModel, registry: ModelRegistry): ModelSummary {
  const status = model.status();
  return {
    name: model.name,
    title: model.card.title,
    description: model.card.description,
    task: model.card.task,
    output: model.output,
    default: model.name === registry.defaultModel,
    ...(model.version ? { version: model.version } : {}),
    ...(model.versionLabel !== undefined ? { version_label: model.versionLabel } : {}),
    ready: status.ready,
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    inputs: model.card.inputs.map((i) => ({ name: i.name, label: i.label, required: i.required })),
    classes: model.card.classes.map((c) => ({ value: c.value, name: c.name })),
  };
}
