/**
 * Request bodies, read with a limit on every dimension. One entry point picks the reader by
 * Content-Type among the kinds a route accepts, and answers 415 for anything else.
 *
 * Deliberate choices (documented in the README's security section):
 * - every size limit applies after decompression (gzip, deflate, br): body-parser inflates through
 *   raw-body's limit;
 * - JSON and urlencoded bodies must be UTF-8 (RFC 8259, WHATWG URL): another declared charset is a
 *   415; bytes that are not valid UTF-8 are decoded with U+FFFD replacement characters rather than
 *   rejected, as browsers do, so one bad byte in a pasted text does not lose the request;
 * - CSV bodies stay bytes (src/csv/decode.ts reads their BOM and charset); plain text may declare
 *   any charset iconv-lite knows (latin1, utf-16le, windows-1252...);
 * - multipart: one file field (`file`), field values and counts capped, no nested field names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import multer, { MulterError } from 'multer';
import type { Config } from '../config';
import { describeUploadLimits, formatBytes } from '../csv/limits';
import { FORBIDDEN_KEYS, parseStrictJson } from './json';
import { HttpError, badRequest, payloadTooLarge, unsupportedMediaType } from '../errors';

export type BodyKind = 'json' | 'form' | 'multipart' | 'csv' | 'text';

const MEDIA_TYPES: Readonly<Record<BodyKind, readonly string[]>> = {
  json: ['application/json', 'application/*+json'],
  form: ['application/x-www-form-urlencoded'],
  multipart: ['multipart/form-data'],
  csv: ['text/csv', 'application/csv'],
  text: ['text/plain'],
};

/** Field values of a urlencoded or multipart form: a repeated name gives an array. */
export type FormFields = Readonly<Record<string, string | string[]>>;

export interface UploadedFile {
  readonly fieldName: string;
  readonly originalName: string;
  readonly buffer: Buffer;
}

/** The field name of the CSV upload. */
export const UPLOAD_FIELD = 'file';

export function bodyKindOf(req: Request): BodyKind | undefined {
  if (req.get('content-type') === undefined) return undefined;
  for (const kind of Object.keys(MEDIA_TYPES) as BodyKind[]) {
    if (req.is([...MEDIA_TYPES[kind]])) return kind;
  }
  return undefined;
}

export function describeKinds(kinds: readonly BodyKind[]): string {
  return kinds.map((kind) => MEDIA_TYPES[kind][0]).join(', ');
}

/** The Content-Type's charset parameter, lower-cased. */
export function charsetOf(req: IncomingMessage): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(req.headers['content-type'] ?? '');
  return match?.[1].toLowerCase();
}

function requireUtf8(req: IncomingMessage, kind: BodyKind): HttpError | undefined {
  const charset = charsetOf(req);
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return undefined;
  return unsupportedMediaType(
    `${MEDIA_TYPES[kind][0]} bodies must be UTF-8; charset "${charset}" is not accepted`,
  );
}

/**
 * Read the body into `req.body`: `unknown` (JSON), `FormFields` (urlencoded, multipart fields, with
 * `res.locals.upload` set to the UploadedFile when a file came), `Buffer` (CSV) or `string` (plain text).
 * A request without a body leaves `req.body` undefined; the route decides what that means.
 */
/**
 * A JSON body, read and parsed with or without Express (both request paths use this): `done` gets
 * the parsed value, or the 4xx to answer. The caller has checked that the request has a JSON body.
 */
export function jsonBodyReader(
  config: Readonly<Config>,
): (req: IncomingMessage, res: ServerResponse, done: (error: unknown, body?: unknown) => void) => void {
  const text = textReader(config);
  return (req, res, done) => {
    const wrongCharset = requireUtf8(req, 'json');
    if (wrongCharset !== undefined) return done(wrongCharset);
    const withBody = req as IncomingMessage & { body?: unknown };
    text(req, res, (error?: unknown) => {
      if (error !== undefined) return done(mapBodyError(error, config, 'json'));
      let body: unknown;
      try {
        body = parseStrictJson(asText(withBody.body), config.maxJsonDepth);
      } catch (parseError) {
        return done(parseError);
      }
      done(undefined, body);
    });
  };
}

