/**
 * The prediction API: POST /predict, POST /models/:name/predict, GET /models, GET /models/:name.
 * Handlers only sort the request out and pick the answer's format; the work is in input.ts,
 * csv.ts, predict.ts and format.ts.
 */
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../app';
import { HttpError, badRequest } from '../errors';
import {
  type BodyKind,
  type FormFields,
  bodyKindOf,
  describeKinds,
  readBody,
  uploadedFile,
} from '../http/body';
import { csvWorkBytes, reserveMore } from '../http/admission';
import { wantsHtml } from '../http/security';
import type { InputRow, LoadedModel, ModelRegistry } from '../model/types';
import { renderPrediction } from '../web/render';
import { parseCsv, predictionsToCsv, type CsvTable } from './csv';
import { formatBatch, formatSeed, formatSingle } from './format';
import {
  type PayloadShape,
  type PredictPayload,
  type RequestOptions,
  mergeOptions,
  readJsonPayload,
  readTextOptions,
  rowFromForm,
  rowFromText,
  rowsFromItems,
} from './input';
import { predictRows, resolveModel } from './predict';

export const PREDICT_BODY_KINDS: readonly BodyKind[] = ['json', 'form', 'multipart', 'csv', 'text'];

/** What the request asked for, once its body is sorted out. */
interface PredictRequest {
  shape: PayloadShape | 'csv';
  rows: readonly InputRow[];
  table?: CsvTable;
}

const csvDecoder = new TextDecoder('utf-8', { fatal: false });

const JSON_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/**
 * What res.json sends with `json escape` on (<, > and & escaped so the answer never reads as HTML),
 * without res.send's generic work (ETag, freshness, body type sniffing) on the hottest path.
 */
export function sendJson(res: Response, value: unknown): void {
  let body = JSON.stringify(value);
  if (/[<>&]/.test(body)) body = body.replace(/[<>&]/g, (c) => JSON_ESCAPES[c]);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function createPredictRouter(deps: AppDeps): Router {
  const router = Router();
  const { config, registry } = deps;
  const limits = {
    maxTextChars: config.maxTextChars,
    maxBatch: config.maxBatch,
    maxCsvRows: config.maxCsvRows,
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
    const query = readTextOptions(req.query as Record<string, unknown>);
    const kind = req.body === undefined ? undefined : bodyKindOf(req);
    const fromForm =
      kind === 'form' || kind === 'multipart' ? readTextOptions(req.body as Record<string, unknown>) : {};
    const options = mergeOptions(query, fromForm, payload?.options ?? {});
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

  /** Sort the body into rows for `model`: the model's inputs say what a row is. */
  function readRows(
    req: Request,
    res: Response,
    model: LoadedModel,
    payload: PredictPayload | undefined,
  ): PredictRequest {
    const { inputs } = model.card;
    const upload = uploadedFile(res);
    if (upload !== undefined) {
      const text = csvDecoder.decode(upload.buffer);
      reserveMore(res, csvWorkBytes(text));
      const table = parseCsv(text, inputs, limits);
      return { shape: 'csv', rows: table.rows, table };
    }
    if (payload !== undefined) {
      return { shape: payload.shape, rows: rowsFromItems(payload.items, inputs, limits) };
    }
    switch (req.body === undefined ? undefined : bodyKindOf(req)) {
      case 'form':
      case 'multipart':
        return { shape: 'single', rows: [rowFromForm(req.body as FormFields, inputs, limits)] };
      case 'csv': {
        reserveMore(res, csvWorkBytes(req.body as string));
        const table = parseCsv(req.body as string, inputs, limits);
        return { shape: 'csv', rows: table.rows, table };
      }
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

  const predict = (pathModel: (req: Request) => string | undefined) =>
    async function predictHandler(req: Request, res: Response): Promise<void> {
      const payload = jsonPayload(req);
      const options = readOptions(req, payload, pathModel(req));
      const model = resolveModel(registry, options.model);
      const request = readRows(req, res, model, payload);
      const html = request.shape === 'single' && wantsHtml(req);
      const explain = html || (options.explain ?? config.explainDefault);
      const result = await predictRows(deps, model.name, request.rows, {
        explain,
        topTerms: options.topTerms,
      });

      if (config.logInputs) req.log.info({ model: model.name, rows: request.rows }, 'prediction inputs');
      res.setHeader('Cache-Control', 'no-store');
      res.vary('Accept');

      if (request.table !== undefined) {
        if (req.accepts(['text/csv', 'application/json']) === 'application/json') {
          res.json(formatBatch(result));
          return;
        }
        res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
        res.setHeader('Content-Disposition', `attachment; filename="predictions-${model.name}.csv"`);
        res.send(predictionsToCsv(request.table, result));
        return;
      }
      if (html) {
        renderPrediction(res, { model, inputs: result.rows[0], prediction: result.predictions[0] });
        return;
      }
      if (request.shape === 'seed') sendJson(res, formatSeed(result));
      else if (request.shape === 'batch') sendJson(res, formatBatch(result));
      else sendJson(res, formatSingle(result));
    };

  router.post(
    '/predict',
    body,
    predict(() => undefined),
  );
  router.post(
    '/models/:name/predict',
    body,
    predict((req) => req.params.name as string),
  );

  router.get('/models', (_req: Request, res: Response) => {
    res.json({
      default: registry.defaultModel,
      models: registry.list().map((m) => modelSummary(m, registry)),
    });
  });

  router.get('/models/:name', (req: Request, res: Response) => {
    const model = resolveModel(registry, req.params.name as string);
    res.json({ ...modelSummary(model, registry), card: model.card });
  });

  return router;
}

export interface ModelSummary {
  name: string;
  title: string;
  description: string;
  task: string;
  output: 'probabilities' | 'scores';
  default: boolean;
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
    ready: status.ready,
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    inputs: model.card.inputs.map((i) => ({ name: i.name, label: i.label, required: i.required })),
    classes: model.card.classes.map((c) => ({ value: c.value, name: c.name })),
  };
}
