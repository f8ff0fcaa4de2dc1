/**
 * What the application is built from (createApp's argument), in a module of its own: the routers
 * need the type, and importing it from src/app.ts (which imports the routers) made a cycle.
 */
import type pino from 'pino';
import type { Config } from './config';
import type { Admission } from './http/admission';
import type { ModelControl } from './ops/admin';
import type { WorkerVersions } from './ops/health';
import type { ModelRegistry } from './model/types';
import type { Metrics } from './ops/metrics';
import type { PredictionLog } from './monitor/types';

/** What the server process tells the app about itself. */
export interface Lifecycle {
  /** Set on SIGTERM: /ready answers 503 and responses close their connection. */
  readonly draining: boolean;
}

export interface AppDeps {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: pino.Logger;
  /** Omitted: createApp builds a fresh registry for this app (process metrics included). */
  metrics?: Metrics;
  /** Omitted: never draining (tests). */
  lifecycle?: Lifecycle;
  /** Omitted: every request is admitted (tests); the server passes one sized to the container. */
  admission?: Admission;
  /** Reload and default-version control for the admin routes; omitted: the registry's own. */
  models?: ModelControl;
  /** Cluster mode: each worker's model versions, for /ready (omitted: this process only). */
  workers?: () => WorkerVersions[] | undefined;
  /** PREDICTION_LOG: where predictions and feedback are kept (omitted: nothing is logged). */
  predictionLog?: PredictionLog;
}
