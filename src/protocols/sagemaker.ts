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
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type pino from 'pino';
import { csvWorkBytes, reserveMore } from '../http/admission';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express, { Router } from 'express';
import type { AppDeps } from '../deps';
import { HttpError, methodNotAllowed, serviceUnavailable } from '../errors';
import { mapBodyError, readBody } from '../http/body';
import { type RoutesOf, directRoute, jsonRoute, varyAccept } from '../http/dispatch';
import { sendJson } from '../http/json';
import type { InputRow, LoadedModel } from '../model/types';
import { type CaptureSource, requestSource } from '../monitor/capture';
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

/** An invocation on either request path: the parsed body and where its answer goes. */
interface InvokeCall {
  readonly format: BodyFormat;
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
  readonly res: ServerResponse;
  readonly locals: Record<string, unknown>;
  log(): pino.Logger;
  readonly capture: CaptureSource;
}

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

  /**
   * An invocation up to its answer, on either request path (src/http/dispatch.ts): options (the
   * custom attributes, then the body), model, rows, prediction, the answer's headers.
   */
  async function predictInvocation(call: InvokeCall, answer: Answer) {
    const attributes = parseCustomAttributes(headerOf(call.headers, CUSTOM_ATTRIBUTES_HEADER));
    const headerOptions = readTextOptions(Object.fromEntries(attributes));
    if (call.body === undefined) {
      throw new HttpError(400, 'empty_body', 'the request has no body; send JSON, CSV or JSON Lines');
    }

    const bodyOptions = call.format === 'json' ? jsonBodyOptions(call.body) : {};
    const options = mergeOptions(headerOptions, bodyOptions);
    const model = resolveModel(registry, options.model);
    const invocation = await readInvocation(call, model, attributes);
    if (invocation.csvFormat !== undefined) {
      for (const [name, value] of Object.entries(csvFormatHeaders(invocation.csvFormat)))
        call.res.setHeader(name, value);
    }

    // A CSV answer has no place for explanations.
    const explain = answer !== 'csv' && (options.explain ?? config.explainDefault);
    const result = await predictRows(deps, model.name, invocation.rows, {
      explain,
      topTerms: options.topTerms,
      capture: call.capture,
    });
    if (config.logInputs) call.log().info({ model: model.name, rows: invocation.rows }, 'prediction inputs');
    setModelVersion(call.res, call.locals, result.model);

    call.res.setHeader('Cache-Control', 'no-store');
    varyAccept(call.res);
    return { model, result, shape: invocation.shape };
  }

  /** A JSON answer, on either request path. */
  async function invokeJson(call: InvokeCall): Promise<void> {
    const { model, result, shape } = await predictInvocation(call, 'json');
    switch (shape) {
      case 'single':
        sendJson(call.res, formatSingle(result));
        return;
      case 'batch':
        sendJson(call.res, formatBatch(result));
        return;
      case 'seed':
        sendJson(call.res, formatSeed(result));
        return;
      case 'records':
        // MLflow's scoring server answers {"predictions": [...]}, one entry per row.
        sendJson(call.res, { predictions: result.predictions.map((p) => formatPrediction(model, p)) });
        return;
    }
  }

  /** The router's (and the direct path's) handler: every body format and answer format. */
  async function invoke(req: Request, res: Response): Promise<void> {
    const answer = negotiateAnswer(req.headers.accept);
    const call: InvokeCall = {
      format: res.locals.bodyFormat as BodyFormat,
      body: req.body,
      headers: req.headers,
      res,
      locals: res.locals,
      log: () => req.log,
      capture: requestSource(req, res),
    };
    if (answer === 'json') return invokeJson(call);
    const { model, result } = await predictInvocation(call, answer);
    if (answer === 'csv') {
      const header =
        parseMediaType(acceptedEntry(req, 'text/csv'))?.params.header?.toLowerCase() === 'present';
      const text = await predictionsCsv(model, result.predictions, header);
      res.type(`text/csv; charset=utf-8; header=${header ? 'present' : 'absent'}`);
      res.send(text);
      return;
    }
    res.type('application/jsonlines; charset=utf-8');
    res.send(toJsonLines(result.predictions.map((p): PredictionJson => formatPrediction(model, p))));
  }

  async function readInvocation(
    call: InvokeCall,
    model: LoadedModel,
    attributes: ReadonlyMap<string, string>,
  ): Promise<Invocation> {
    const { inputs } = model.card;
    const { format, body } = call;
    if (format === 'csv') {
      const bytes = body as Buffer;
      const params = parseMediaType(headerOf(call.headers, 'content-type'))?.params ?? {};
      // The Content-Type parameter wins over the custom attribute.
      const { delimiter } = readCsvOptions(Object.fromEntries(attributes), pick(params, 'delimiter'));
      // CSV bodies come through Express only (the JSON path takes JSON): res is Express's.
      reserveMore(call.res as Response, csvWorkBytes(bytes));
      const parsed = await parseSageMakerCsv(bytes, inputs, params, delimiter);
      const rows = validateRawRows(parsed.rows, inputs, limits, {
        unknownFields: 'ignore',
        lines: parsed.lines,
      });
      return { rows, shape: 'records', csvFormat: parsed.format };
    }
    if (format === 'jsonlines') {
      const parsed = parseJsonLines(body as string, config.maxJsonDepth);
      const rows = validateRawRows(parsed.rows, inputs, limits, {
        unknownFields: 'ignore',
        lines: parsed.lines,
      });
      return { rows, shape: 'records' };
    }
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

  // JSON invocations answered in JSON take the JSON path, other JSON ones the direct path
  // (src/http/dispatch.ts), the rest the router.
  const invocations = directRoute('/invocations', [readInvocationBody, invoke]);
  router
    .route(invocations.path)
    .post(...invocations.handlers)
    .all(notAllowed(['POST']));
  const viaJson = jsonRoute(
    invocations.path,
    (call) =>
      invokeJson({
        format: 'json',
        body: call.body,
        headers: call.req.headers,
        res: call.res,
        locals: call.locals,
        log: call.log,
        capture: { requestId: call.id, route: call.route },
      }),
    undefined,
    // CSV and JSON Lines answers (and the 406) stay with the router's handler.
    (req) => answersJson(req.headers.accept),
  );

  return { router, direct: [invocations], json: [viaJson] };
}

