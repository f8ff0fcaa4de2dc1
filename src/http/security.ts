/**
 * Security middleware: helmet (strict CSP), CORS (off unless CORS_ORIGINS), API keys (off unless
 * API_KEYS; which routes need one comes from the route table), per-client rate limiting (off unless
 * RATE_LIMIT_PER_MINUTE) and the open form's own limit (FORM_RATE_LIMIT_PER_MINUTE).
 */
import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Config } from '../config';
import { type HttpError, tooManyRequests, unauthorized } from '../errors';
import { routeAccess } from '../ops/openapi';

/** Not in the route table but open: static assets, and the icon browsers ask for on their own. */
const isAssetPath = (path: string): boolean => path.startsWith('/static/') || path === '/favicon.ico';
import { ClusterRateStore } from './rate-store';

/**
 * Paths that stay open whatever API_KEYS says and are never rate limited: the route table's open
 * routes (probes, metrics, API description) and static assets. None of them returns predictions.
 */
export function isOpenPath(path: string): boolean {
  return isAssetPath(path) || routeAccess('GET', path) === 'open';
}

/** A client that prefers HTML to JSON: a browser. */
export function wantsHtml(req: Request): boolean {
  return prefersHtml(req.headers.accept);
}

const PREFERS_HTML = new Map<string | undefined, boolean>();
const ANSWER_TYPES: string[] = ['application/json', 'text/html'];

/**
 * Whether an Accept header prefers text/html to application/json, as Express's req.accepts
 * decides (its own code, run on the header alone), remembered per header: clients send few.
 */
export function prefersHtml(accept: string | undefined): boolean {
  let html = PREFERS_HTML.get(accept);
  if (html === undefined) {
    const probe = Object.assign(Object.create(express.request) as Request, {
      headers: accept === undefined ? {} : { accept },
    });
    html = probe.accepts(ANSWER_TYPES) === 'text/html';
    // Bounded: at most 256 headers of at most 512 characters are kept.
    if (PREFERS_HTML.size >= 256) PREFERS_HTML.clear();
    if (accept === undefined || accept.length <= 512) PREFERS_HTML.set(accept, html);
  }
  return html;
}

/**
 * What the open form may do without a key: read its pages, or post one urlencoded form (how the
 * page's form posts one text). A multipart body (the CSV upload), JSON, CSV or text is the API.
 */
export function isOpenFormRequest(req: Request): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  return (
    req.method === 'POST' &&
    req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded'
  );
}

/** Set by apiKeyAuth on a request let through as the open form: its route must answer HTML only. */
export const OPEN_FORM = 'openForm';

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
const CORS_EXPOSED_HEADERS = 'X-Request-Id, X-Prediction-Ids, RateLimit, RateLimit-Policy, Retry-After';

/**
 * CORS for the configured origins only; other origins get no CORS headers and browsers block them.
 * Framework-free, for both request paths: sets the headers and answers a preflight (returns true
 * then); returns false when the request goes on.
 */
export function corsHeaders(
  config: Readonly<Config>,
): (method: string | undefined, headers: IncomingHttpHeaders, res: ServerResponse) => boolean {
  const anyOrigin = config.corsOrigins.includes('*');
  const allowed = new Set(config.corsOrigins);
  return (method, headers, res) => {
    const origin = headers.origin;
    if (config.corsOrigins.length === 0 || origin === undefined) return false;
    express.response.vary.call(res as Response, 'Origin');
    if (!anyOrigin && !allowed.has(origin)) return false;
    res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
    if (method === 'OPTIONS' && headers['access-control-request-method'] !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST');
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.statusCode = 204;
      res.end();
      return true;
    }
    return false;
  };
}

/** CORS as Express middleware (corsHeaders). */
export function cors(config: Readonly<Config>): RequestHandler {
  const apply = corsHeaders(config);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!apply(req.method, req.headers, res)) next();
  };
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The key a request presents: Bearer token, X-API-Key, or the password of Basic auth (browsers). */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  // Node joins a repeated X-API-Key with ", " (as req.get reads it); an array never comes here.
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers.authorization;
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
  for (const key of digestsOf(keys)) {
    if (timingSafeEqual(candidate, key)) matched = true;
  }
  return matched;
}

/** The configured keys' digests, worked out once per list (config.apiKeys is one frozen array). */
const KEY_DIGESTS = new WeakMap<readonly string[], readonly Buffer[]>();

