/**
 * GET /docs: the OpenAPI document as a server-rendered page (views/docs.ejs). No script of its own,
 * so it works under the strict CSP and without JavaScript.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { OpenApiDocument } from './openapi';

const VIEWS_DIR = path.resolve(__dirname, '..', '..', 'views');

export interface DocsView {
  title: string;
  description: string;
  openapiVersion: string;
  secured: boolean;
  groups: {
    tag: string;
    id: string;
    operations: {
      id: string;
      method: string;
      path: string;
      summary: string;
      description?: string;
      secured: boolean;
      parameters: { name: string; in: string; description?: string }[];
      requestTypes: string[];
      responses: { status: string; description: string }[];
    }[];
  }[];
  schemas: { name: string; json: string }[];
}

interface OperationObject {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string }>;
}

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Pure: the document → what the template shows. */
export function buildDocsView(doc: OpenApiDocument): DocsView {
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
      group.operations.push({
        id: `op-${slug(op.operationId ?? `${method}-${pathName}`)}`,
        method: method.toUpperCase(),
        path: pathName,
        summary: op.summary ?? '',
        description: op.description,
        secured: isSecured,
        parameters: (op.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          description: p.description,
        })),
        requestTypes: Object.keys(op.requestBody?.content ?? {}),
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({
          status,
          description: r.description ?? '',
        })),
      });
    }
  }
  const schemas = (doc.components.schemas ?? {}) as Record<string, unknown>;
  return {
    title: String(doc.info.title),
    description: String(doc.info.description ?? ''),
    openapiVersion: doc.openapi,
    secured,
    groups: [...groups.values()].filter((g) => g.operations.length > 0),
    schemas: Object.entries(schemas).map(([name, schema]) => ({
      name,
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
