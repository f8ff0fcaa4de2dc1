/**
 * KServe's data planes: the V1 protocol (TF-Serving style `instances` → `predictions`) and the Open
 * Inference Protocol (V2: health, metadata, `infer` with BYTES tensors). Errors under /v1 and /v2
 * are answered as both protocols specify, `{"error": "message"}`, with the usual status codes.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type pino from 'pino';
import type { AppDeps } from '../deps';
import { HttpError, badRequest, methodNotAllowed, notFound, toPublicError } from '../errors';
import { readBody } from '../http/body';
import { type AnswerContext, type RoutesOf, directRoute, jsonRoute } from '../http/dispatch';
import { answerError } from '../http/errors';
import { sendJson } from '../http/json';
import type { InputRow, LoadedModel } from '../model/types';
import { modelReadiness, readiness, registeredNames, requiredModels } from '../ops/health';
import { formatPrediction } from '../predict/format';
import { predictRows, resolveModel } from '../predict/predict';
import { type CaptureSource, requestSource, setPredictionIdsHeader } from '../monitor/capture';
import { setModelVersion } from '../predict/routes';
import {
  type RequestOptions,
  describeJsonType as describeJson,
  isPlainObject,
  readJsonPayload,
  rowsFromItems,
} from '../predict/input';
import { parseMlflowPayload } from './mlflow';
import { buildInferResponse, modelMetadata, parseInferRequest } from './oip';
import { validateRawRows } from './rows';

export const SERVER_NAME = 'sift';

export function createKServeRouter(deps: AppDeps): RoutesOf {
  const { config, registry } = deps;
  const router = Router();
  const limits = { maxBatch: config.maxBatch, maxTextChars: config.maxTextChars };
  const json = readBody(config, ['json']);

  /** The model in the path, or the protocols' 404. */
  const modelOf = (req: Request): LoadedModel => resolveModel(registry, req.params.name as string);

  /** Both protocols' model status: `{name, ready}` (+ the reason), 200 or 503; 404 for no such model. */
  function readinessOf(req: Request): { name: string; ready: boolean; reason?: string } {
    const name = req.params.name as string;
    const model = modelReadiness(registry, name, requiredModels(deps));
    if (model === undefined) return protocolNotFound(name);
    const { ready, reason } = model;
    return { name, ready, ...(reason === undefined ? {} : { reason }) };
  }

  // ---- V1 (the `:verb` routes first: `/v1/models/:name` would also match "tweets:predict")

  /**
   * The predict routes' answers, on either request path (src/http/dispatch.ts): the model named in
   * the path, the parsed body, where the answer goes.
   */
  async function predictV1(call: ProtocolCall, explain: boolean): Promise<void> {
    const model = resolveModel(registry, call.name);
    const { rows, options } = readV1Body(call.body, model, limits);
    const result = await predictRows(deps, model.name, rows, {
      explain: explain || (options.explain ?? config.explainDefault),
      topTerms: options.topTerms,
      capture: call.capture,
    });
    if (config.logInputs) call.log().info({ model: model.name, rows }, 'prediction inputs');
    setModelVersion(call.res, call.locals, result.model);
    call.res.setHeader('Cache-Control', 'no-store');
    const predictions = result.predictions.map((p) => formatPrediction(model, p));
    sendJson(call.res, explain ? { explanations: predictions } : { predictions });
  }

  async function inferV2(call: ProtocolCall): Promise<void> {
    const model = resolveModel(registry, call.name);
    if (call.body === undefined)
      throw new HttpError(400, 'empty_body', 'the request has no body; send an inference request');
    const request = parseInferRequest(call.body, model, limits);
    const result = await predictRows(deps, model.name, request.rows, { capture: call.capture });
    setPredictionIdsHeader(call.res, result.predictions);
    if (config.logInputs) call.log().info({ model: model.name, rows: request.rows }, 'prediction inputs');
    setModelVersion(call.res, call.locals, result.model);
    call.res.setHeader('Cache-Control', 'no-store');
    sendJson(
      call.res,
      buildInferResponse(result.model, request.id ?? randomUUID(), result.predictions, request.outputs),
    );
  }

  const answers = [
    { path: '/v1/models/:name\\:predict', answer: (call: ProtocolCall) => predictV1(call, false) },
    { path: '/v1/models/:name\\:explain', answer: (call: ProtocolCall) => predictV1(call, true) },
    { path: '/v2/models/:name/infer', answer: inferV2 },
  ];
  // JSON posts to these take the JSON or the direct path (src/http/dispatch.ts), the rest the
  // router; all with this router's error answer.
  const direct = answers.map(({ path, answer }) =>
    directRoute(
      path,
      [
        json,
        (req: Request, res: Response) =>
          answer({
            name: req.params.name as string,
            body: req.body,
            res,
            locals: res.locals,
            log: () => req.log,
            capture: requestSource(req, res),
          }),
      ],
      [protocolErrors],
    ),
  );
  const viaJson = answers.map(({ path, answer }) =>
    jsonRoute(
      path,
      (call) =>
        answer({ ...call, name: call.params.name, capture: { requestId: call.id, route: call.route } }),
      failJson,
    ),
  );
  const [v1Predict, v1Explain, v2Infer] = direct;
  for (const route of [v1Predict, v1Explain]) {
    router
      .route(route.path)
      .post(...route.handlers)
      .all(notAllowed(['POST']));
  }

  router.all('/v1/models/:name\\::verb', (req: Request) => {
    throw notFound(
      `"${String(req.params.verb).slice(0, 50)}" is not a KServe V1 verb; use :predict or :explain`,
    );
  });

  router
    .route('/v1/models')
    .get((_req: Request, res: Response) => {
      res.json({ models: registeredNames(registry) });
    })
    .all(notAllowed(['GET', 'HEAD']));

  router
    .route('/v1/models/:name')
    .get((req: Request, res: Response) => {
      res.setHeader('Cache-Control', 'no-store');
      const model = readinessOf(req);
      res.status(model.ready ? 200 : 503).json(model);
    })
    .all(notAllowed(['GET', 'HEAD']));

  // ---- V2 (Open Inference Protocol)

  router
    .route('/v2')
    .get((_req: Request, res: Response) => {
      res.json({ name: SERVER_NAME, version: serverVersion(), extensions: [] });
    })
    .all(notAllowed(['GET', 'HEAD']));

  router
    .route('/v2/health/live')
    .get((_req: Request, res: Response) => {
      res.json({ live: true });
    })
    .all(notAllowed(['GET', 'HEAD']));

  router
    .route('/v2/health/ready')
    .get((_req: Request, res: Response) => {
      const ready = readiness(deps).status === 'ready';
      res.setHeader('Cache-Control', 'no-store');
      res.status(ready ? 200 : 503).json({ ready });
    })
    .all(notAllowed(['GET', 'HEAD']));

  router
    .route('/v2/models/:name')
    .get((req: Request, res: Response) => {
      const model = modelOf(req);
      const versions = (registry.versions?.(model.name) ?? []).map((v) => v.version);
      res.json(modelMetadata(model, versions));
    })
    .all(notAllowed(['GET', 'HEAD']));

  router
    .route('/v2/models/:name/ready')
    .get((req: Request, res: Response) => {
      res.setHeader('Cache-Control', 'no-store');
      const model = readinessOf(req);
      res.status(model.ready ? 200 : 503).json(model);
    })
    .all(notAllowed(['GET', 'HEAD']));

  router
    .route(v2Infer.path)
    .post(...v2Infer.handlers)
    .all(notAllowed(['POST']));

  // Versioned model URLs and anything else under the protocols' prefixes: their 404, their shape.
  router.all(['/v1', '/v1/*rest', '/v2/*rest'], (req: Request) => {
    const versioned = /^\/v2\/models\/[^/]+\/versions\//.test(req.path);
    throw notFound(
      versioned
        ? 'versioned protocol URLs are not served: /v2/models/NAME/... answers with the default version, POST /models/NAME/versions/VERSION/predict with another'
        : `no KServe endpoint at ${req.method} ${req.path.slice(0, 200)}`,
    );
  });

  router.use(protocolErrors);
  return { router, direct, json: viaJson };
}

