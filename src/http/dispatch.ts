/**
 * Which path a request takes. `app.handle` (what Express runs for each request) looks at the
 * method, the exact path and the Content-Type first:
 *
 * 1. JSON prediction posts (`POST /predict`, `/models/:name/predict`, `/invocations`, ...) from API
 *    clients, with RATE_LIMIT_PER_MINUTE off: the *JSON path*, no Express objects at all. It calls
 *    the same framework-free functions the Express middleware call (security headers, request
 *    context, client address, CORS, API key, admission, the JSON body reader, the route's answer,
 *    the error answer).
 * 2. Other JSON posts to a prediction route (a browser, no body, or with the rate limit on):
 *    the *direct path*, the very handlers the routers mount, in the router's order, with the
 *    request and response Express itself would make, minus the router's walk.
 * 3. Everything else (pages, uploads, CSV, forms, browsers, other spellings of a path): Express.
 *
 * Why: on a prediction the router's walk, Express's request and response objects and its helpers
 * cost more than the model. Every behaviour still has one implementation: each path is a different
 * order of calls into the same functions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';
import type {
  ErrorRequestHandler,
  Express,
  NextFunction,
  Request,
  RequestHandler,
  Response,
  Router,
} from 'express';
import type pino from 'pino';
import express from 'express';
import { type RequestFacts, UNMATCHED_ROUTE, routeName } from './context';
import { answerError, noRouteError } from './errors';

/** One `POST` route the direct path serves, spelt as the router mounts it. */
export interface DirectRoute {
  /** Express's spelling (`/models/:name/predict`, `\\:` for a literal colon): mounted and labelled as such. */
  readonly path: string;
  /** The route's handlers, in the router's order (the body reader, then the answer). */
  readonly handlers: readonly RequestHandler[];
  /** Error handlers of the route's router: they see errors raised by the route's handlers only. */
  readonly errorHandlers: readonly ErrorRequestHandler[];
  /** Path → decoded parameters, or undefined when the path is not this route's. */
  readonly match: (path: string) => Record<string, string> | undefined;
}

/** A router, and those of its routes the direct and JSON paths serve too. */
export interface RoutesOf {
  readonly router: Router;
  /** Served by the direct path with the router's own handlers. */
  readonly direct: readonly DirectRoute[];
  /** Served by the JSON path (and by the router, for everything else). */
  readonly json?: readonly JsonRoute[];
}

/** What a JSON-path route gets: node's request and response, and what Express would have parsed. */
export interface DirectCall {
  /** The request id (X-Request-Id) and the route's label, as the access log has them. */
  readonly id: string;
  readonly route: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<ParsedUrlQuery>;
  /** The request's locals (res.locals on the Express path): the access log reads them. */
  readonly locals: Record<string, unknown>;
  /** The parsed JSON body. */
  readonly body: unknown;
  /** The request's logger (bound to its id), made when first asked for. */
  log(): pino.Logger;
}

/** Where an answer or an error goes, on either path. */
export interface AnswerContext {
  readonly res: ServerResponse;
  readonly locals: Record<string, unknown>;
  log(): pino.Logger;
}

/** A route's own error answer (its router's error handler), for errors its body or answer raised. */
export type RouteFailure = (error: unknown, context: AnswerContext) => void;

export interface JsonRoute {
  /** Express's spelling, as for DirectRoute: the route label comes from it. */
  readonly path: string;
  /** The route's name in metrics and logs (routeName of path), made once. */
  readonly label: string;
  readonly match: (path: string) => Record<string, string> | undefined;
  readonly answer: (call: DirectCall) => Promise<void>;
  readonly fail?: RouteFailure;
  /** Whether the route answers this request on the JSON path (else the direct path does). */
  readonly takes?: (req: IncomingMessage) => boolean;
}

export function jsonRoute(
  path: string,
  answer: (call: DirectCall) => Promise<void>,
  fail?: RouteFailure,
  takes?: (req: IncomingMessage) => boolean,
): JsonRoute {
  return {
    path,
    label: routeName(path),
    match: compilePath(path),
    answer,
    ...(fail !== undefined ? { fail } : {}),
    ...(takes !== undefined ? { takes } : {}),
  };
}

/** `Vary: Accept` added to what the response varies on (Express's res.vary, the `vary` package). */
export function varyAccept(res: ServerResponse): void {
  // Nothing to merge with (the usual case, CORS off): the vary package's parse would give the same.
  if (!res.hasHeader('Vary')) res.setHeader('Vary', 'Accept');
  else express.response.vary.call(res as Response, 'Accept');
}