/** body-parser's text reader: any charset iconv-lite knows, the limit counted after decompression. */
function textReader(config: Readonly<Config>) {
  return express.text({ type: () => true, limit: config.maxBodyBytes, defaultCharset: 'utf-8' });
}

export function readBody(config: Readonly<Config>, accepted: readonly BodyKind[]): RequestHandler {
  const readJson = jsonBodyReader(config);
  const smallText = textReader(config);
  const csvBytes = express.raw({ type: () => true, limit: config.maxUploadBytes });
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fieldNameSize: 100,
      // Bytes, while MAX_TEXT_CHARS counts UTF-16 units: UTF-8 needs at most 3 bytes per unit, so no
      // value within the character limit is cut here; the exact check happens in predict/input.ts.
      fieldSize: config.maxTextChars * 3 + 64,
      fields: config.maxFields,
      fieldNestingDepth: 0,
      fileSize: config.maxUploadBytes,
      files: config.maxFiles,
      parts: config.maxFields + config.maxFiles,
      headerPairs: 20,
    },
  }).single(UPLOAD_FIELD);

  return (req: Request, res: Response, next: NextFunction) => {
    req.body = undefined;
    if (!hasBody(req)) return next();
    const kind = bodyKindOf(req);
    if (kind === undefined || !accepted.includes(kind)) {
      const sent = req.get('content-type');
      return next(
        unsupportedMediaType(
          `${sent === undefined ? 'a body without Content-Type' : `Content-Type "${sent.slice(0, 100)}"`} is not accepted here; send ${describeKinds(accepted)}`,
        ),
      );
    }
    const after = (parse: (raw: unknown) => unknown) => (error?: unknown) => {
      if (error !== undefined) return next(mapBodyError(error, config, kind));
      try {
        req.body = parse(req.body);
      } catch (parseError) {
        return next(parseError);
      }
      next();
    };

    switch (kind) {
      case 'json':
        return readJson(req, res, (error, parsed) => {
          req.body = parsed;
          next(error);
        });
      case 'form': {
        const wrongCharset = requireUtf8(req, kind);
        if (wrongCharset !== undefined) return next(wrongCharset);
        return smallText(
          req,
          res,
          after((raw) => parseUrlEncoded(asText(raw), config.maxUrlParams)),
        );
      }
      case 'csv':
        return csvBytes(req, res, after(asBytes));
      case 'text':
        return smallText(req, res, after(asText));
      case 'multipart': {
        const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
        if (encoding !== 'identity') {
          return next(
            unsupportedMediaType(`multipart bodies cannot be sent with Content-Encoding "${encoding}"`),
          );
        }
        return upload(req, res, (error?: unknown) => {
          if (error !== undefined) return next(mapBodyError(error, config, kind));
          try {
            req.body = copyFields(req.body as Record<string, unknown> | undefined);
          } catch (parseError) {
            return next(parseError);
          }
          const file = (req as { file?: Express.Multer.File }).file;
          if (file !== undefined) {
            const uploaded: UploadedFile = {
              fieldName: file.fieldname,
              originalName: file.originalname,
              buffer: file.buffer,
            };
            res.locals.upload = uploaded;
          }
          next();
        });
      }
    }
  };
}

/** A body is announced by Transfer-Encoding or a non-zero Content-Length (RFC 9112 §6.3). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/** The file a multipart request carried, if any (set by readBody). */
export function uploadedFile(res: Response): UploadedFile | undefined {
  return res.locals.upload as UploadedFile | undefined;
}

function asText(raw: unknown): string {
  return typeof raw === 'string' ? raw : '';
}

function asBytes(raw: unknown): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
}

/**
 * application/x-www-form-urlencoded → a record with no prototype. Parameters beyond the limit are a
 * 413 (not silently dropped), names that could pollute prototypes a 400.
 */
export function parseUrlEncoded(text: string, maxParams: number): FormFields {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    count++;
    if (count > maxParams)
      throw payloadTooLarge(`the form has more than ${maxParams} fields (MAX_URL_PARAMS)`);
    addField(fields, name, value);
  }
  return fields;
}

