/**
 * Test apps over the real fixture bundles (test/fixtures/bundles: tweets-mini, sentiment-mini,
 * toxic-mini) loaded with the real loadRegistry and onnxruntime. Load the registry once per test
 * file (beforeAll) and build as many apps over it as the tests need: createApp does no I/O.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import type express from 'express';
import type pino from 'pino';
import { createApp } from '../../src/app';
import type { AppDeps, Lifecycle } from '../../src/deps';
import { type Config, defaultConfig } from '../../src/config';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { createLogger } from '../../src/ops/logging';
import { type Metrics, createMetrics } from '../../src/ops/metrics';

export const BUNDLES_DIR = path.resolve(__dirname, '..', 'fixtures', 'bundles');
export const FIXTURE_MODELS = ['sentiment-mini', 'tweets-mini', 'toxic-mini'] as const;
export const DEFAULT_TEST_MODEL = 'tweets-mini';

export function loadFixtureRegistry(defaultModel: string = DEFAULT_TEST_MODEL): Promise<SiftRegistry> {
  return loadRegistry(BUNDLES_DIR, { defaultModel });
}

/** A logger whose JSON lines are kept in memory for assertions. */
export interface CapturedLogger {
  logger: pino.Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
}

export function captureLogger(level: Config['logLevel'] = 'info'): CapturedLogger {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ logLevel: level }, sink);
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, text };
}

export interface TestApp {
  app: express.Express;
  config: Readonly<Config>;
  metrics: Metrics;
  log: CapturedLogger;
}

export interface TestAppOptions {
  lifecycle?: Lifecycle;
  registry?: AppDeps['registry'];
  /** PREDICTION_LOG on: the log the app hands predictions to. */
  predictionLog?: AppDeps['predictionLog'];
}

/** An app over `registry` with default config plus `overrides`; logs captured, no process metrics. */
export function buildTestApp(
  registry: AppDeps['registry'],
  overrides: Partial<Config> = {},
  options: Omit<TestAppOptions, 'registry'> = {},
): TestApp {
  const config = defaultConfig({ logLevel: 'debug', ...overrides });
  const log = captureLogger(config.logLevel);
  const metrics = createMetrics({ processMetrics: false });
  const app = createApp({
    config,
    registry,
    logger: log.logger,
    metrics,
    lifecycle: options.lifecycle,
    ...(options.predictionLog === undefined ? {} : { predictionLog: options.predictionLog }),
  });
  return { app, config, metrics, log };
}

/**
 * For a test file: the fixture registry loaded before its tests (closed after them) and an app
 * over it with `overrides`; call the returned function inside a test.
 */
export function useFixtureApp(overrides: Partial<Config> = {}): () => TestApp {
  let registry: SiftRegistry | undefined;
  let app: TestApp | undefined;
  beforeAll(async () => {
    registry = await loadFixtureRegistry();
    app = buildTestApp(registry, overrides);
  });
  afterAll(async () => {
    await registry?.close();
  });
  return () => {
    if (app === undefined) throw new Error('useFixtureApp: the app is built in beforeAll');
    return app;
  };
}
