/**
 * Amazon SageMaker's container contract: GET /ping, POST /invocations and, for batch transform,
 * GET /execution-parameters. The same image serves it when started with `serve` (port 8080).
 *
 * /invocations reads JSON (Sift's own shapes, the seeds' `{"input": [...]}` and MLflow's scoring
 * formats), CSV and JSON Lines, and answers JSON, CSV or JSON Lines as the Accept header asks. The
 * model is the one named by `model=NAME` in X-Amzn-SageMaker-Custom-Attributes, else the default;
 * `explain=true` and `top_terms=N` may ride there too. In Sift's own JSON shapes the body's
 * `model`, `explain` and `top_terms` win over the header.
 */
import { csvWorkBytes, reserveMore } from '../http/admission';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express, { Router } from 'express';
import type { AppDeps } from '../deps';
import { HttpError, methodNotAllowed, serviceUnavailable } from '../errors';
import { mapBodyError, readBody } from '../http/body';
import { type RoutesOf, directRoute } from '../http/dispatch';
import type { InputRow, LoadedModel } from '../model/types';
import { requestSource } from '../monitor/capture';
import {
  type PredictionJson,
  formatBatch,
  formatPrediction,
  formatSeed,
  formatSingle,
} from '../predict/format';
import {
  type RequestOptions,
  mergeOptions,
  readJsonPayload,
  readTextOptions,
  rowsFromItems,
} from '../predict/input';
import { readiness } from '../ops/health';
import { type CsvFormat, csvFormatHeaders, readCsvOptions } from '../predict/csv';
import { predictRows, resolveModel } from '../predict/predict';
import { setModelVersion } from '../predict/routes';
import { parseSageMakerCsv, predictionsCsv } from './csv';
import { CUSTOM_ATTRIBUTES_HEADER, parseCustomAttributes } from './custom-attributes';
import { parseJsonLines, toJsonLines } from './jsonlines';
import { JSON_LINES_TYPES, type BodyFormat, negotiate, parseMediaType, requireBodyFormat } from './media';
import { isMlflowPayload, parseMlflowPayload } from './mlflow';
import { validateRawRows } from './rows';

/** What the body asked for: the rows, and how to answer them in JSON. */
interface Invocation {
  rows: readonly InputRow[];
  /** `single`, `batch` and `seed` answer like POST /predict; `records` as MLflow: {"predictions"}. */
  shape: 'single' | 'batch' | 'seed' | 'records';
  /** How a CSV body was read (told back in headers). */
  csvFormat?: CsvFormat;
}

function pick(params: Readonly<Record<string, string>>, name: string): Record<string, string> {
  return Object.hasOwn(params, name) ? { [name]: params[name] } : {};
}

type Answer = 'json' | 'csv' | 'jsonlines';

const ANSWER_TYPES = ['application/json', 'text/csv', ...JSON_LINES_TYPES];

