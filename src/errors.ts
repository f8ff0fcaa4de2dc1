/**
 * One error type for everything the server answers with a 4xx/5xx. `expose` says whether the
 * message may be shown to the client (always for 4xx; 5xx messages are replaced by a generic one).
 */
export interface HttpErrorOptions {
  /** Extra, client-safe detail (e.g. which rows failed, which columns were found). */
  details?: unknown;
  expose?: boolean;
  cause?: unknown;
  /** Response headers that belong to this answer (e.g. Retry-After on a 503). */
  headers?: Readonly<Record<string, string>>;
}

export class HttpError extends Error {
  readonly status: number;
  /** A stable, machine-readable code, e.g. `payload_too_large`. */
  readonly code: string;
  readonly expose: boolean;
  readonly details?: unknown;
  readonly headers?: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? status < 500;
    this.details = options.details;
    this.headers = options.headers;
  }
}

export const badRequest = (message: string, details?: unknown): HttpError =>
  new HttpError(400, 'bad_request', message, { details });

export const notFound = (message: string): HttpError => new HttpError(404, 'not_found', message);

export const methodNotAllowed = (method: string, allowed: readonly string[]): HttpError =>
  new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use ${allowed.join(', ')}`, {
    details: { allowed },
  });

export const payloadTooLarge = (message: string): HttpError =>
  new HttpError(413, 'payload_too_large', message);

export const unsupportedMediaType = (message: string): HttpError =>
  new HttpError(415, 'unsupported_media_type', message);

export const serviceUnavailable = (message: string): HttpError =>
  new HttpError(503, 'unavailable', message, { expose: true });

/** Errors thrown by libraries (body-parser, multer) carry a numeric status; keep it when it is 4xx. */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (typeof error === 'object' && error !== null) {
    const candidate =
      (error as { status?: unknown; statusCode?: unknown }).status ??
      (error as { statusCode?: unknown }).statusCode;
    if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) return candidate;
  }
  return 500;
}

export const unauthorized = (message: string): HttpError => new HttpError(401, 'unauthorized', message);

export const tooManyRequests = (message: string): HttpError =>
  new HttpError(429, 'too_many_requests', message);

/** What a client is shown of an error: the JSON `error` object and the HTML error page's content. */
export interface PublicError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

const GENERIC_MESSAGES: Readonly<Record<number, string>> = {
  500: 'Internal server error; the request id in the X-Request-Id header identifies it in the logs.',
  502: 'Bad gateway.',
  503: 'Service unavailable; try again later.',
  504: 'Gateway timeout.',
};

const CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'request_header_fields_too_large',
  500: 'internal_error',
  503: 'unavailable',
};

/**
 * Reduce anything thrown to what may be shown: HttpErrors keep their code and details; library
 * errors with a 4xx status keep the status (their messages can quote the input, so a fixed
 * message per status is used); 5xx messages are replaced unless explicitly exposed. Never a stack.
 */
export function toPublicError(error: unknown): PublicError {
  const status = statusOf(error);
  const code = CODES[status] ?? (status < 500 ? 'client_error' : 'server_error');
  if (error instanceof HttpError) {
    if (!error.expose) {
      return {
        status,
        code: status >= 500 ? code : error.code,
        message: GENERIC_MESSAGES[status] ?? 'Server error.',
      };
    }
    const shown: PublicError = { status, code: error.code, message: error.message };
    if (error.details !== undefined) shown.details = error.details;
    return shown;
  }
  if (status < 500)
    return { status, code, message: `Request failed (${status} ${code.replace(/_/g, ' ')}).` };
  return { status, code, message: GENERIC_MESSAGES[status] ?? 'Server error.' };
}
