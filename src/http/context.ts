/**
 * Per-request context: an id (the caller's X-Request-Id when it is sane, else a new UUID), a child
 * logger carrying it, one access-log line and the HTTP metrics when the response finishes.
 * Submitted text is never logged here; routes log inputs only when LOG_INPUTS is on.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type pino from 'pino';
import { infoLineWriter } from '../ops/logging';
import type { Metrics } from '../ops/metrics';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id, also sent back in the X-Request-Id response header. */
    id: string;
    /** Logger bound to this request's id. */
    log: pino.Logger;
  }
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Route label for requests no route matched (404s, static files), to keep metric cardinality bounded. */
export const UNMATCHED_ROUTE = '(unmatched)';
export const STATIC_ROUTE = '(static)';
const PROBE_PATHS: ReadonlySet<string> = new Set([
  '/health',
  '/ready',
  '/ping',
  '/metrics',
  '/v2/health/live',
  '/v2/health/ready',
]);

/** A route's label in metrics and logs: its path as written, without path-to-regexp's escapes. */
export function routeName(path: string): string {
  return path.replace(/\\(.)/g, '$1');
}

/** The matched route pattern (`/models/:name`), never the raw URL, so labels stay few. */
export function routeLabel(req: Request, res: Response): string {
  const route = (req as { route?: { path?: unknown } }).route;
  // path-to-regexp escapes (`:name\\:predict`) are syntax, not part of the route's name.
  const unescape = (path: unknown) => routeName(`${req.baseUrl}${String(path)}`);
  if (route !== undefined && typeof route.path === 'string') return unescape(route.path);
  if (route !== undefined && Array.isArray(route.path)) return route.path.map(unescape).join('|');
  const label: unknown = res.locals.routeLabel;
  return typeof label === 'string' ? label : UNMATCHED_ROUTE;
}

/**
 * Give every request of `app` a `req.log`: a child logger bound to the request id, created only when
 * something asks for it (most requests log just their access line, which carries the id itself).
 */
export function installRequestLogger(appRequest: object, logger: pino.Logger): void {
  const cached = Symbol('sift.requestLogger');
  type WithLogger = Request & { [cached]?: pino.Logger };
  Object.defineProperty(appRequest, 'log', {
    configurable: true,
    enumerable: false,
    get(this: WithLogger): pino.Logger {
      return (this[cached] ??= logger.child({ reqId: this.id }));
    },
    set(this: WithLogger, value: pino.Logger) {
      this[cached] = value;
    },
  });
}

/** What the access log and the metrics say about a request, asked for once its answer is done. */
export interface RequestFacts {
  readonly path: string;
  readonly route: string;
  readonly ip: string | undefined;
  /** res.locals (Express) or the direct path's own: errorCode and modelVersion are read from it. */
  readonly locals: Readonly<Record<string, unknown>>;
}

/** The caller's X-Request-Id when it is sane, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Start a request's context, with or without Express: the id (returned, and sent back in
 * X-Request-Id), then one access-log line and the HTTP metrics when the response is done.
 */
export function beginRequest(
  logger: pino.Logger,
  metrics: Metrics,
  req: IncomingMessage,
  res: ServerResponse,
  facts: () => RequestFacts,
): string {
  const started = process.hrtime.bigint();
  const id = requestIdOf(req);
  res.setHeader('X-Request-Id', id);
  // 'close' follows 'finish' for every answer that went out, and comes alone when the client hung up.
  res.once('close', () => record(req, res, id, facts(), started, metrics, logger, !res.writableFinished));
  return id;
}

export function requestContext(logger: pino.Logger, metrics: Metrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    req.id = beginRequest(logger, metrics, req, res, () => ({
      path: req.path,
      route: routeLabel(req, res),
      ip: req.ip,
      locals: res.locals,
    }));
    next();
  };
}

function record(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  facts: RequestFacts,
  started: bigint,
  metrics: Metrics,
  logger: pino.Logger,
  aborted: boolean,
): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { route, path } = facts;
  const method = req.method ?? '';
  // A client that hung up before the answer is counted as 499 (nginx's convention), not as a success.
  const status = aborted ? 499 : res.statusCode;
  metrics.observeHttp(method, route, status, seconds);

  const entry = {
    reqId: id,
    method,
    path: path.length > 200 ? `${path.slice(0, 200)}…` : path,
    route,
    status,
    ms: Math.round(seconds * 1e6) / 1e3,
    bytesIn: Number(req.headers['content-length'] ?? 0),
    bytesOut: Number(res.getHeader('content-length') ?? 0),
    ip: facts.ip,
    errorCode: facts.locals.errorCode as string | undefined,
    // The bundle that answered (src/predict/routes.ts setModelVersion): a reload shows in the log.
    modelVersion: facts.locals.modelVersion as string | undefined,
  };
  if (status >= 500) logger.error(entry, 'request failed');
  // Orchestrators probe every few seconds: successful probes would drown the real traffic at info.
  else if (status < 400 && PROBE_PATHS.has(path)) logger.debug(entry, 'request');
  else infoLineWriter(logger)(entry, aborted ? 'request aborted' : 'request');
}
