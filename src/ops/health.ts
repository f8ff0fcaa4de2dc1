/**
 * Probes. GET /health: the process answers (liveness and startup: restart it if this fails).
 * GET /ready: the models that must serve — REQUIRED_MODELS, else the default model — are loaded and
 * passed their self-test, and the server is not shutting down (readiness: send it traffic only when
 * this is 200). The body lists every model's state, so one broken model is visible without taking
 * the others out of service. GET /models/:name/ready: one model (200 or 503).
 */
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../deps';
import { notFound } from '../errors';
import type { ModelRegistry } from '../model/types';

/** `failed`: the bundle did not load; `not_ready`: loaded, but its self-test failed or it stopped. */
export type ModelState = 'ready' | 'not_ready' | 'failed';

export interface ModelReadiness {
  name: string;
  state: ModelState;
  ready: boolean;
  default: boolean;
  /** Readiness of the whole server waits for this model. */
  required: boolean;
  /** Content hash of the bundle serving it (loaded models). */
  version?: string;
  version_label?: string;
  reason?: string;
}

/** One cluster worker's served versions (src/cluster.ts collects them after every reload). */
export interface WorkerVersions {
  worker: number;
  /** Reloads this worker has swapped in. */
  generation: number;
  /** Model name → content hash. */
  versions: Record<string, string>;
}

/** Model name → content hash of the version this process serves. */
export function servedVersions(registry: ModelRegistry): Record<string, string> {
  return Object.fromEntries(registry.list().map((m) => [m.name, m.version ?? '']));
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  /** The models /ready waits for. */
  required: string[];
  models: ModelReadiness[];
  /** Why the server is not ready (empty when it is). */
  reasons: string[];
  /** Bundle folders that are not served (failed to load, or a duplicate name); the log says why. */
  skipped?: string[];
  /** The last reload (SIGHUP, admin call, WATCH_ARTIFACTS); absent before the first. */
  reload?: { generation: number; at: string; ok: boolean; rejected: { folder: string; reason: string }[] };
  /** Cluster mode: every worker's versions, and whether they all serve the same ones. */
  workers?: WorkerVersions[];
  workers_agree?: boolean;
}

type ReadinessDeps = Pick<AppDeps, 'registry' | 'lifecycle' | 'workers'> & {
  config: Pick<AppDeps['config'], 'requiredModels'>;
};

/** REQUIRED_MODELS, or the default model when it is empty. */
export function requiredModels(deps: ReadinessDeps): string[] {
  const named = deps.config.requiredModels;
  return named.length > 0 ? [...named] : [deps.registry.defaultModel];
}

/** One registered model's state, or undefined when no model has that name. */
export function modelReadiness(
  registry: ModelRegistry,
  name: string,
  required: readonly string[] = [registry.defaultModel],
): ModelReadiness | undefined {
  const flags = { default: name === registry.defaultModel, required: required.includes(name) };
  const model = registry.get(name);
  if (model !== undefined) {
    const status = model.status();
    const version = {
      ...(model.version ? { version: model.version } : {}),
      ...(model.versionLabel !== undefined ? { version_label: model.versionLabel } : {}),
    };
    return status.ready
      ? { name, state: 'ready', ready: true, ...flags, ...version }
      : {
          name,
          state: 'not_ready',
          ready: false,
          ...flags,
          ...version,
          reason: status.reason ?? 'self-test has not passed',
        };
  }
  const failed = registry.failed?.find((f) => f.name === name);
  if (failed === undefined) return undefined;
  return { name, state: 'failed', ready: false, ...flags, reason: `could not be loaded: ${failed.reason}` };
}

/** Every registered model, loaded ones and failed ones, by name. */
export function registeredNames(registry: ModelRegistry): string[] {
  return [...registry.list().map((m) => m.name), ...(registry.failed ?? []).map((f) => f.name)].sort();
}

export function readiness(deps: ReadinessDeps): ReadinessReport {
  const required = requiredModels(deps);
  const models = registeredNames(deps.registry).map(
    (name) => modelReadiness(deps.registry, name, required) as ModelReadiness,
  );
  const reasons = required.flatMap((name) => {
    const model = models.find((m) => m.name === name);
    if (model === undefined) return [`required model "${name}" is not registered`];
    return model.ready ? [] : [`model "${name}" is not ready: ${model.reason}`];
  });
  if (deps.lifecycle?.draining === true) reasons.push('the server is shutting down');
  const { skipped = [], lastReload } = deps.registry as {
    skipped?: readonly { folder: string }[];
    lastReload?: ReadinessReport['reload'];
  };
  const workers = deps.workers?.();
  const agree =
    workers === undefined
      ? undefined
      : workers.every((w) => JSON.stringify(w.versions) === JSON.stringify(workers[0].versions));
  return {
    status: reasons.length === 0 ? 'ready' : 'not_ready',
    required,
    models,
    reasons,
    ...(skipped.length > 0 ? { skipped: skipped.map((s) => s.folder) } : {}),
    ...(lastReload !== undefined
      ? {
          reload: {
            generation: lastReload.generation,
            at: lastReload.at,
            ok: lastReload.ok,
            rejected: lastReload.rejected,
          },
        }
      : {}),
    ...(workers !== undefined ? { workers, workers_agree: agree } : {}),
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
  router.get('/models/:name/ready', (req: Request, res: Response) => {
    const name = req.params.name as string;
    const model = modelReadiness(deps.registry, name, requiredModels(deps));
    if (model === undefined) {
      throw notFound(`unknown model "${name.slice(0, 80)}"; see GET /ready for the models`);
    }
    res.status(model.ready ? 200 : 503).json(model);
  });
  return router;
}
