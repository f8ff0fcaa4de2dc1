/**
 * Strict JSON for request bodies. Pure. On top of JSON.parse: a depth limit checked before parsing
 * (so a 1 MB "[[[[…" cannot exhaust the stack in later processing), and keys that could pollute
 * prototypes (`__proto__`, `constructor`, `prototype`) rejected wherever they appear, so no such key
 * ever reaches an object the server builds.
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from '../errors';

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting of objects/arrays in a JSON text (strings skipped); stops counting past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      depth++;
      if (depth > limit) return true;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

class ForbiddenKeyError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(key);
    this.key = key;
  }
}

function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key);
  return value;
}

/** False only when no key of `text` can be forbidden: JSON spells letters otherwise only as \uXXXX. */
function mayHoldForbiddenKey(text: string): boolean {
  return (
    text.includes('\\u') ||
    text.includes('__proto__') ||
    text.includes('constructor') ||
    text.includes('prototype')
  );
}

/**
 * Parse a JSON request body. Throws 400 with code `invalid_json`, `json_too_deep` or
 * `forbidden_key`. Messages never quote the body.
 */
export function parseStrictJson(text: string, maxDepth: number): unknown {
  if (text.trim() === '')
    throw codedBadRequest('empty_body', 'the request body is empty; send a JSON object');
  if (jsonDepthExceeds(text, maxDepth)) {
    throw codedBadRequest('json_too_deep', `JSON nesting is deeper than ${maxDepth} levels (MAX_JSON_DEPTH)`);
  }
  try {
    // A reviver makes JSON.parse several times slower: it runs only when a forbidden key could be
    // there at all (one of the words, or a \u escape that could spell one).
    return mayHoldForbiddenKey(text) ? JSON.parse(text, rejectForbiddenKeys) : JSON.parse(text);
  } catch (error) {
    if (error instanceof ForbiddenKeyError) {
      throw codedBadRequest('forbidden_key', `the key "${error.key}" is not accepted anywhere in a request`);
    }
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '');
    throw codedBadRequest(
      'invalid_json',
      position === null
        ? 'the body is not valid JSON'
        : `the body is not valid JSON (error at character ${position[1]})`,
    );
  }
}

function codedBadRequest(code: string, message: string): HttpError {
  return new HttpError(400, code, message);
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/**
 * What res.json sends with `json escape` on (<, > and & escaped so the answer never reads as HTML),
 * without res.send's generic work (ETag, freshness, body type sniffing): for both request paths.
 */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  let body = JSON.stringify(value);
  if (/[<>&]/.test(body)) body = body.replace(/[<>&]/g, (c) => JSON_ESCAPES[c]);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