export function createSageMakerRouter(deps: AppDeps): RoutesOf {
  const { config, registry } = deps;
  const router = Router();
  const limits = { maxBatch: config.maxBatch, maxTextChars: config.maxTextChars };
  const readers: Record<BodyFormat, RequestHandler> = {
    json: readBody(config, ['json']),
    csv: readBody(config, ['csv']),
    jsonlines: readText(config.maxBodyBytes, (error) => mapBodyError(error, config, 'json')),
  };

  router
    .route('/ping')
    .get((_req: Request, res: Response) => {
      const report = readiness(deps);
      if (report.status !== 'ready') throw serviceUnavailable(`not ready: ${report.reasons.join('; ')}`);
      // SageMaker only reads the status; its contract asks for an empty body.
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).end();
    })
    .all(notAllowed(['GET', 'HEAD']));

  router
    .route('/execution-parameters')
    .get((_req: Request, res: Response) => {
      // Batch transform packs records into requests of at most MaxPayloadInMB; CSV bodies may use
      // MAX_UPLOAD_BYTES, JSON Lines MAX_BODY_BYTES: the smaller one is safe for both.
      const bytes = Math.min(config.maxBodyBytes, config.maxUploadBytes);
      res.json({
        MaxConcurrentTransforms: config.webConcurrency,
        BatchStrategy: 'MULTI_RECORD',
        MaxPayloadInMB: Math.max(1, Math.floor(bytes / (1024 * 1024))),
      });
    })
    .all(notAllowed(['GET', 'HEAD']));

  /** Pick the reader for the declared Content-Type (415 before reading anything else). */
  function readInvocationBody(req: Request, res: Response, next: NextFunction): void {
    let format: BodyFormat;
    try {
      format = requireBodyFormat(req.get('content-type'), ['json', 'csv', 'jsonlines']).format;
    } catch (error) {
      next(error);
      return;
    }
    res.locals.bodyFormat = format;
    readers[format](req, res, next);
  }

  async function invoke(req: Request, res: Response): Promise<void> {
    const format = res.locals.bodyFormat as BodyFormat;
    const answer = negotiateAnswer(req);
    const attributes = parseCustomAttributes(req.get(CUSTOM_ATTRIBUTES_HEADER));
    const headerOptions = readTextOptions(Object.fromEntries(attributes));
    if (req.body === undefined) {
      throw new HttpError(400, 'empty_body', 'the request has no body; send JSON, CSV or JSON Lines');
    }

    const bodyOptions = format === 'json' ? jsonBodyOptions(req.body) : {};
    const options = mergeOptions(headerOptions, bodyOptions);
    const model = resolveModel(registry, options.model);
    const invocation = await readInvocation(format, req, model, attributes);
    if (invocation.csvFormat !== undefined) res.set(csvFormatHeaders(invocation.csvFormat));

    // A CSV answer has no place for explanations.
    const explain = answer !== 'csv' && (options.explain ?? config.explainDefault);
    const result = await predictRows(deps, model.name, invocation.rows, {
      explain,
      topTerms: options.topTerms,
      capture: requestSource(req, res),
    });
    if (config.logInputs) req.log.info({ model: model.name, rows: invocation.rows }, 'prediction inputs');
    setModelVersion(res, res.locals, result.model);

    res.setHeader('Cache-Control', 'no-store');
    res.vary('Accept');
    if (answer === 'csv') {
      const header =
        parseMediaType(acceptedEntry(req, 'text/csv'))?.params.header?.toLowerCase() === 'present';
      const text = await predictionsCsv(model, result.predictions, header);
      res.type(`text/csv; charset=utf-8; header=${header ? 'present' : 'absent'}`);
      res.send(text);
      return;
    }
    if (answer === 'jsonlines') {
      res.type('application/jsonlines; charset=utf-8');
      res.send(toJsonLines(result.predictions.map((p): PredictionJson => formatPrediction(model, p))));
      return;
    }
    switch (invocation.shape) {
      case 'single':
        res.json(formatSingle(result));
        return;
      case 'batch':
        res.json(formatBatch(result));
        return;
      case 'seed':
        res.json(formatSeed(result));
        return;
      case 'records':
        // MLflow's scoring server answers {"predictions": [...]}, one entry per row.
        res.json({ predictions: result.predictions.map((p) => formatPrediction(model, p)) });
        return;
    }
  }

  async function readInvocation(
    format: BodyFormat,
    req: Request,
    model: LoadedModel,
    attributes: ReadonlyMap<string, string>,
  ): Promise<Invocation> {
    const { inputs } = model.card;
    if (format === 'csv') {
      const params = parseMediaType(req.get('content-type'))?.params ?? {};
      // The Content-Type parameter wins over the custom attribute.
      const { delimiter } = readCsvOptions(Object.fromEntries(attributes), pick(params, 'delimiter'));
      if (req.res !== undefined) reserveMore(req.res, csvWorkBytes(req.body as Buffer));
      const parsed = await parseSageMakerCsv(req.body as Buffer, inputs, params, delimiter);
      const rows = validateRawRows(parsed.rows, inputs, limits, {
        unknownFields: 'ignore',
        lines: parsed.lines,
      });
      return { rows, shape: 'records', csvFormat: parsed.format };
    }
    if (format === 'jsonlines') {
      const parsed = parseJsonLines(req.body as string, config.maxJsonDepth);
      const rows = validateRawRows(parsed.rows, inputs, limits, {
        unknownFields: 'ignore',
        lines: parsed.lines,
      });
      return { rows, shape: 'records' };
    }
    const body: unknown = req.body;
    if (isMlflowPayload(body)) {
      const payload = parseMlflowPayload(body, inputs);
      // Data frames carry ids and targets beside the inputs, and write a missing value as null.
      const rows = validateRawRows(payload.rows, inputs, limits, {
        unknownFields: 'ignore',
        nullIsMissing: true,
      });
      return { rows, shape: 'records' };
    }
    const payload = readJsonPayload(body);
    return { rows: rowsFromItems(payload.items, inputs, limits), shape: payload.shape };
  }

  // JSON invocations come through the direct path (src/http/dispatch.ts), the rest through the router.
  const invocations = directRoute('/invocations', [readInvocationBody, invoke]);
  router
    .route(invocations.path)
    .post(...invocations.handlers)
    .all(notAllowed(['POST']));

  return { router, direct: [invocations] };
}

/** Sift's own JSON shapes may carry `model`, `explain` and `top_terms`; MLflow's carry none. */
function jsonBodyOptions(body: unknown): RequestOptions {
  if (isMlflowPayload(body)) return {};
  return readJsonPayload(body).options;
}

/** The answer format from Accept: JSON when absent or `*\/*`; 406 when nothing offered is acceptable. */
function negotiateAnswer(req: Request): Answer {
  const chosen = negotiate(req.get('accept'), ANSWER_TYPES);
  if (chosen === undefined) {
    throw new HttpError(
      406,
      'not_acceptable',
      `cannot answer in ${JSON.stringify(req.get('accept')?.slice(0, 200))}; accepted: application/json, text/csv, application/jsonlines`,
    );
  }
  if (chosen === 'text/csv') return 'csv';
  return JSON_LINES_TYPES.includes(chosen) ? 'jsonlines' : 'json';
}

/** The Accept entry naming `essence` with its parameters (e.g. `text/csv;header=present`). */
function acceptedEntry(req: Request, essence: string): string | undefined {
  const accept = req.get('accept') ?? '';
  return accept.split(',').find((entry) => parseMediaType(entry)?.essence === essence);
}

/** A text body reader (any charset iconv-lite knows), with body-parser errors mapped to 4xx. */
function readText(limit: number, mapError: (error: unknown) => unknown): RequestHandler {
  const text = express.text({ type: () => true, limit, defaultCharset: 'utf-8' });
  return (req: Request, res: Response, next: NextFunction) => {
    req.body = undefined;
    text(req, res, (error?: unknown) => {
      if (error !== undefined) {
        next(mapError(error));
        return;
      }
      if (typeof req.body !== 'string' || req.body === '') req.body = undefined;
      next();
    });
  };
}

function notAllowed(allowed: readonly string[]): RequestHandler {
  return (req: Request, res: Response) => {
    res.setHeader('Allow', allowed.join(', '));
    throw methodNotAllowed(req.method, allowed);
  };
}
