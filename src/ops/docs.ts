/**
 * GET /docs: the OpenAPI document as a server-rendered page (views/docs.ejs). No script of its own,
 * so it works under the strict CSP and without JavaScript. Descriptions are Markdown (markdown-it,
 * raw HTML off); every operation gets a runnable curl example built from the document's own
 * request examples; schemas are tables of their properties.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import MarkdownIt from 'markdown-it';
import type { OpenApiDocument } from './openapi';

const VIEWS_DIR = path.resolve(__dirname, '..', '..', 'views');

export interface RequestExample {
  /** What the example sends: "JSON", "CSV file upload", … */
  label: string;
  command: string;
}

export interface SchemaRow {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

export interface DocsView {
  title: string;
  /** Rendered Markdown (trusted: HTML in the source is escaped). */
  descriptionHtml: string;
  openapiVersion: string;
  secured: boolean;
  groups: {
    tag: string;
    id: string;
    operations: {
      id: string;
      method: string;
      path: string;
      summaryHtml: string;
      descriptionHtml?: string;
      secured: boolean;
      parameters: { name: string; in: string; descriptionHtml?: string }[];
      requestTypes: string[];
      examples: RequestExample[];
      responses: { status: string; descriptionHtml: string }[];
    }[];
  }[];
  schemas: {
    name: string;
    id: string;
    descriptionHtml?: string;
    type: string;
    rows: SchemaRow[];
    json: string;
  }[];
}

interface MediaObject {
  schema?: unknown;
  example?: unknown;
}

interface OperationObject {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: { content?: Record<string, MediaObject> };
  responses?: Record<string, { description?: string }>;
}

type Schema = Record<string, unknown>;

let markdown: InstanceType<typeof MarkdownIt> | undefined;
/** Inline Markdown → HTML; the parser is made on first use (GET /docs is rare), not at start-up. */
const inline = (text: string): string => {
  markdown ??= new MarkdownIt({ html: false, linkify: false, typographer: false });
  return markdown.renderInline(text);
};

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** A shell word in single quotes. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** printf's format string for literal text (newlines as \n, % and \ escaped). */
function printfQuote(text: string): string {
  return shellQuote(text.replace(/\\/g, '\\\\').replace(/%/g, '%%').replace(/\n/g, '\\n'));
}

/** curl commands for one operation, one per request type that has an example. */
export function requestExamples(
  method: string,
  pathName: string,
  content: Readonly<Record<string, MediaObject>>,
  options: { base: string; model: string },
): RequestExample[] {
  const url = `${options.base}${pathName.replace('{name}', options.model).replace('{version}', 'VERSION')}`;
  if (method === 'get') return [{ label: 'Request', command: `curl -s ${shellQuote(url)}` }];
  // The admin routes take no body, only the token.
  if (pathName.startsWith('/admin/')) {
    return [
      { label: 'Request', command: `curl -s -X POST ${shellQuote(url)} -H "X-Admin-Token: $ADMIN_TOKEN"` },
    ];
  }
  const examples: RequestExample[] = [];
  const html = pathName === '/index' ? " -H 'Accept: text/html'" : '';
  for (const [type, media] of Object.entries(content)) {
    const example = media.example;
    if (example === undefined) continue;
    const text = typeof example === 'string' ? example : JSON.stringify(example);
    switch (type) {
      case 'application/json':
        examples.push({
          label: 'JSON',
          command: `curl -s ${shellQuote(url)} -H 'Content-Type: application/json' \\\n  -d ${shellQuote(text)}`,
        });
        break;
      case 'application/x-www-form-urlencoded': {
        const form = new URLSearchParams(example as Record<string, string>).toString();
        examples.push({ label: 'Form', command: `curl -s ${shellQuote(url)}${html} -d ${shellQuote(form)}` });
        break;
      }
      case 'multipart/form-data': {
        const file = (example as { file?: string }).file ?? '';
        examples.push({
          label: 'CSV file upload',
          command: `printf ${printfQuote(file)} > rows.csv\ncurl -s ${shellQuote(url)} -F file=@rows.csv -o predictions.csv`,
        });
        break;
      }
      default:
        examples.push({
          label: type === 'text/plain' ? 'Plain text' : type === 'text/csv' ? 'CSV' : type,
          command: `printf ${printfQuote(text)} |\n  curl -s ${shellQuote(url)} -H ${shellQuote(`Content-Type: ${type}`)} --data-binary @-`,
        });
    }
  }
  return examples;
}

/** A schema's type in words: "string", "array of Row", "Prediction or BatchPrediction". */
export function describeType(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return 'any';
  const s = schema as Schema;
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop() ?? s.$ref;
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[key])) {
      return (s[key] as unknown[]).map((x) => (x as Schema).title ?? describeType(x)).join(' or ');
    }
  }
  if (Array.isArray(s.allOf)) return (s.allOf as unknown[]).map(describeType).join(' and ');
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  if (types.includes('array')) return `array of ${describeType(s.items)}`;
  if (types.length === 1 && types[0] === 'object' && typeof s.additionalProperties === 'object') {
    return `object of ${describeType(s.additionalProperties)}`;
  }
  return types.length > 0 ? types.join(' or ') : 'any';
}