function addField(fields: Record<string, string | string[]>, name: string, value: string): void {
  if (FORBIDDEN_KEYS.has(name))
    throw new HttpError(400, 'forbidden_key', `the field name "${name}" is not accepted`);
  const existing = fields[name];
  if (existing === undefined) fields[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fields[name] = [existing, value];
}

function copyFields(body: Record<string, unknown> | undefined): FormFields {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (body === undefined) return fields;
  for (const name of Object.keys(body)) {
    const value = body[name];
    if (typeof value === 'string') addField(fields, name, value);
    else if (Array.isArray(value)) value.forEach((item) => addField(fields, name, String(item)));
  }
  return fields;
}

/** body-parser, raw-body and multer errors → our 4xx with a message naming the limit. */
export function mapBodyError(error: unknown, config: Readonly<Config>, kind: BodyKind): unknown {
  if (error instanceof HttpError) return error;
  if (error instanceof MulterError) return mapMulterError(error, config);
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.too.large': {
      const limit = kind === 'csv' ? config.maxUploadBytes : config.maxBodyBytes;
      const name = kind === 'csv' ? 'MAX_UPLOAD_BYTES' : 'MAX_BODY_BYTES';
      const csvLimits = kind === 'csv' ? `; CSV bodies may have ${describeUploadLimits(config)}` : '';
      return payloadTooLarge(
        `the body is larger than ${limit} bytes (${name}; counted after decompression)${csvLimits}`,
      );
    }
    case 'charset.unsupported':
      return unsupportedMediaType('the declared charset is not supported');
    case 'encoding.unsupported':
      return unsupportedMediaType('the Content-Encoding is not supported; use gzip, deflate or br');
    case 'request.size.invalid':
      return badRequest('the body is shorter or longer than its Content-Length');
    case 'request.aborted':
      return new HttpError(
        400,
        'request_aborted',
        'the client closed the request before the body was complete',
      );
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return error;
  }
  if (kind === 'multipart') return badRequest('the multipart body is malformed');
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // zlib errors on a corrupt gzip body arrive here as 400s.
    return badRequest('the body could not be read (corrupt compression or framing)');
  }
  return error;
}

function mapMulterError(error: MulterError, config: Readonly<Config>): HttpError {
  const field = error.field === undefined ? '' : ` "${error.field.slice(0, 100)}"`;
  switch (error.code as string) {
    case 'LIMIT_FILE_SIZE':
      return payloadTooLarge(
        `the uploaded file is larger than ${formatBytes(config.maxUploadBytes)} (${config.maxUploadBytes} bytes, MAX_UPLOAD_BYTES); uploads may have ${describeUploadLimits(config)}`,
      );
    case 'LIMIT_FILE_COUNT':
      return payloadTooLarge(`at most ${config.maxFiles} file(s) per request (MAX_FILES)`);
    case 'LIMIT_FIELD_COUNT':
      return payloadTooLarge(`at most ${config.maxFields} form fields per request (MAX_FIELDS)`);
    case 'LIMIT_PART_COUNT':
      return payloadTooLarge(`at most ${config.maxFields + config.maxFiles} multipart parts per request`);
    case 'LIMIT_FIELD_VALUE':
      return payloadTooLarge(
        `the form field${field} is longer than ${config.maxTextChars} characters (MAX_TEXT_CHARS)`,
      );
    case 'LIMIT_FIELD_KEY':
      return badRequest('a form field name is longer than 100 bytes');
    case 'LIMIT_UNEXPECTED_FILE':
      return badRequest(`unexpected file field${field}; upload one CSV file in the field "${UPLOAD_FIELD}"`);
    case 'LIMIT_FIELD_NESTING':
    case 'LIMIT_FIELD_ARRAY_INDEX':
    case 'INVALID_FIELD_NAME':
      return badRequest(`the form field name${field} is not accepted; use plain names such as "text"`);
    case 'MISSING_FIELD_NAME':
      return badRequest('a multipart part has no field name');
    default:
      return badRequest('the multipart body could not be read');
  }
}
