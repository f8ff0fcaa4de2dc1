/**
 * The pages people open: GET / → /index, GET /index (the form, the model card, the CSV upload).
 * The form posts to POST /predict, whose HTML answer is renderPrediction (render.ts).
 * createApp mounts this router at '/' after the API routes, serves public/ at /static/ and answers
 * other methods on these paths with 405.
 */
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { loadFailure } from '../predict/predict';
import { type IndexQuery, buildIndexView } from './index-view';
import { truncate } from './markup';
import { renderView } from './render';

/** The first string value of a query parameter (Express gives arrays for repeated names). */
function queryString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function readIndexQuery(req: Request, fieldNames: readonly string[]): IndexQuery {
  const query = req.query as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const name of fieldNames) {
    const value = queryString(Object.hasOwn(query, name) ? query[name] : undefined);
    if (value !== undefined) values[name] = value;
  }
  return {
    model: queryString(query.model),
    example: queryString(query.example),
    metric: queryString(query.metric),
    values,
  };
}

export function createWebRouter(deps: AppDeps): Router {
  const router = Router();
  const { registry, config } = deps;

  router.get('/', (_req: Request, res: Response) => {
    res.redirect(302, '/index');
  });

  router.get('/index', (req: Request, res: Response, next: NextFunction) => {
    const requested = queryString((req.query as Record<string, unknown>).model);
    const name = requested === undefined || requested === '' ? registry.defaultModel : requested;
    const model = registry.get(name);
    if (model === undefined) {
      const failure = loadFailure(registry, name);
      if (failure !== undefined) return next(failure);
      const loaded = registry
        .list()
        .map((m) => m.name)
        .join(', ');
      next(notFound(`There is no model called “${truncate(name, 80)}”. Loaded models: ${loaded || 'none'}.`));
      return;
    }
    const view = buildIndexView(
      registry.list(),
      model,
      readIndexQuery(
        req,
        model.card.inputs.map((i) => i.name),
      ),
      {
        maxTextChars: config.maxTextChars,
        maxCsvRows: config.maxCsvRows,
        maxUploadBytes: config.maxUploadBytes,
      },
    );
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.send(renderView('index', { page: { title: model.card.title }, view }));
  });

  return router;
}
