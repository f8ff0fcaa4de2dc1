/**
 * The end of every request that no route answered, and of every error: 405 for a known path with
 * another method, 404 otherwise; errors as JSON `{"error": {...}}` for API clients and the HTML
 * error page for browsers. Never a stack trace; 5xx details go to the log with the request id.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type pino from 'pino';
import { HttpError, methodNotAllowed, notFound, toPublicError } from '../errors';
import { allowedMethods } from '../ops/openapi';
import { renderError } from '../web/render';
import { sendJson } from './json';
import { wantsHtml } from './security';

/** OPTIONS on a known path → 204 with Allow (CORS preflights are answered earlier by cors()). */
export function optionsHandler(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'OPTIONS') return next();
    const allowed = allowedMethods(req.path);
    if (allowed === undefined) return next();
    res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
    res.status(204).end();
  };
}

/** Known path, another method (no router answered it) → 405 with Allow. */
export function methodGuard(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const allowed = allowedMethods(req.path);
    if (allowed === undefined || allowed.includes(req.method)) return next();
    res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
    next(methodNotAllowed(req.method, allowed));
  };
}

/** The 404 of a request no route answered. */
export function noRouteError(method: string, path: string): HttpError {
  const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  return notFound(`there is no ${method} ${shown}; see /docs for the API`);
}

export function notFoundHandler(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    next(noRouteError(req.method, req.path));
  };
}

/**
 * Log an error and answer it, with or without Express: JSON `{"error": {...}}`, or `page` (the
 * HTML error page, for browsers) when given. `locals` gets the error code for the access log.
 */
export function answerError(
  error: unknown,
  res: ServerResponse,
  locals: Record<string, unknown>,
  log: pino.Logger | undefined,
  page?: (status: number, shown: HttpError) => void,
): void {
  const shown = toPublicError(error);
  locals.errorCode = shown.code;
  if (error instanceof HttpError && error.code === 'overloaded') {
    // Shedding load is the server working as designed: one line, no stack, per refusal.
    log?.warn({ code: shown.code, status: shown.status }, 'request refused: at capacity');
  } else if (shown.status >= 500) {
    log?.error({ err: error, status: shown.status }, 'request error');
  } else {
    log?.debug({ code: shown.code, status: shown.status, message: shown.message }, 'client error');
  }
  if (res.headersSent) {
    // The answer is half sent: the only honest thing left is to cut the connection.
    res.destroy();
    return;
  }
  if (shown.status === 405 && error instanceof HttpError) {
    const allowed = (error.details as { allowed?: readonly string[] } | undefined)?.allowed;
    if (allowed !== undefined && !res.hasHeader('Allow'))
      res.setHeader('Allow', [...allowed, 'OPTIONS'].join(', '));
  }
  if (error instanceof HttpError && error.headers !== undefined) {
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  }
  res.setHeader('Cache-Control', 'no-store');
  if (page !== undefined) {
    page(
      shown.status,
      new HttpError(shown.status, shown.code, shown.message, { details: shown.details, expose: true }),
    );
    return;
  }
  sendJson(res, { error: shown }, shown.status);
}

export function errorHandler(): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const page = wantsHtml(req)
      ? (status: number, shown: HttpError) => renderError(res, status, shown)
      : undefined;
    answerError(error, res, res.locals, req.log ?? undefined, page);
  };
}
