/**
 * Predictions → PredictionRecords for the prediction log. predictRows (src/predict/predict.ts), the
 * step every entry point shares, calls capturePredictions once per request when the log is on; when
 * it is off nothing here runs.
 *
 * Every row gets a random UUID, set on its RowPrediction (formatPrediction answers it as
 * `prediction_id`) and used as the record's id, the key feedback refers to.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Config } from '../config';
import { routeLabel } from '../http/context';
import type { InputRow, LoadedModel, RowPrediction } from '../model/types';
import { predictedClassNames } from '../predict/predict';
import { redactInputs } from './redact';
import type { PredictionLog, PredictionRecord } from './types';

/** Distinct vocabulary terms kept per row: enough for drift over the most common terms. */
export const TERMS_PER_ROW = 32;

/** Where a request came from: what predictRows' callers pass in their options. */
export interface CaptureSource {
  /** The request id (X-Request-Id). */
  readonly requestId?: string;
  /** Route label: `/predict`, `/invocations`, `/v2/models/:name/infer`, `form`... */
  readonly route: string;
}

/** The request id and matched route of an Express request, for predictRows' `capture` option. */
export function requestSource(req: Request, res: Response, route?: string): CaptureSource {
  // Read only when the log is on: with it off, the request path pays for this object alone.
  return {
    requestId: req.id,
    get route() {
      return route ?? routeLabel(req, res);
    },
  };
}

/** More ids than this and X-Prediction-Ids is left out: proxies refuse large response headers. */
export const MAX_HEADER_IDS = 100;

/**
 * `X-Prediction-Ids` (comma-separated, row order) for answers whose format has no place for a
 * `prediction_id` field (Open Inference Protocol v2 tensors); nothing when the log is off.
 */
export function setPredictionIdsHeader(res: ServerResponse, predictions: readonly RowPrediction[]): void {
  if (predictions.length === 0 || predictions.length > MAX_HEADER_IDS) return;
  if (predictions[0].predictionId === undefined) return;
  res.setHeader('X-Prediction-Ids', predictions.map((p) => p.predictionId ?? '').join(','));
}

/** What is kept of a row's inputs: null (not logged), or the fields to store. */
export type InputsPolicy = (row: InputRow) => Readonly<Record<string, string>> | null;

export const NO_INPUTS: InputsPolicy = () => null;

export interface Capture {
  readonly source?: CaptureSource;
  /** Time the model step took, ms (shared by the rows of one request). */
  readonly latencyMs: number;
  readonly inputs: InputsPolicy;
  /** ms since the epoch; default now. */
  readonly time?: number;
}

/** Probability (or score) per class name, in the card's class order. */
export function probabilitiesByName(model: LoadedModel, prediction: RowPrediction): Record<string, number> {
  // fromEntries defines own properties: a class called "__proto__" stays a plain key.
  return Object.fromEntries(model.card.classes.map((c, i) => [c.name, prediction.values[i]]));
}

/** One record per row; sets each prediction's predictionId. Pure but for the ids and the clock. */
export function buildRecords(
  model: LoadedModel,
  rows: readonly InputRow[],
  predictions: readonly RowPrediction[],
  capture: Capture,
): PredictionRecord[] {
  const time = capture.time ?? Date.now();
  const route = capture.source?.route ?? 'unknown';
  const requestId = capture.source?.requestId ?? null;
  return predictions.map((prediction, i) => {
    const id = randomUUID();
    prediction.predictionId = id;
    return {
      id,
      time,
      model: model.name,
      version: model.version ?? null,
      requestId,
      route,
      labels: predictedClassNames(model, prediction),
      probabilities: probabilitiesByName(model, prediction),
      coverageTotal: prediction.coverage.total,
      coverageKnown: prediction.coverage.known,
      latencyMs: capture.latencyMs,
      inputs: capture.inputs(rows[i]),
      terms: prediction.terms ?? [],
    };
  });
}

/** Hands every row's record to the log; never throws (the log counts its own failures). */
export function capturePredictions(
  log: PredictionLog,
  model: LoadedModel,
  rows: readonly InputRow[],
  predictions: readonly RowPrediction[],
  capture: Capture,
): void {
  for (const record of buildRecords(model, rows, predictions, capture)) log.record(record);
}

/** Copies only the fields' strings: the row object itself belongs to the request. */
const copyRow: InputsPolicy = (row) => ({ ...row });
const redacted: InputsPolicy = (row) => redactInputs(row);

/** What PREDICTION_LOG_INPUTS says to keep of a row's inputs (default on, like the config's). */
export function inputsPolicy(config: Pick<Config, 'predictionLogInputs'> | undefined): InputsPolicy {
  switch (config?.predictionLogInputs ?? 'on') {
    case 'off':
      return NO_INPUTS;
    case 'redact':
      return redacted;
    default:
      return copyRow;
  }
}
