/**
 * The prediction step every entry point shares (JSON API, HTML form, CSV upload, serving
 * protocols): resolve the model, check it is ready, run it, count the outcome.
 *
 * Large batches run in chunks of PREDICT_CHUNK_ROWS with a turn of the event loop between them:
 * a request's vectorized rows (the largest per-row intermediate, ~5 KB a tweet) never exist for
 * more than one chunk at once, and probes and small requests are answered between chunks instead of
 * waiting for a 10,000-row CSV to finish.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AppDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import type { InputRow, LoadedModel, ModelRegistry, PredictOptions, RowPrediction } from '../model/types';
import { type CaptureSource, TERMS_PER_ROW, capturePredictions, inputsPolicy } from '../monitor/capture';

export interface PredictionResult {
  readonly model: LoadedModel;
  readonly rows: readonly InputRow[];
  /** One per row, in row order. */
  readonly predictions: readonly RowPrediction[];
}

/** Rows per chunk of a large batch: ~30 ms of one core each, with a turn of the event loop between. */
export const PREDICT_CHUNK_ROWS = 256;

/**
 * The model called `name`, or the default one; 503 with the reason when that bundle failed to load
 * (never another model in its place), 404 naming the loaded models when no bundle has that name.
 */
export function resolveModel(registry: ModelRegistry, name: string | undefined): LoadedModel {
  const wanted = name ?? registry.defaultModel;
  const model = registry.get(wanted);
  if (model === undefined) {
    const failure = loadFailure(registry, wanted);
    if (failure !== undefined) throw failure;
    const loaded = registry
      .list()
      .map((m) => m.name)
      .join(', ');
    // The name is the client's own input; quoting it in JSON is safe and HTML views escape it.
    throw notFound(`unknown model "${truncateName(wanted)}"; loaded models: ${loaded || 'none'}`);
  }
  return model;
}

/** The 503 for a registered model whose bundle failed to load; undefined for any other name. */
export function loadFailure(registry: ModelRegistry, name: string): HttpError | undefined {
  const failed = registry.failed?.find((f) => f.name === name);
  return failed === undefined ? undefined : unavailable(name, `it could not be loaded: ${failed.reason}`);
}

/** Display name of a class, or of each positive label of a multi-label prediction. */
export function predictedClassNames(model: LoadedModel, prediction: RowPrediction): string[] {
  const { classes } = model.card;
  if (model.card.task === 'multilabel') return prediction.positives.map((i) => classes[i].name);
  return prediction.classIndex >= 0 ? [classes[prediction.classIndex].name] : [];
}

export interface PredictRowsOptions extends PredictOptions {
  version?: string;
  /** Request id and route label for the prediction log (PREDICTION_LOG); ignored when it is off. */
  capture?: CaptureSource;
}

/**
 * Predict validated rows with the model `modelName` (default model when undefined).
 * Throws 404 for an unknown model, 503 when it is not ready or fails at run time.
 * With the prediction log on, every row is handed to it (never waiting for the store) and gets a
 * `predictionId`.
 */
export async function predictRows(
  deps: Pick<AppDeps, 'registry' | 'metrics'> & Partial<Pick<AppDeps, 'config' | 'predictionLog'>>,
  modelName: string | undefined,
  rows: readonly InputRow[],
  options: PredictRowsOptions = {},
): Promise<PredictionResult> {
  const model =
    options.version === undefined
      ? resolveModel(deps.registry, modelName)
      : resolveVersion(deps.registry, modelName ?? deps.registry.defaultModel, options.version);
  // Held until the answer is computed: a reload that replaces this model closes it only then.
  const release = model.retain?.();
  try {
    const log = deps.predictionLog;
    if (log === undefined) return await predictWith(deps, model, rows, options);
    const started = performance.now();
    const result = await predictWith(deps, model, rows, { ...options, terms: TERMS_PER_ROW });
    capturePredictions(log, model, rows, result.predictions, {
      source: options.capture,
      latencyMs: performance.now() - started,
      inputs: inputsPolicy(deps.config),
    });
    return result;
  } finally {
    release?.();
  }
}

/**
 * One stored version of a model (content hash or version label); 404 naming its versions when there
 * is no such version.
 */
export function resolveVersion(registry: ModelRegistry, name: string, version: string): LoadedModel {
  const model = registry.getVersion?.(name, version);
  if (model !== undefined) return model;
  const served = resolveModel(registry, name);
  throw notFound(
    `model "${served.name}" has no version "${truncateName(version)}" (served version: ${served.version ?? 'unknown'})`,
  );
}

async function predictWith(
  deps: Pick<AppDeps, 'registry' | 'metrics'>,
  model: LoadedModel,
  rows: readonly InputRow[],
  options: PredictOptions,
): Promise<PredictionResult> {
  const status = model.status();
  if (!status.ready) throw unavailable(model.name, status.reason ?? 'it has not passed its self-test');
  let predictions: RowPrediction[];
  try {
    if (rows.length <= PREDICT_CHUNK_ROWS) predictions = await model.predict(rows, options);
    else {
      predictions = [];
      for (let start = 0; start < rows.length; start += PREDICT_CHUNK_ROWS) {
        if (start > 0) await nextTurn();
        const chunk = await model.predict(rows.slice(start, start + PREDICT_CHUNK_ROWS), options);
        for (const prediction of chunk) predictions.push(prediction);
      }
    }
  } catch (error) {
    throw asModelFailure(model, error);
  }
  if (predictions.length !== rows.length) {
    throw new HttpError(
      500,
      'internal_error',
      `model "${model.name}" answered ${predictions.length} rows for ${rows.length}`,
    );
  }
  if (deps.metrics !== undefined) {
    for (const prediction of predictions) {
      const names = predictedClassNames(model, prediction);
      for (const name of names.length > 0 ? names : ['(none)']) {
        deps.metrics.predictions.inc({ model: model.name, class: name });
      }
    }
  }
  return { model, rows, predictions };
}

/**
 * A runtime failure is that model's 503 (others keep serving), always with the code
 * `model_unavailable` whichever layer noticed it, so clients see one code per cause; anything else
 * stays as thrown (4xx, or a 500).
 */
function asModelFailure(model: LoadedModel, error: unknown): unknown {
  const status = (error as { status?: unknown } | null)?.status;
  if (status !== 503) return error;
  if (error instanceof HttpError && error.code === 'model_unavailable') return error;
  const message =
    error instanceof HttpError && error.expose
      ? error.message
      : `model "${model.name}" is unavailable; try again later`;
  return new HttpError(503, 'model_unavailable', message, { expose: true, cause: error });
}

/** 503 for one model, with the reason GET /ready shows too (the other models keep serving). */
function unavailable(name: string, reason: string): HttpError {
  return new HttpError(
    503,
    'model_unavailable',
    `model "${name}" is not available: ${reason}; see GET /ready`,
    {
      expose: true,
    },
  );
}

function truncateName(name: string): string {
  return name.length > 80 ? `${name.slice(0, 80)}…` : name;
}
