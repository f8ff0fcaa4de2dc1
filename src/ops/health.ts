/**
 * Probes. GET /health: the process answers (liveness: restart it if this fails). GET /ready: every
 * model is loaded and passed its self-test, and the server is not shutting down (readiness: send it
 * traffic only when this is 200).
 */
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../app';

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  models: { name: string; ready: boolean; reason?: string }[];
  reasons: string[];
  /**
   * Bundle folders that could not be loaded at start-up (the log says why). They do not make the
   * server unready: the models that did load serve, and a restart would not fix the files.
   */
  skipped?: string[];
}

export function readiness(deps: Pick<AppDeps, 'registry' | 'lifecycle'>): ReadinessReport {
  const models = deps.registry.list().map((model) => {
    const status = model.status();
    return status.ready
      ? { name: model.name, ready: true }
      : { name: model.name, ready: false, reason: status.reason ?? 'self-test has not passed' };
  });
  const reasons = models.flatMap((m) => (m.ready ? [] : [`model "${m.name}" is not ready: ${m.reason}`]));
  if (models.length === 0) reasons.push('no model is loaded');
  if (deps.lifecycle?.draining === true) reasons.push('the server is shutting down');
  const skipped = (deps.registry as { skipped?: readonly { folder: string }[] }).skipped ?? [];
  return {
    status: reasons.length === 0 ? 'ready' : 'not_ready',
    models,
    reasons,
    ...(skipped.length > 0 ? { skipped: skipped.map((s) => s.folder) } : {}),
  };
}

export function createHealthRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/health', (_req: Request, res: Response) => {
    res.json({ status: 'ok', uptime_seconds: Math.round(process.uptime()) });
  });
  router.get('/ready', (_req: Request, res: Response) => {
    const report = readiness(deps);
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });
  return router;
}
