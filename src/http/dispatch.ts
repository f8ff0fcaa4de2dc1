/**
 * The direct path: JSON prediction requests skip Express's router walk and run the very handlers
 * the routers mount, in the order the routers would run them.
 *
 * Why: the router matches every request against each app-level layer and each router's routes
 * before it reaches the one that answers; on a prediction that walk cost more than the model.
 * What stays the same: the handlers (request context, security headers, rate limit, API key,
 * admission, body limits, the route, its error handlers, the app's error handler) are the same
 * functions, called with the same Express request and response objects (the prototypes Express
 * itself gives them), so every behaviour has one implementation. Everything that is not an exact
 * `POST <route>` with a JSON body (pages, uploads, CSV, forms, other spellings of a path) goes
 * through Express as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ErrorRequestHandler,
  Express,
  NextFunction,
  Request,
  RequestHandler,
  Response,
  Router,
} from 'express';
import { noRouteError } from './errors';

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

/** A router, and those of its routes the direct path serves too (with the same handlers). */
export interface RoutesOf {
  readonly router: Router;
  readonly direct: readonly DirectRoute[];
}

/** A route the direct path may serve: `path` is compiled once (`:param` segments and `\\:` only). */
export function directRoute(
  path: string,
  handlers: readonly RequestHandler[],
  errorHandlers: readonly ErrorRequestHandler[] = [],
): DirectRoute {
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
  return {
    path,
    handlers,
    errorHandlers,
    match(candidate) {
      const found = pattern.exec(candidate);
      if (found === null) return undefined;
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = found[i + 1]));
      return params;
    },
  };
}

export interface DirectPlan {
  /** The app-level handlers a POST to these routes passes through first (context, limits, keys...). */
  readonly before: readonly RequestHandler[];
  readonly routes: readonly DirectRoute[];
  /** The app's own error handlers, last for every error. */
  readonly errorHandlers: readonly ErrorRequestHandler[];
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

  internals.handle = function handle(req, res, callback) {
    if (callback === undefined && req.method === 'POST' && isJsonContentType(req.headers['content-type'])) {
      const url = req.url ?? '';
      const query = url.indexOf('?');
      const path = query < 0 ? url : url.slice(0, query);
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
        // routeLabel (context.ts) names the metric and log line after the route, as the router's would.
        (request as { route?: unknown }).route = { path: route.path };
        runLayers(request, response, layers);
        return;
      }
    }
    viaExpress(req, res, callback);
  };
}

function layersOf(plan: DirectPlan, route: DirectRoute): Layer[] {
  const routeStart = plan.before.length;
  return [
    ...plan.before.map((fn) => ({ fn, error: false, from: 0 })),
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