/** A route the direct path may serve: `path` is compiled once (`:param` segments and `\\:` only). */
export function directRoute(
  path: string,
  handlers: readonly RequestHandler[],
  errorHandlers: readonly ErrorRequestHandler[] = [],
): DirectRoute {
  return { path, handlers, errorHandlers, match: compilePath(path) };
}

/** `:param` segments and `\\:` only: enough for the prediction routes. */
function compilePath(path: string): (candidate: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const source = path
    .split(/(\\:|:[A-Za-z_]\w*)/)
    .map((part) => {
      if (part === '\\:') return ':';
      if (part.startsWith(':')) {
        names.push(part.slice(1));
        // No `:` inside a parameter: such names (and anything ambiguous) stay with the router.
        return '([^/:%]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const pattern = new RegExp(`^${source}$`);
  return (candidate) => {
    const found = pattern.exec(candidate);
    if (found === null) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, i) => (params[name] = found[i + 1]));
    return params;
  };
}

export interface DirectPlan {
  /** The app-level handlers a POST to these routes passes through first (context, limits, keys...). */
  readonly before: readonly RequestHandler[];
  readonly routes: readonly DirectRoute[];
  /** The app's own error handlers, last for every error. */
  readonly errorHandlers: readonly ErrorRequestHandler[];
  readonly json: JsonPlan;
}

/** The JSON path: the same steps as the app's middleware, as plain functions. */
export interface JsonPlan {
  readonly routes: readonly JsonRoute[];
  /** Whether this request may take it (no feature on that only the Express path implements). */
  eligible(req: IncomingMessage): boolean;
  /** Response headers and the request context, as the app's first middleware: returns the request id. */
  begin(req: IncomingMessage, res: ServerResponse, facts: () => RequestFacts): string;
  /** The client's address, as req.ip says it (TRUST_PROXY). */
  clientAddress(req: IncomingMessage): string | undefined;
  /**
   * The app's guards before admission (CORS headers, the API key), as their middleware: an error
   * to answer when the request is refused.
   */
  readonly guard?: (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    locals: Record<string, unknown>,
  ) => unknown;
  /** Admission (when configured), as its middleware: `next(error)` when refused. */
  readonly admit?: (
    req: IncomingMessage,
    res: ServerResponse,
    locals: Record<string | symbol, unknown>,
    next: (error?: unknown) => void,
  ) => void;
  readJson(req: IncomingMessage, res: ServerResponse, done: (error: unknown, body?: unknown) => void): void;
  parseQuery(query: string): ParsedUrlQuery;
  readonly logger: pino.Logger;
}

/** A JSON body (`application/json`, any parameters): the only kind the direct path takes. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined || header.length < 16) return false;
  const head = header.slice(0, 16).toLowerCase();
  if (head !== 'application/json') return false;
  const after = header.charCodeAt(16);
  return Number.isNaN(after) || after === 0x3b /* ; */ || after === 0x20 || after === 0x09;
}

interface Layer {
  readonly fn: RequestHandler | ErrorRequestHandler;
  readonly error: boolean;
  /** An error handler sees errors raised at this layer index or later only (a router's scope). */
  readonly from: number;
}

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: unknown) => void;

interface ExpressInternals {
  handle: Handle;
  readonly request: object;
  readonly response: object;
}

/**
 * Put the direct path in front of `app`'s router. `app` stays the Express application (tests and
 * the server use it as the request listener, so every request of the test suite meets this choice
 * first); only `app.handle`, which Express calls for each request, picks the path.
 */
export function installDirectPath(app: Express, plan: DirectPlan): void {
  const internals = app as unknown as ExpressInternals;
  const viaExpress = internals.handle.bind(app);
  const chains = plan.routes.map((route) => ({ route, layers: layersOf(plan, route) }));

  const json = plan.json;

  internals.handle = function handle(req, res, callback) {
    if (callback === undefined && req.method === 'POST' && isJsonContentType(req.headers['content-type'])) {
      const url = req.url ?? '';
      const query = url.indexOf('?');
      const path = query < 0 ? url : url.slice(0, query);
      if (json.routes.length > 0 && json.eligible(req)) {
        for (const route of json.routes) {
          const params = route.match(path);
          if (params === undefined) continue;
          if (route.takes !== undefined && !route.takes(req)) break;
          runJson(json, route, req, res, params, path, query < 0 ? '' : url.slice(query + 1));
          return;
        }
      }
      for (const { route, layers } of chains) {
        const params = route.match(path);
        if (params === undefined) continue;
        const request = req as Request;
        const response = res as Response;
        // What app.handle and the router set up (express/lib/application.js, router/index.js).
        request.res = response;
        response.req = request;
        Object.setPrototypeOf(req, internals.request);
        Object.setPrototypeOf(res, internals.response);
        if (response.locals === undefined) response.locals = Object.create(null) as Response['locals'];
        request.originalUrl = url;
        request.baseUrl = '';
        request.params = params;
        runLayers(request, response, layers);
        return;
      }
    }
    viaExpress(req, res, callback);
  };
}

