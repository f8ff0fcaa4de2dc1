/**
 * createApp(deps): the whole Express application, built without I/O so tests use it directly.
 */
import express from 'express';
import type pino from 'pino';
import type { Config } from './config';
import type { ModelRegistry } from './model/types';
import type { Metrics } from './ops/metrics';

export interface AppDeps {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: pino.Logger;
  /** Omitted: createApp builds a fresh registry for this app. */
  metrics?: Metrics;
}

export function createApp(_deps: AppDeps): express.Express {
  const app = express();
  return app;
}
