/**
 * The thin shell between Express and the EJS views in views/: compile each template once (on first
 * use, never at import), render it with view data built by the pure modules, send HTML.
 *
 * Templates escape every value with `<%= %>`; they print `Markup#html` unescaped, and only this
 * folder's builders make Markup.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { Response } from 'express';
import type { AppDeps } from '../deps';
import { HttpError } from '../errors';
import type { InputRow, LoadedModel, RowPrediction } from '../model/types';
import { type IndexQuery, buildIndexView } from './index-view';
import { escapeHtml, truncate } from './markup';
import { buildResultView } from './result-view';

/** views/ at the repository root: `../../views` from both src/web (ts-jest) and dist/web (node). */
export const VIEWS_DIR = path.resolve(__dirname, '..', '..', 'views');

export type ViewName = 'index' | 'result' | 'error' | 'monitor' | 'feedback';

type Template = (data: Record<string, unknown>) => string;
const compiled = new Map<ViewName, Template>();

function template(name: ViewName): Template {
  let fn = compiled.get(name);
  if (fn === undefined) {
    const filename = path.join(VIEWS_DIR, `${name}.ejs`);
    // cache: true makes ejs keep the compiled partials that templates include, keyed by file name.
    fn = ejs.compile(readFileSync(filename, 'utf8'), { filename, cache: true, async: false }) as Template;
    compiled.set(name, fn);
  }
  return fn;
}

/** Render a page to a string. Throws when the template fails. */
export function renderView(name: ViewName, data: Record<string, unknown>): string {
  return template(name)(data);
}

function sendHtml(res: Response, status: number, html: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.send(html);
}

export interface PredictionPage {
  model: LoadedModel;
  /** The row as the model read it (validated strings). */
  inputs: InputRow;
  prediction: RowPrediction;
}

/**
 * The form page for `model`: values as typed and errors beside their fields when the query has
 * them (status 400 then, so scripts and tests see the refusal).
 */
export function renderForm(
  res: Response,
  deps: Pick<AppDeps, 'registry' | 'config'>,
  model: LoadedModel,
  query: IndexQuery,
  status: number,
): void {
  const { config, registry } = deps;
  const view = buildIndexView(registry.list(), model, query, {
    maxTextChars: config.maxTextChars,
    maxCsvRows: config.maxCsvRows,
    maxUploadBytes: config.maxUploadBytes,
  });
  const title = view.errors.length > 0 ? `Check the form · ${model.card.title}` : model.card.title;
  res.setHeader('Cache-Control', 'no-store');
  // PREDICTION_LOG on: the card links to the model's monitor page.
  const monitorUrl = config.predictionLog ? `/models/${encodeURIComponent(model.name)}/monitor` : undefined;
  sendHtml(res, status, renderView('index', { page: { title }, view, monitorUrl }));
}

/** The result page of one prediction from the form. */
export function renderPrediction(res: Response, page: PredictionPage): void {
  const view = buildResultView(page.model, page.inputs, page.prediction);
  const html = renderView('result', {
    page: { title: `${view.verdict.names.join(', ')} · ${view.modelTitle}` },
    view,
  });
  res.setHeader('Cache-Control', 'no-store');
  sendHtml(res, 200, html);
}

const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'That request could not be read',
  401: 'A key is needed',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Method not allowed',
  406: 'Format not available',
  408: 'The request took too long',
  413: 'That is too large',
  415: 'Unsupported file type',
  422: 'That input could not be used',
  429: 'Too many requests',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

const GENERIC_MESSAGES: Readonly<Record<number, string>> = {
  400: 'The request was not in a form the server understands.',
  404: 'There is nothing at this address.',
  413: 'The request is larger than this server accepts.',
  429: 'Please wait a minute before trying again.',
  500: 'The server hit an unexpected problem. It has been logged; please try again.',
  503: 'The service cannot answer right now. Please try again in a moment.',
};

export interface ErrorView {
  status: number;
  title: string;
  message: string;
  details: string[];
  requestId?: string;
}

function exposedMessage(error: unknown, status: number): string | undefined {
  if (status >= 500 && !(error instanceof HttpError && error.expose)) return undefined;
  if (error instanceof HttpError) return error.expose ? error.message : undefined;
  // Library errors (body-parser, multer) say whether their message is for the client.
  if (typeof error === 'object' && error !== null) {
    const { expose, message } = error as { expose?: unknown; message?: unknown };
    if (expose === true && typeof message === 'string') return message;
  }
  return undefined;
}

const MAX_DETAILS = 20;

/** Client-safe details as short lines: lists of strings, {path, message} issues, flat records. */
function detailLines(details: unknown): string[] {
  const lines: string[] = [];
  const scalar = (v: unknown): string | undefined =>
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  const describe = (v: unknown): string | undefined => {
    const s = scalar(v);
    if (s !== undefined) return s;
    if (Array.isArray(v) && v.every((x) => scalar(x) !== undefined))
      return v.map((x) => String(x)).join(', ');
    if (typeof v === 'object' && v !== null) {
      const { path: where, message } = v as { path?: unknown; message?: unknown };
      if (typeof message === 'string') {
        const at = Array.isArray(where) ? where.join('.') : scalar(where);
        return at === undefined || at === '' ? message : `${at}: ${message}`;
      }
    }
    return undefined;
  };
  if (Array.isArray(details)) {
    for (const item of details) {
      const line = describe(item);
      if (line !== undefined) lines.push(line);
    }
  } else if (typeof details === 'object' && details !== null) {
    for (const [key, value] of Object.entries(details)) {
      const line = describe(value);
      if (line !== undefined) lines.push(`${key}: ${line}`);
    }
  }
  return lines.slice(0, MAX_DETAILS).map((line) => truncate(line, 300));
}

export function buildErrorView(status: number, error: unknown, requestId?: string): ErrorView {
  const safeStatus = Number.isInteger(status) && status >= 400 && status < 600 ? status : 500;
  const message =
    exposedMessage(error, safeStatus) ??
    GENERIC_MESSAGES[safeStatus] ??
    (safeStatus >= 500 ? GENERIC_MESSAGES[500] : GENERIC_MESSAGES[400]);
  const details = error instanceof HttpError && error.expose ? detailLines(error.details) : [];
  return {
    status: safeStatus,
    title: STATUS_TITLES[safeStatus] ?? (safeStatus >= 500 ? 'Something went wrong' : 'That did not work'),
    message: truncate(message, 1000),
    details,
    requestId,
  };
}

/**
 * The HTML error page (the app's error handler calls this for browsers). Never shows a stack
 * trace; 5xx messages are generic unless the error was made to be shown.
 */
export function renderError(res: Response, status: number, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const header = res.getHeader('X-Request-Id');
  const view = buildErrorView(status, error, typeof header === 'string' ? header : undefined);
  let html: string;
  try {
    html = renderView('error', { page: { title: view.title }, view });
  } catch {
    // The template itself failed: still answer with a readable page.
    html = `<!doctype html><html lang="en"><meta charset="utf-8"><title>${view.status}</title><h1>${escapeHtml(view.title)}</h1><p>${escapeHtml(view.message)}</p><p><a href="/index">Back to Sift</a></p></html>`;
  }
  res.setHeader('Cache-Control', 'no-store');
  sendHtml(res, view.status, html);
}