function digestsOf(keys: readonly string[]): readonly Buffer[] {
  let digests = KEY_DIGESTS.get(keys);
  if (digests === undefined) {
    digests = keys.map(digest);
    KEY_DIGESTS.set(keys, digests);
  }
  return digests;
}

/**
 * API keys, checked against the route table (src/ops/openapi.ts): open routes pass; everything else
 * needs a valid key, except the open form (PROTECT_FORM off) for a request that presents no key,
 * which is marked so its route answers HTML for one text only. Framework-free, for both request
 * paths: marks `locals` (keyed / OPEN_FORM) and returns undefined when the request may go on, else
 * sets WWW-Authenticate and returns the 401 to answer. `openForm` says whether the request is one
 * the open form sends (isOpenFormRequest), asked only when it matters.
 */
export function checkApiKey(
  config: Readonly<Config>,
  request: {
    readonly method: string;
    readonly path: string;
    readonly headers: IncomingHttpHeaders;
    readonly openForm: () => boolean;
  },
  res: ServerResponse,
  locals: Record<string, unknown>,
): HttpError | undefined {
  const { method, path, headers } = request;
  if (config.apiKeys.length === 0 || method === 'OPTIONS' || isAssetPath(path)) return undefined;
  const access = routeAccess(method, path);
  if (access === 'open') return undefined;
  const key = presentedKey(headers);
  if (key !== undefined && keyMatches(key, config.apiKeys)) {
    locals.keyed = true;
    return undefined;
  }
  if (access === 'form' && key === undefined && !config.protectForm && request.openForm()) {
    locals[OPEN_FORM] = true;
    return undefined;
  }
  res.setHeader(
    'WWW-Authenticate',
    prefersHtml(headers.accept) ? 'Basic realm="Sift", charset="UTF-8"' : 'Bearer realm="Sift"',
  );
  return unauthorized(
    key === undefined
      ? 'an API key is required: send "Authorization: Bearer KEY" or "X-API-Key: KEY"'
      : 'the API key is not valid',
  );
}

/** The API-key check (checkApiKey) as Express middleware. */
export function apiKeyAuth(config: Readonly<Config>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const refused = checkApiKey(
      config,
      { method: req.method, path: req.path, headers: req.headers, openForm: () => isOpenFormRequest(req) },
      res,
      res.locals,
    );
    next(refused);
  };
}

/**
 * Requests per client per minute, keyed on req.ip: with trust proxy off (the default) that is the
 * socket address, so a forged X-Forwarded-For changes nothing; behind a proxy, TRUST_PROXY says how
 * many hops of the header to believe.
 */
function perClientLimit(
  name: string,
  limit: number,
  skip: (req: Request, res: Response) => boolean,
  message: string,
): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Cluster workers count in the primary, so the limit holds across workers.
    ...(cluster.isWorker ? { store: new ClusterRateStore(name) } : {}),
    skip,
    // The library's X-Forwarded-For check only logs to the console; hostile clients send that header
    // on purpose, and req.ip already ignores it unless TRUST_PROXY is set.
    validate: { xForwardedForHeader: false },
    handler: (_req, _res, next) => {
      next(tooManyRequests(`${message}; retry after the time in the Retry-After header`));
    },
  });
}

/** RATE_LIMIT_PER_MINUTE: every request but the open paths. */
export function rateLimiter(config: Readonly<Config>): RequestHandler | undefined {
  if (config.rateLimitPerMinute === 0) return undefined;
  return perClientLimit(
    'api',
    config.rateLimitPerMinute,
    (req) => isOpenPath(req.path),
    `more than ${config.rateLimitPerMinute} requests in a minute from this address`,
  );
}

/**
 * FORM_RATE_LIMIT_PER_MINUTE: form predictions (urlencoded posts to the form's routes) from
 * clients without a valid key, on top of RATE_LIMIT_PER_MINUTE. Mounted after apiKeyAuth.
 */
export function formRateLimiter(config: Readonly<Config>): RequestHandler | undefined {
  if (config.formRateLimitPerMinute === 0) return undefined;
  return perClientLimit(
    'form',
    config.formRateLimitPerMinute,
    (req, res) =>
      res.locals.keyed === true ||
      req.method !== 'POST' ||
      routeAccess(req.method, req.path) !== 'form' ||
      !isOpenFormRequest(req),
    `more than ${config.formRateLimitPerMinute} form predictions in a minute from this address (API clients: use a key)`,
  );
}
