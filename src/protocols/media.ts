/**
 * Media types as the serving protocols see them: what a Content-Type header names and which body
 * format it means. Pure.
 */
import { unsupportedMediaType } from '../errors';

export interface MediaType {
  /** Lowercased `type/subtype`, without parameters. */
  readonly essence: string;
  /** Parameter names lowercased; values as sent (quotes removed). */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parse a Content-Type (or one Accept entry). Undefined when absent or unreadable. */
export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  const [head, ...rest] = splitOutsideQuotes(header, ';');
  const essence = head.trim().toLowerCase();
  const slash = essence.indexOf('/');
  if (slash <= 0 || slash === essence.length - 1) return undefined;
  if (!TOKEN.test(essence.slice(0, slash)) || !TOKEN.test(essence.slice(slash + 1))) return undefined;
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (TOKEN.test(name)) params[name] = value;
  }
  return { essence, params };
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i += 1;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

export type BodyFormat = 'json' | 'csv' | 'jsonlines';

/** The JSON Lines names clients use in the wild; SageMaker's own is `application/jsonlines`. */
export const JSON_LINES_TYPES: readonly string[] = [
  'application/jsonlines',
  'application/x-jsonlines',
  'application/jsonl',
  'application/x-ndjson',
];

export function bodyFormatOf(media: MediaType): BodyFormat | undefined {
  if (media.essence === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media.essence))
    return 'json';
  if (media.essence === 'text/csv' || media.essence === 'application/csv') return 'csv';
  if (JSON_LINES_TYPES.includes(media.essence)) return 'jsonlines';
  return undefined;
}

/**
 * The body format a request declares, or a 415 naming what is accepted. `accepted` limits the
 * formats a route takes (KServe: JSON only).
 */
export function requireBodyFormat(
  contentType: string | undefined,
  accepted: readonly BodyFormat[],
): { format: BodyFormat; media: MediaType } {
  const media = parseMediaType(contentType);
  const format = media === undefined ? undefined : bodyFormatOf(media);
  if (media === undefined || format === undefined || !accepted.includes(format)) {
    const names = accepted.map((f) =>
      f === 'json' ? 'application/json' : f === 'csv' ? 'text/csv' : 'application/jsonlines',
    );
    const got =
      contentType === undefined || contentType.trim() === '' ? 'no Content-Type' : `"${contentType}"`;
    throw unsupportedMediaType(`Content-Type must be ${names.join(', ')}; got ${got}`);
  }
  return { format, media };
}

/**
 * Content negotiation over `offered` types (in the server's order of preference): the acceptable
 * one with the highest q, then the most specific match, then the client's order. Parameters other
 * than q (`text/csv; header=present`) do not prevent a match. Undefined when none is acceptable;
 * the first offer when Accept is absent or empty.
 */
export function negotiate(accept: string | undefined, offered: readonly string[]): string | undefined {
  if (accept === undefined || accept.trim() === '') return offered[0];
  const entries = splitOutsideQuotes(accept, ',')
    .map((entry, index) => {
      const media = parseMediaType(entry);
      if (media === undefined) return undefined;
      const q = media.params.q === undefined ? 1 : Number(media.params.q);
      return { essence: media.essence, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0, index };
    })
    .filter((entry) => entry !== undefined);
  let best: { type: string; q: number; specificity: number; index: number } | undefined;
  for (const type of offered) {
    const [major] = type.split('/');
    let match: { q: number; specificity: number; index: number } | undefined;
    for (const entry of entries) {
      const specificity =
        entry.essence === type ? 2 : entry.essence === `${major}/*` ? 1 : entry.essence === '*/*' ? 0 : -1;
      if (specificity < 0) continue;
      if (match === undefined || specificity > match.specificity)
        match = { q: entry.q, specificity, index: entry.index };
    }
    if (match === undefined || match.q === 0) continue;
    if (
      best === undefined ||
      match.q > best.q ||
      (match.q === best.q && match.specificity > best.specificity) ||
      (match.q === best.q && match.specificity === best.specificity && match.index < best.index)
    ) {
      best = { type, ...match };
    }
  }
  return best?.type;
}
