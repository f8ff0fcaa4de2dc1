/**
 * createApp(deps): the whole Express application, built without I/O so tests use it directly.
 *
 * A request goes through, in order: request id + access log + metrics + security headers →
 * static files (/static) → CORS → rate limit → API key → the open form's limit (each only when
 * configured) → the routers
 * (prediction API, probes and docs, SageMaker, KServe/OIP, pages) → 405 for known paths → 404 → the error handler.
 * Bodies are read by the routes that take them (src/http/body.ts), after authentication, each
 * with its limits.
 */
import path from 'node:path';
import querystring from 'node:querystring';
import express from 'express';
import type { AppDeps } from './deps';
import { admissionMiddleware } from './http/admission';
import { installRequestLogger, requestContext, STATIC_ROUTE } from './http/context';
import { errorHandler, methodGuard, notFoundHandler, optionsHandler } from './http/errors';
import { apiKeyAuth, cors, formRateLimiter, rateLimiter, securityHeaderList } from './http/security';
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
  app.set('query parser', (query: string) =>
    querystring.parse(query, '&', '=', { maxKeys: config.maxUrlParams }),
  );
  // Escape <, > and & in JSON so a response can never be read as HTML.
  app.set('json escape', true);
  app.set('etag', false);

  installRequestLogger(app.request, logger);
  const context = requestContext(logger, metrics);
  const headers = securityHeaderList(config);
  // Id, access log, metrics and security headers in one step: every request pays for this one.
  app.use((req, res, next) => {
    if (deps.lifecycle?.draining === true) res.setHeader('Connection', 'close');
    for (const [name, value] of headers) res.setHeader(name, value);
    context(req, res, next);
  });
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
  // Everything dynamic may carry submitted text or per-request results: never stored by caches.
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // Features that are off are not mounted at all: each middleware costs every request a dispatch.
  if (config.corsOrigins.length > 0) app.use(cors(config));
  app.use(optionsHandler());
  const limiter = rateLimiter(config);
  if (limiter !== undefined) app.use(limiter);
  if (config.apiKeys.length > 0) app.use(apiKeyAuth(config));
  const formLimiter = formRateLimiter(config);
  if (formLimiter !== undefined) app.use(formLimiter);
  // After the cheap refusals (rate limit, key) and before any body is read.
  if (deps.admission !== undefined) app.use(admissionMiddleware(deps.admission, config));

  // The prediction API first: it takes nearly all the traffic, and no other router shares its paths.
  app.use(createPredictRouter(resolved));
  app.use(createOpsRouter(resolved, metrics));
  app.use(createAdminRouter(resolved));
  app.use(createSageMakerRouter(resolved));
  app.use(createKServeRouter(resolved));
  app.use(createMonitorRouter(resolved));
  app.use(createWebRouter(resolved));

  app.use(methodGuard());
  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}
