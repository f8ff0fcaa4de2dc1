/**
 * The prediction log's routes: feedback (POST /predictions/:id/feedback, JSON or the result page's
 * form), the retraining export (GET /feedback.csv, /feedback.jsonl) and the monitor
 * (GET /models/:name/monitor, /models/:name/monitor.json). Every one answers 503 with the reason
 * when the log is off or its store fails; predictions never depend on any of them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../deps';
import { HttpError, badRequest, notFound } from '../errors';
import { type FormFields, bodyKindOf, readBody } from '../http/body';
import { OPEN_FORM, wantsHtml } from '../http/security';
import { FormulaGuard, writeCsv } from '../csv/write';
import type { LoadedModel } from '../model/types';
import { resolveModel } from '../predict/predict';
import { renderView } from '../web/render';
import { truncate } from '../web/markup';
import { DEFAULT_LABEL_COLUMN, exportHeader, exportJson, exportRecord, isColumnName } from './export';
import { feedbackLabels, formFeedbackLabels, isPredictionId } from './feedback';
import { buildFeedbackView, buildMonitorView } from './monitor-view';
import { type BucketSize, monitorReport } from './report';
import type { LabeledRow, PredictionLog, PredictionRecord } from './types';

/** Export rows written per chunk of the response. */
const EXPORT_CHUNK_ROWS = 500;

function logOff(): HttpError {
  return new HttpError(
    503,
    'prediction_log_off',
    'the prediction log is off: set PREDICTION_LOG to keep predictions and feedback (see the README, "Know how the model does in production")',
    { expose: true },
  );
}

/** A store failure as the client sees it: a 503 naming the store, never a 500 or a stack trace. */
function storeDown(log: PredictionLog, error: unknown): HttpError {
  const reason = error instanceof Error ? truncate(error.message, 200) : 'unknown error';
  return new HttpError(
    503,
    'prediction_log_unavailable',
    `the prediction log's ${log.store.kind} store is unavailable (${reason}); predictions are still served, try again later`,
    { expose: true, cause: error, headers: { 'Retry-After': '30' } },
  );
}

function queryString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