/**
 * V1 bodies: `{"instances": [rows]}` (rows as in POST /predict: objects of fields or strings, with
 * the optional `explain` / `top_terms`) or TF-Serving's `{"inputs": ...}`, rows or columns.
 */
function readV1Body(
  body: unknown,
  model: LoadedModel,
  limits: { maxBatch: number; maxTextChars: number },
): { rows: InputRow[]; options: RequestOptions } {
  const { inputs } = model.card;
  if (body === undefined)
    throw new HttpError(400, 'empty_body', 'the request has no body; send {"instances": [...]}');
  if (!isPlainObject(body)) {
    throw badRequest(`the body is ${describeJson(body)}; send {"instances": [...]}`);
  }
  if (Object.hasOwn(body, 'instances') && Object.hasOwn(body, 'inputs')) {
    throw badRequest('send either "instances" or "inputs", not both');
  }
  if (Object.hasOwn(body, 'inputs')) {
    const payload = parseMlflowPayload({ inputs: body.inputs }, inputs);
    return { rows: validateRawRows(payload.rows, inputs, limits, { unknownFields: 'reject' }), options: {} };
  }
  if (!Object.hasOwn(body, 'instances')) {
    const keys = Object.keys(body);
    throw badRequest(
      `the body needs "instances" (a list of rows); it has ${keys.length > 0 ? keys.join(', ') : 'no keys'}`,
    );
  }
  if (Object.hasOwn(body, 'model'))
    throw badRequest('"model" is not accepted here: the model is named in the URL');
  const payload = readJsonPayload(body);
  return { rows: rowsFromItems(payload.items, inputs, limits), options: payload.options };
}

