/**
 * The pages people open: GET / → /index, GET /index (the form, the model card, the CSV upload),
 * POST /index (the form again with what was typed). The form posts to POST /predict, whose HTML
 * answer is renderPrediction, or the form with its errors (render.ts).
 * createApp mounts this router at '/' after the API routes, serves public/ at /static/ and answers
 * other methods on these paths with 405.
 */
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../deps';
import { notFound } from '../errors';
import { loadFailure } from '../predict/predict';
import { type FormFields, readBody } from '../http/body';
import type { LoadedModel } from '../model/types';
import { typedValues } from './form';
import type { IndexQuery } from './index-view';
import { truncate } from './markup';
import { renderForm } from './render';

/** The form's model choice, read like an input field. */
const MODEL_FIELD = { name: 'model', label: 'Model', required: false, multiline: false, example: '' };

/** The first string value of a query parameter (Express gives arrays for repeated names). */
function queryString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** Typed text never travels in a URL (history, proxy logs): GET /index takes no field values. */
function readIndexQuery(req: Request): IndexQuery {
  const query = req.query as Record<string, unknown>;
  return {
    model: queryString(query.model),
    example: queryString(query.example),
    metric: queryString(query.metric),
    values: {},
  };
}

export function createWebRouter(deps: AppDeps): Router {
  const router = Router();
  const { registry } = deps;

  /** The model a page is about: the named one, or the default; a 404 page naming the loaded ones. */
  function pageModel(requested: string | undefined): LoadedModel {
    const name = requested === undefined || requested === '' ? registry.defaultModel : requested;
    const model = registry.get(name);
    if (model === undefined) {
      const failure = loadFailure(registry, name);
      if (failure !== undefined) throw failure;
      const loaded = registry
        .list()
        .map((m) => m.name)
        .join(', ');
      throw notFound(`There is no model called “${truncate(name, 80)}”. Loaded models: ${loaded || 'none'}.`);
    }
    return model;
  }

  router.get('/', (_req: Request, res: Response) => {
    res.redirect(302, '/index');
  });

  router.get('/index', (req: Request, res: Response) => {
    const query = readIndexQuery(req);
    renderForm(res, deps, pageModel(query.model), query, 200);
  });

  // The result page's "Edit and try again" and the model picker post here: the typed text comes
  // back in the body, never in the URL.
  router.post('/index', readBody(deps.config, ['form']), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as FormFields;
    const model = pageModel(typedValues(body, [MODEL_FIELD]).model);
    renderForm(res, deps, model, { values: typedValues(body, model.card.inputs) }, 200);
  });

  return router;
}
