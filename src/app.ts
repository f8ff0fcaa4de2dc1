/**
 * createApp(deps): the whole Express application, built without I/O so tests use it directly.
 *
 * A request goes through, in order: request id + access log + metrics + security headers →
 * static files (/static) → CORS → rate limit → API key → the open form's limit → admission (each
 * only when configured) → the routers (prediction API, probes and docs, SageMaker, KServe/OIP,
 * pages) → 405 for known paths → 404 → the error handler. Bodies are read by the routes that take
 * them (src/http/body.ts), after authentication, each with its limits.
 *
 * JSON posts to the prediction routes take the same steps without the router's walk, and mostly
 * without Express's objects: src/http/dispatch.ts, installed last, on this same app.
 */
import path from 'node:path';
import querystring from 'node:querystring';
import type { ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import proxyaddr from 'proxy-addr';
import type { AppDeps } from './deps';
import { admissionMiddleware, admitRequest, estimateBodyBytes } from './http/admission';
import { hasBody, jsonBodyReader } from './http/body';
import { beginRequest, installRequestLogger, requestContext, STATIC_ROUTE } from './http/context';
import { installDirectPath } from './http/dispatch';
import { errorHandler, methodGuard, notFoundHandler, optionsHandler } from './http/errors';
import {
  apiKeyAuth,
  checkApiKey,
  cors,
  corsHeaders,
  formRateLimiter,
  prefersHtml,
  rateLimiter,
  securityHeaderList,
} from './http/security';
import { createMonitorRouter } from './monitor/routes';
import { createMetrics } from './ops/metrics';
import { createAdminRouter } from './ops/admin';
import { createOpsRouter } from './ops/routes';
import { createPredictRouter } from './predict/routes';
import { createKServeRouter } from './protocols/kserve';
import { createSageMakerRouter } from './protocols/sagemaker';
import { createWebRouter } from './web/routes';

/** public/ at the repository root: `../public` from both src/ (ts-jest) and dist/ (node). */
export const PUBLIC_DIR = path.resolve(__dirname, '..', 'public');

export function createApp(deps: AppDeps): express.Express {
  const { config, logger } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const resolved: AppDeps = { ...deps, metrics };
  const app = express();

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // Flat parameters only (no a[b]=c objects), at most MAX_URL_PARAMS of them; extra ones are dropped.
  const parseQuery = (query: string) => querystring.parse(query, '&', '=', { maxKeys: config.maxUrlParams });
  app.set('query parser', parseQuery);
  // Escape <, > and & in JSON so a response can never be read as HTML.
  app.set('json escape', true);
  app.set('etag', false);

  installRequestLogger(app.request, logger);
  const context = requestContext(logger, metrics);
  const headers = securityHeaderList(config);
  const commonHeaders = (res: ServerResponse) => {
    if (deps.lifecycle?.draining === true) res.setHeader('Connection', 'close');
    for (const [name, value] of headers) res.setHeader(name, value);
  };
  // Id, access log, metrics and security headers in one step: every request pays for this one.
  const prelude: RequestHandler = (req, res, next) => {
    commonHeaders(res);
    context(req, res, next);
  };
  // Everything dynamic may carry submitted text or per-request results: never stored by caches.
  const noStoreHeader = (res: ServerResponse) => res.setHeader('Cache-Control', 'no-store');
  const noStore: RequestHandler = (_req, res, next) => {
    noStoreHeader(res);
    next();
  };
  // Features that are off are not mounted at all: each middleware costs every request a dispatch.
  const limiter = rateLimiter(config);
  const answerOptions = optionsHandler();
  const formLimiter = formRateLimiter(config);
  const guards: RequestHandler[] = [
    ...(config.corsOrigins.length > 0 ? [cors(config)] : []),
    // OPTIONS only: the direct path (POST) leaves it out.
    answerOptions,
    ...(limiter !== undefined ? [limiter] : []),
    ...(config.apiKeys.length > 0 ? [apiKeyAuth(config)] : []),
    ...(formLimiter !== undefined ? [formLimiter] : []),
    // After the cheap refusals (rate limit, key) and before any body is read.
    ...(deps.admission !== undefined ? [admissionMiddleware(deps.admission, config)] : []),
  ];

  app.use(prelude);
  app.use(
    '/static',
    (_req, res, next) => {
      res.locals.routeLabel = STATIC_ROUTE;
      next();
    },
    express.static(PUBLIC_DIR, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      maxAge: '1h',
      fallthrough: true,
    }),
  );
  app.use(noStore);
  for (const guard of guards) app.use(guard);

  // The prediction API first: it takes nearly all the traffic, and no other router shares its paths.
  const predict = createPredictRouter(resolved);
  const sagemaker = createSageMakerRouter(resolved);
  const kserve = createKServeRouter(resolved);
  app.use(predict.router);
  app.use(createOpsRouter(resolved, metrics));
  app.use(createAdminRouter(resolved));
  app.use(sagemaker.router);
  app.use(kserve.router);
  app.use(createMonitorRouter(resolved));
  app.use(createWebRouter(resolved));

  app.use(methodGuard());
  app.use(notFoundHandler());
  const appErrors = errorHandler();
  app.use(appErrors);

  // JSON prediction posts: the same steps, in the same order, without the router's walk.
  const admission = deps.admission;
  // req.ip's own rule (express/lib/request.js): proxy-addr with the app's compiled TRUST_PROXY.
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const applyCors = config.corsOrigins.length > 0 ? corsHeaders(config) : undefined;
  const keyed = config.apiKeys.length > 0;
  installDirectPath(app, {
    before: [prelude, noStore, ...guards.filter((guard) => guard !== answerOptions)],
    routes: [...predict.direct, ...sagemaker.direct, ...kserve.direct],
    errorHandlers: [appErrors],
    json: {
      routes: [...(predict.json ?? []), ...(sagemaker.json ?? []), ...(kserve.json ?? [])],
      // What only the Express path implements: the rate limit (express-rate-limit's middleware), a
      // request without a body (the routes' own "no body" answer), a browser. The form's limit
      // needs no check: it skips every request that is not a urlencoded form (isOpenFormRequest).
      eligible: (req) => limiter === undefined && hasBody(req) && !prefersHtml(req.headers.accept),
      clientAddress: (req) => proxyaddr(req, trust),
      ...(applyCors !== undefined || keyed
        ? {
            // cors() then apiKeyAuth(), as mounted above; a JSON post is never a preflight nor the form.
            guard: (req, res, path, locals) => {
              applyCors?.(req.method, req.headers, res);
              if (!keyed) return undefined;
              const method = req.method ?? 'POST';
              return checkApiKey(
                config,
                { method, path, headers: req.headers, openForm: () => false },
                res,
                locals,
              );
            },
          }
        : {}),
      begin: (req, res, facts) => {
        commonHeaders(res);
        const id = beginRequest(logger, metrics, req, res, facts);
        noStoreHeader(res);
        return id;
      },
      ...(admission !== undefined
        ? {
            admit: (req, res, locals, next) =>
              admitRequest(admission, req, res, locals, estimateBodyBytes('json', req, config), next),
          }
        : {}),
      readJson: jsonBodyReader(config),
      parseQuery,
      logger,
    },
  });
  return app;
}
