/**
 * Operations endpoints: GET /health, GET /ready, GET /metrics, GET /openapi.json, GET /docs.
 */
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../deps';
import { renderDocs } from './docs';
import { createHealthRouter } from './health';
import { HttpError } from '../errors';
import type { Metrics } from './metrics';
import { buildOpenApi } from './openapi';

export function createOpsRouter(deps: AppDeps, metrics: Metrics): Router {
  const router = Router();
  router.use(createHealthRouter(deps));

  metrics.watchModels(deps.registry);
  if (deps.admission !== undefined) metrics.watchAdmission(deps.admission);
  router.get('/metrics', async (_req: Request, res: Response) => {
    let text: string;
    try {
      text = await metrics.scrape();
    } catch (error) {
      throw new HttpError(503, 'metrics_unavailable', 'metrics could not be collected; try again', {
        expose: true,
        cause: error,
      });
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(text);
  });

  router.get('/openapi.json', (_req: Request, res: Response) => {
    res.json(buildOpenApi(deps.config, deps.registry));
  });

  router.get('/docs', (_req: Request, res: Response) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.send(renderDocs(buildOpenApi(deps.config, deps.registry)));
  });
  return router;
}