/** Sift's own JSON shapes may carry `model`, `explain` and `top_terms`; MLflow's carry none. */
function jsonBodyOptions(body: unknown): RequestOptions {
  if (isMlflowPayload(body)) return {};
  return readJsonPayload(body).options;
}

/** A header as req.get reads it (a repeated one joined by node), undefined for an array. */
function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Whether Accept asks for JSON (negotiateAnswer's choice), remembered per header: clients send few. */
const ANSWERS_JSON = new Map<string | undefined, boolean>();
function answersJson(accept: string | undefined): boolean {
  let json = ANSWERS_JSON.get(accept);
  if (json === undefined) {
    json = negotiate(accept, ANSWER_TYPES) === 'application/json';
    // Bounded, as prefersHtml's memory (src/http/security.ts).
    if (ANSWERS_JSON.size >= 256) ANSWERS_JSON.clear();
    if (accept === undefined || accept.length <= 512) ANSWERS_JSON.set(accept, json);
  }
  return json;
}

/** The answer format from Accept: JSON when absent or `*\/*`; 406 when nothing offered is acceptable. */
function negotiateAnswer(accept: string | undefined): Answer {
  const chosen = negotiate(accept, ANSWER_TYPES);
  if (chosen === undefined) {
    throw new HttpError(
      406,
      'not_acceptable',
      `cannot answer in ${JSON.stringify(accept?.slice(0, 200))}; accepted: application/json, text/csv, application/jsonlines`,
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
