/**
 * Security middleware: helmet (strict CSP), CORS (off unless CORS_ORIGINS), API keys (off unless
 * API_KEYS) and per-client rate limiting (off unless RATE_LIMIT_PER_MINUTE).
 */
import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Config } from '../config';
import { tooManyRequests, unauthorized } from '../errors';
import { ClusterRateStore } from './rate-store';

/**
 * Paths that stay open whatever API_KEYS says and are never rate limited: orchestrator probes
 * (health, SageMaker ping, Open Inference Protocol health), the Prometheus scrape, the API
 * description and static assets. None of them reveals submitted data.
 */
const OPEN_PATHS = new Set([
  '/health',
  '/ready',
  '/metrics',
  '/ping',
  '/execution-parameters',
  '/v2/health/live',
  '/v2/health/ready',
  '/openapi.json',
  '/docs',
  '/favicon.ico',
]);

export function isOpenPath(path: string): boolean {
  return OPEN_PATHS.has(path) || path.startsWith('/static/');
}

/** A client that prefers HTML to JSON: a browser. */
export function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

/** Paths of the JSON API and the serving protocols: never public when API_KEYS is set. */
const API_PATH = /^\/(predict|models|invocations|v1|v2)(\/|$)/;
const PREDICT_PATH = /^\/(predict|models\/[^/]+\/predict)\/?$/;

/**
 * What stays public when API_KEYS is set (unless PROTECT_FORM): a browser reading a page, or
 * submitting the prediction form (urlencoded or multipart, which is how the form and its CSV upload
 * post). A JSON body or a protocol route is the API whatever the Accept header says, so asking for
 * HTML cannot be used to skip the key.
 */
export function isPublicPageRequest(req: Request): boolean {
  if (!wantsHtml(req)) return false;
  if (req.method === 'GET' || req.method === 'HEAD') return !API_PATH.test(req.path);
  if (req.method !== 'POST' || !PREDICT_PATH.test(req.path)) return false;
  return typeof req.is(['application/x-www-form-urlencoded', 'multipart/form-data']) === 'string';
}

/**
 * The security headers as a fixed list, worked out once: helmet's answer depends only on the
 * configuration, so every request gets the same headers without running helmet's middlewares.
 */
export function securityHeaderList(config: Readonly<Config>): readonly (readonly [string, string])[] {
  const headers = new Map<string, readonly [string, string]>();
  const collector = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), [name, String(value)]);
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  let finished = false;
  securityHeaders(config)(
    {} as Request,
    collector as unknown as Response,
    ((error?: unknown) => {
      if (error !== undefined) throw error as Error;
      finished = true;
    }) as NextFunction,
  );
  if (!finished) throw new Error('helmet did not finish synchronously');
  return [...headers.values()];
}

export function securityHeaders(config: Readonly<Config>): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'style-src-attr': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        // Only when every client reaches the site over HTTPS: on plain HTTP (port 80, no TLS proxy)
        // this directive would make browsers request the stylesheet over https and break the page.
        ...(config.httpsOnly ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    strictTransportSecurity: config.httpsOnly ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    // Same rule as frame-ancestors 'none', for browsers that only know the older header.
    xFrameOptions: { action: 'deny' },
    xPoweredBy: false,
  });
}

const CORS_ALLOWED_HEADERS = 'Content-Type, Authorization, X-API-Key, X-Request-Id';
const CORS_EXPOSED_HEADERS = 'X-Request-Id, RateLimit, RateLimit-Policy, Retry-After';

/** CORS for the configured origins only; other origins get no CORS headers and browsers block them. */
export function cors(config: Readonly<Config>): RequestHandler {
  const anyOrigin = config.corsOrigins.includes('*');
  const allowed = new Set(config.corsOrigins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (config.corsOrigins.length === 0 || origin === undefined) return next();
    res.vary('Origin');
    if (!anyOrigin && !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
    if (req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST');
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The key a request presents: Bearer token, X-API-Key, or the password of Basic auth (browsers). */
export function presentedKey(req: Request): string | undefined {
  const header = req.get('x-api-key');
  if (header !== undefined && header !== '') return header;
  const authorization = req.get('authorization');
  if (authorization === undefined) return undefined;
  const [scheme, credentials] = authorization.trim().split(/\s+/, 2);
  if (credentials === undefined) return undefined;
  if (scheme.toLowerCase() === 'bearer') return credentials;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/**
 * Compare against every configured key in constant time: digests have a fixed length, so neither
 * the key's content nor its length leaks through timing, and every key is always compared.
 */
export function keyMatches(presented: string, keys: readonly string[]): boolean {
  const candidate = digest(presented);
  let matched = false;
  for (const key of keys) {
    if (timingSafeEqual(candidate, digest(key))) matched = true;
  }
  return matched;
}

export function apiKeyAuth(config: Readonly<Config>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (config.apiKeys.length === 0 || isOpenPath(req.path) || req.method === 'OPTIONS') return next();
    if (!config.protectForm && isPublicPageRequest(req)) return next();
    const html = wantsHtml(req);
    const key = presentedKey(req);
    if (key !== undefined && keyMatches(key, config.apiKeys)) return next();
    res.setHeader('WWW-Authenticate', html ? 'Basic realm="Sift", charset="UTF-8"' : 'Bearer realm="Sift"');
    next(
      unauthorized(
        key === undefined
          ? 'an API key is required: send "Authorization: Bearer KEY" or "X-API-Key: KEY"'
          : 'the API key is not valid',
      ),
    );
  };
}

/**
 * Requests per client per minute, keyed on req.ip: with trust proxy off (the default) that is the
 * socket address, so a forged X-Forwarded-For changes nothing; behind a proxy, TRUST_PROXY says how
 * many hops of the header to believe.
 */
export function rateLimiter(config: Readonly<Config>): RequestHandler | undefined {
  if (config.rateLimitPerMinute === 0) return undefined;
  return rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Cluster workers count in the primary, so the limit holds across workers.
    ...(cluster.isWorker ? { store: new ClusterRateStore() } : {}),
    skip: (req) => isOpenPath(req.path),
    // The library's X-Forwarded-For check only logs to the console; hostile clients send that header
    // on purpose, and req.ip already ignores it unless TRUST_PROXY is set.
    validate: { xForwardedForHeader: false },
    handler: (_req, _res, next) => {
      next(
        tooManyRequests(
          `more than ${config.rateLimitPerMinute} requests in a minute from this address; retry after the time in the Retry-After header`,
        ),
      );
    },
  });
}
