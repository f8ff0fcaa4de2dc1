/**
 * Operations endpoints: GET /health, GET /ready, GET /metrics, GET /openapi.json, GET /docs.
 */
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../app';
import { renderDocs } from './docs';
import { createHealthRouter } from './health';
import { type Metrics, recordModelInfo } from './metrics';
import { buildOpenApi } from './openapi';

export function createOpsRouter(deps: AppDeps, metrics: Metrics): Router {
  const router = Router();
  router.use(createHealthRouter(deps));

  router.get('/metrics', async (_req: Request, res: Response) => {
    recordModelInfo(metrics, deps.registry);
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
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