export function createMonitorRouter(deps: AppDeps): Router {
  const router = Router();
  const { registry } = deps;
  const body = readBody(deps.config, ['json', 'form']);
  if (deps.predictionLog !== undefined) deps.metrics?.watchPredictionLog(deps.predictionLog);

  function logOf(): PredictionLog {
    if (deps.predictionLog === undefined) throw logOff();
    return deps.predictionLog;
  }

  async function fromStore<T>(log: PredictionLog, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw storeDown(log, error);
    }
  }

  /** The logged prediction; a record still waiting in the writer's queue is written first. */
  async function loggedPrediction(log: PredictionLog, id: string): Promise<PredictionRecord> {
    const missing = () => notFound(`no logged prediction has the id "${truncate(id, 80)}"`);
    if (!isPredictionId(id)) throw missing();
    let record = await fromStore(log, () => log.store.getPrediction(id));
    if (record === undefined) {
      // Feedback sent right after the answer can overtake the batched write.
      await log.flush().catch(() => undefined);
      record = await fromStore(log, () => log.store.getPrediction(id));
    }
    // ... in another process, too: with WEB_CONCURRENCY > 1 (the default on several CPUs) or
    // replicas on PostgreSQL the prediction may have been answered by another worker, whose queue
    // holds it for up to its flush interval. Wait that long, twice over, before saying 404.
    const waitMs = 2 * (log.flushIntervalMs ?? 1000);
    const pollMs = Math.max(5, Math.min(100, waitMs / 10));
    for (let waited = 0; record === undefined && waited < waitMs; waited += pollMs) {
      await delay(pollMs);
      record = await fromStore(log, () => log.store.getPrediction(id));
    }
    if (record === undefined) throw missing();
    return record;
  }

  router.post('/predictions/:id/feedback', body, async (req: Request, res: Response) => {
    const log = logOf();
    const form = req.body !== undefined && bodyKindOf(req) === 'form';
    // The result page's form: a page elsewhere must not post answers in a visitor's name (the id
    // is unguessable too; this refuses what a browser marks as cross-site anyway).
    if (form && req.get('sec-fetch-site') === 'cross-site') {
      throw new HttpError(403, 'forbidden', 'feedback can only be sent from this site’s own pages');
    }
    if (!form && res.locals[OPEN_FORM] === true) {
      throw new HttpError(401, 'unauthorized', 'an API key is required for JSON feedback');
    }
    const record = await loggedPrediction(log, req.params.id as string);
    const model = registry.get(record.model);
    if (model === undefined) {
      throw new HttpError(
        409,
        'model_not_loaded',
        `the model "${record.model}" that made this prediction is not loaded, so its classes cannot be checked`,
      );
    }
    const labels = form
      ? formFeedbackLabels(model.card, req.body as FormFields, record.labels)
      : feedbackLabels(model.card, req.body);
    const outcome = await fromStore(log, () =>
      log.store.recordFeedback({
        predictionId: record.id,
        labels,
        time: Date.now(),
        source: form ? 'form' : 'api',
      }),
    );
    if (outcome === 'unknown-prediction') {
      throw notFound(`no logged prediction has the id "${record.id}" (it may have been pruned)`);
    }
    const correct = sameLabels(labels, record.labels);
    if (form || wantsHtml(req)) {
      const view = buildFeedbackView(model, record, labels, correct);
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.send(renderView('feedback', { page: { title: `Thank you · ${model.card.title}` }, view }));
      return;
    }
    res.json({ prediction_id: record.id, model: record.model, labels, predicted: record.labels, correct });
  });

  async function exportRows(req: Request, res: Response, format: 'csv' | 'jsonl'): Promise<void> {
    const log = logOf();
    const query = req.query as Record<string, unknown>;
    const model = resolveModel(registry, queryString(query.model));
    const labelColumn = queryString(query.label_column) ?? DEFAULT_LABEL_COLUMN;
    if (!isColumnName(labelColumn)) {
      throw badRequest('label_column must be a column name: letters, digits and _, starting with a letter');
    }
    if (model.card.inputs.some((i) => i.name === labelColumn)) {
      throw badRequest(`label_column "${labelColumn}" is one of the model's inputs; choose another name`);
    }
    const guardValue = queryString(query.formula_guard) ?? 'off';
    if (guardValue !== 'on' && guardValue !== 'off') throw badRequest('formula_guard must be on or off');
    // Off by default: this file is training data, and tweets starting with @ or - must reach
    // train.py as written. `on` for a file meant for a spreadsheet.
    const guard = new FormulaGuard(guardValue === 'on');

    const rows = log.store.labeledRows(model.name)[Symbol.asyncIterator]();
    // The first read decides the status: a store that is down answers 503, not a cut-off file.
    let next = await fromStore(log, () => rows.next());
    res.setHeader('Cache-Control', 'no-store');
    if (format === 'csv') {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
      res.setHeader('Content-Disposition', `attachment; filename="feedback-${model.name}.csv"`);
      res.write(writeCsv([exportHeader(model.card, labelColumn)]));
    } else {
      res.setHeader('Content-Type', 'application/jsonl; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="feedback-${model.name}.jsonl"`);
    }
    let chunk: LabeledRow[] = [];
    /** The chunk's text; waits while the client reads slower than the store gives rows. */
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      let text: string;
      if (format === 'csv') {
        const records = chunk
          .map((row) => exportRecord(model.card, row))
          .filter((r): r is string[] => r !== undefined)
          .map((r) => r.map((cell) => guard.cell(cell)));
        text = records.length > 0 ? writeCsv(records) : '';
      } else {
        text = chunk.map((row) => `${JSON.stringify(exportJson(row))}\n`).join('');
      }
      chunk = [];
      if (text !== '' && !res.write(text)) await drained(res);
    };
    try {
      while (next.done !== true) {
        // The client went away: stop reading the store.
        if (res.destroyed) {
          await rows.return?.();
          return;
        }
        chunk.push(next.value);
        if (chunk.length >= EXPORT_CHUNK_ROWS) await flush();
        next = await rows.next();
      }
      await flush();
      res.end();
    } catch (error) {
      // Headers are out: cut the connection so the client sees an incomplete file, not a short one.
      req.log.error({ err: error }, 'feedback export failed');
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  router.get('/feedback.csv', (req: Request, res: Response) => exportRows(req, res, 'csv'));
  router.get('/feedback.jsonl', (req: Request, res: Response) => exportRows(req, res, 'jsonl'));

  async function report(req: Request, model: LoadedModel) {
    const log = logOf();
    const bucket = queryString((req.query as Record<string, unknown>).bucket) ?? 'hour';
    if (bucket !== 'hour' && bucket !== 'day') throw badRequest('bucket must be hour or day');
    return fromStore(log, () =>
      monitorReport(log.store, log.status(), model, { bucket: bucket as BucketSize, now: Date.now() }),
    );
  }

  router.get('/models/:name/monitor.json', async (req: Request, res: Response) => {
    const model = resolveModel(registry, req.params.name as string);
    res.json(await report(req, model));
  });

  router.get('/models/:name/monitor', async (req: Request, res: Response) => {
    const model = resolveModel(registry, req.params.name as string);
    const view = buildMonitorView(model, await report(req, model));
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.send(renderView('monitor', { page: { title: `Monitor · ${model.card.title}` }, view }));
  });

  return router;
}

/** Resolves when the response can take more, or is closed (a client gone never drains). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The same class names, whatever the order. */
function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(b);
  return a.every((name) => set.has(name));
}