function layersOf(plan: DirectPlan, route: DirectRoute): Layer[] {
  // routeLabel (context.ts) names the metric and log line after the route once the router would
  // have reached it: a request the app's guards refuse stays "(unmatched)", as on Express.
  const reached: RequestHandler = (req, _res, next) => {
    (req as { route?: unknown }).route = { path: route.path };
    next();
  };
  const routeStart = plan.before.length;
  return [
    ...plan.before.map((fn) => ({ fn, error: false, from: 0 })),
    { fn: reached, error: false, from: 0 },
    ...route.handlers.map((fn) => ({ fn, error: false, from: 0 })),
    ...route.errorHandlers.map((fn) => ({ fn, error: true, from: routeStart })),
    ...plan.errorHandlers.map((fn) => ({ fn, error: true, from: 0 })),
  ];
}

/**
 * Express's dispatch rules over a fixed list: `next()` runs the next handler, `next(error)` the next
 * error handler in scope, a thrown error or a rejected promise is `next(error)`.
 */
function runLayers(req: Request, res: Response, layers: readonly Layer[]): void {
  let raisedAt = 0;
  const step = (start: number, error: unknown): void => {
    for (let at = start; at < layers.length; at++) {
      const layer = layers[at];
      if (error === undefined ? layer.error : !layer.error || raisedAt < layer.from) continue;
      const next: NextFunction = (passed?: unknown) => {
        if (passed !== undefined && error === undefined) raisedAt = at;
        step(at + 1, passed);
      };
      req.next = next;
      try {
        const result: unknown =
          error === undefined
            ? (layer.fn as RequestHandler)(req, res, next)
            : (layer.fn as ErrorRequestHandler)(error, req, res, next);
        if (result instanceof Promise) {
          result.then(undefined, (rejected: unknown) => next(rejected ?? new Error('Rejected promise')));
        }
      } catch (thrown) {
        next(thrown);
      }
      return;
    }
    // Past the last handler: every direct route answers, so this only happens after a failure.
    if (error === undefined) {
      raisedAt = 0;
      step(firstAppError(layers), noRouteError(req.method, req.path));
    } else if (!res.headersSent) {
      res.statusCode = 500;
      res.end();
    } else {
      res.destroy();
    }
  };
  step(0, undefined);
}

function firstAppError(layers: readonly Layer[]): number {
  const index = layers.findIndex((layer) => layer.error && layer.from === 0);
  return index < 0 ? layers.length : index;
}

/** The JSON path: the app's middleware steps, then the route, each a plain function call. */
function runJson(
  plan: JsonPlan,
  route: JsonRoute,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  path: string,
  query: string,
): void {
  const locals = Object.create(null) as Record<string | symbol, unknown>;
  const label = route.label;
  // As on Express: a request refused before its route (key, admission) is "(unmatched)".
  let reached = false;
  const id = plan.begin(req, res, () => ({
    path,
    route: reached ? label : UNMATCHED_ROUTE,
    ip: plan.clientAddress(req),
    locals,
  }));
  let logger: pino.Logger | undefined;
  const log = () => (logger ??= plan.logger.child({ reqId: id }));
  const fail = (error: unknown) => answerError(error, res, locals, log());
  // As in Express: the route's own error handler sees what the route raised (its body included),
  // the app's the rest.
  const own = route.fail;
  const routeFail = own === undefined ? fail : (error: unknown) => own(error, { res, locals, log });
  const answer = () => {
    reached = true;
    plan.readJson(req, res, (error, body) => {
      if (error !== undefined) return routeFail(error);
      try {
        route
          .answer({ id, route: label, req, res, params, query: plan.parseQuery(query), locals, body, log })
          .catch(routeFail);
      } catch (thrown) {
        routeFail(thrown);
      }
    });
  };
  // As in Express: a guard's or admission's refusal goes to the app's error handler, not the route's.
  const refused: unknown = plan.guard?.(req, res, path, locals);
  if (refused !== undefined) return fail(refused);
  if (plan.admit === undefined) return answer();
  plan.admit(req, res, locals, (error) => (error === undefined ? answer() : fail(error)));
}