function schemaRows(schema: Schema): SchemaRow[] {
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return Object.entries(properties).map(([name, property]) => ({
    name,
    type: describeType(property),
    required: required.has(name),
    description: typeof property.description === 'string' ? property.description : '',
  }));
}

/** Pure: the document → what the template shows. */
export function buildDocsView(doc: OpenApiDocument, options = { base: 'localhost:3000' }): DocsView {
  const model = /default: ([^)]+)\)/.exec(String(doc.info.description ?? ''))?.[1] ?? 'disaster-tweets';
  const groups = new Map<string, DocsView['groups'][number]>();
  for (const tag of doc.tags)
    groups.set(tag.name, { tag: tag.name, id: `tag-${slug(tag.name)}`, operations: [] });
  let secured = false;
  for (const [pathName, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as OperationObject;
      const tag = op.tags?.[0] ?? 'Other';
      const group = groups.get(tag) ?? { tag, id: `tag-${slug(tag)}`, operations: [] };
      groups.set(tag, group);
      const isSecured = (op.security?.length ?? 0) > 0;
      secured ||= isSecured;
      const content = op.requestBody?.content ?? {};
      group.operations.push({
        id: `op-${slug(op.operationId ?? `${method}-${pathName}`)}`,
        method: method.toUpperCase(),
        path: pathName,
        summaryHtml: inline(op.summary ?? ''),
        descriptionHtml: op.description === undefined ? undefined : inline(op.description),
        secured: isSecured,
        parameters: (op.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          descriptionHtml: p.description === undefined ? undefined : inline(p.description),
        })),
        requestTypes: Object.keys(content),
        examples: requestExamples(method, pathName, content, { base: options.base, model }),
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({
          status,
          descriptionHtml: inline(r.description ?? ''),
        })),
      });
    }
  }
  const schemas = (doc.components.schemas ?? {}) as Record<string, Schema>;
  return {
    title: String(doc.info.title),
    descriptionHtml: inline(String(doc.info.description ?? '')),
    openapiVersion: doc.openapi,
    secured,
    groups: [...groups.values()].filter((g) => g.operations.length > 0),
    schemas: Object.entries(schemas).map(([name, schema]) => ({
      name,
      id: `schema-${name}`,
      descriptionHtml: typeof schema.description === 'string' ? inline(schema.description) : undefined,
      type: describeType(schema),
      rows: schemaRows(schema),
      json: JSON.stringify(schema, null, 2),
    })),
  };
}

let template: ((data: Record<string, unknown>) => string) | undefined;

/** Render the page; the template is read and compiled on first use, never at import. */
export function renderDocs(doc: OpenApiDocument): string {
  if (template === undefined) {
    const filename = path.join(VIEWS_DIR, 'docs.ejs');
    template = ejs.compile(readFileSync(filename, 'utf8'), { filename, cache: true, async: false }) as (
      data: Record<string, unknown>,
    ) => string;
  }
  return template({ page: { title: 'API reference' }, docs: buildDocsView(doc) });
}
