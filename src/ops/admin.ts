/**
 * Model administration: POST /admin/models/reload (read ARTIFACTS_DIR again, swap in what changed)
 * and POST /admin/models/:name/versions/:version/default (serve that version at the model's own
 * routes: a rollback). Off (403) unless ADMIN_TOKEN is set; the token comes in `X-Admin-Token` and is
 * compared in constant time. With API_KEYS set these routes need a key as well (route table).
 */
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../deps';
import { HttpError } from '../errors';
import { keyMatches } from '../http/security';
import type { ReloadReport } from '../model/registry';

/** What the admin routes and SIGHUP drive: the registry itself, or in cluster mode every worker's. */
export interface ModelControl {
  reload(): Promise<ReloadReport>;
  setDefaultVersion(name: string, version: string): Promise<ReloadReport>;
}

export const ADMIN_TOKEN_HEADER = 'x-admin-token';

/** The registry's own reload, when it has one (loadRegistry's does; test doubles may not). */
export function registryControl(registry: AppDeps['registry']): ModelControl | undefined {
  const r = registry as Partial<ModelControl>;
  return typeof r.reload === 'function' && typeof r.setDefaultVersion === 'function'
    ? { reload: () => r.reload!(), setDefaultVersion: (n, v) => r.setDefaultVersion!(n, v) }
    : undefined;
}

function authorize(deps: AppDeps, req: Request): ModelControl {
  const token = deps.config.adminToken;
  if (token === '') {
    throw new HttpError(403, 'admin_disabled', 'the admin API is off: set ADMIN_TOKEN to turn it on', {
      expose: true,
    });
  }
  const presented = req.get(ADMIN_TOKEN_HEADER);
  if (presented === undefined || !keyMatches(presented, [token])) {
    throw new HttpError(401, 'admin_token_required', `send the admin token in the X-Admin-Token header`, {
      expose: true,
    });
  }
  const control = deps.models ?? registryControl(deps.registry);
  if (control === undefined) {
    throw new HttpError(409, 'reload_unsupported', 'these models cannot be reloaded', { expose: true });
  }
  return control;
}

/** 200 with the report when everything new was swapped in; 409 with it when something was refused. */
function answer(res: Response, report: ReloadReport): void {
  if (report.ok) {
    res.json(report);
    return;
  }
  const refused = report.rejected.map((r) => `${r.folder}: ${r.reason}`).join('; ');
  throw new HttpError(
    409,
    'reload_rejected',
    `not swapped in (the running versions keep serving): ${refused}`,
    {
      expose: true,
      details: report,
    },
  );
}

export function createAdminRouter(deps: AppDeps): Router {
  const router = Router();
  router.post('/admin/models/reload', async (req: Request, res: Response) => {
    const control = authorize(deps, req);
    const report = await control.reload();
    req.log.info({ reload: report }, report.ok ? 'models reloaded' : 'reload refused some bundles');
    answer(res, report);
  });
  router.post('/admin/models/:name/versions/:version/default', async (req: Request, res: Response) => {
    const control = authorize(deps, req);
    let report: ReloadReport;
    try {
      report = await control.setDefaultVersion(req.params.name as string, req.params.version as string);
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (status === 404 || status === 409) {
        throw new HttpError(
          status,
          status === 404 ? 'not_found' : 'version_not_ready',
          (error as Error).message,
          {
            expose: true,
          },
        );
      }
      throw error;
    }
    req.log.info({ model: req.params.name, version: req.params.version }, 'default version set');
    answer(res, report);
  });
  return router;
}