/** No model of that name: resolveModel's 404, naming the loaded models. */
function protocolNotFound(name: string): never {
  throw notFound(`unknown model "${name.slice(0, 80)}"`);
}

function notAllowed(allowed: readonly string[]): RequestHandler {
  return (req: Request, res: Response) => {
    res.setHeader('Allow', allowed.join(', '));
    throw methodNotAllowed(req.method, allowed);
  };
}

/** What the predict routes' answers need, from either request path. */
interface ProtocolCall extends AnswerContext {
  readonly name: string;
  readonly body: unknown;
  /** Request id and route label, for the prediction log. */
  readonly capture: CaptureSource;
}

/** KServe V1 and the Open Inference Protocol both answer errors as `{"error": "message"}`. */
function protocolErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  answerProtocolError(error, res, res.locals, () => req.log);
}

/** protocolErrors on the JSON path; a half-sent answer goes to the app's error answer, as there. */
function failJson(error: unknown, context: AnswerContext): void {
  if (context.res.headersSent) answerError(error, context.res, context.locals, context.log());
  else answerProtocolError(error, context.res, context.locals, context.log);
}

function answerProtocolError(
  error: unknown,
  res: ServerResponse,
  locals: Record<string, unknown>,
  log: () => pino.Logger,
): void {
  const shown = toPublicError(error);
  locals.errorCode = shown.code;
  if (shown.status >= 500) log().error({ err: error }, 'request failed');
  sendJson(res, { error: shown.message }, shown.status);
}

let cachedVersion: string | undefined;

/** package.json's version, read once on first use (dist/protocols and src/protocols are both two levels down). */
function serverVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
        version?: unknown;
      };
      cachedVersion = typeof manifest.version === 'string' ? manifest.version : 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
