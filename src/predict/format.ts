/**
 * Predictions → the JSON the API answers. Pure. Shapes (decided for the whole API):
 *   single-label: {"label", "label_name", "probabilities" | "scores": {String(class value): number}}
 *   multi-label:  {"labels", "label_names", "probabilities" | "scores": {...}}
 *   always:       "coverage": {"total", "known", "ratio"}, "low_signal"; "explanation" when asked;
 *                 "prediction_id" when the prediction log is on (the id POST /predictions/:id/feedback takes).
 */
import type { LabelValue, LoadedModel, RowPrediction, TermContribution } from '../model/types';
import type { PredictionResult } from './predict';

export interface TermJson {
  term: string;
  field: string;
  contribution: number;
}

export interface ExplanationJson {
  /** `exact` (linear: value × coefficient) or `occlusion` (others: leave-one-term-out). */
  method: 'exact' | 'occlusion';
  /** The class the contributions push toward or away from. */
  class: LabelValue;
  class_name: string;
  intercept: number;
  toward: TermJson[];
  against: TermJson[];
}

export interface PredictionJson {
  label?: LabelValue | null;
  label_name?: string | null;
  labels?: LabelValue[];
  label_names?: string[];
  probabilities?: Record<string, number>;
  scores?: Record<string, number>;
  coverage: { total: number; known: number; ratio: number };
  /** The model knows none of the row's tokens: the answer says little about this text. */
  low_signal: boolean;
  explanation?: ExplanationJson;
  /** PREDICTION_LOG on: this row's id in the log, for POST /predictions/{id}/feedback. */
  prediction_id?: string;
}

export interface SingleJson extends PredictionJson {
  model: string;
  /** The content hash of the bundle that answered (absent for models without one). */
  model_version?: string;
}

export interface BatchJson {
  model: string;
  model_version?: string;
  predictions: PredictionJson[];
}

/** `{model_version}` when the model has a version: what answered, in every JSON answer. */
export function versionField(model: Pick<LoadedModel, 'version'>): { model_version?: string } {
  return model.version ? { model_version: model.version } : {};
}

/** The seeds' SageMaker answer: {"output": [{"label", ...}]}. */
export interface SeedJson {
  output: PredictionJson[];
}

const term = (t: TermContribution): TermJson => ({
  term: t.term,
  field: t.field,
  contribution: t.contribution,
});

export function formatPrediction(model: LoadedModel, prediction: RowPrediction): PredictionJson {
  const { classes, task } = model.card;
  // fromEntries defines own properties, so even a class called "__proto__" stays a plain key.
  const values = Object.fromEntries(classes.map((c, i) => [String(c.value), prediction.values[i]]));
  const labels: Pick<PredictionJson, 'label' | 'label_name' | 'labels' | 'label_names'> =
    task === 'multilabel'
      ? {
          labels: prediction.positives.map((i) => classes[i].value),
          label_names: prediction.positives.map((i) => classes[i].name),
        }
      : {
          label: prediction.classIndex >= 0 ? classes[prediction.classIndex].value : null,
          label_name: prediction.classIndex >= 0 ? classes[prediction.classIndex].name : null,
        };
  const json: PredictionJson = {
    ...labels,
    ...(model.output === 'scores' ? { scores: values } : { probabilities: values }),
    coverage: {
      total: prediction.coverage.total,
      known: prediction.coverage.known,
      ratio: prediction.coverage.ratio,
    },
    low_signal: prediction.coverage.known === 0,
  };
  if (prediction.predictionId !== undefined) json.prediction_id = prediction.predictionId;
  if (prediction.explanation !== undefined) {
    const e = prediction.explanation;
    json.explanation = {
      method: e.method,
      class: classes[e.classIndex].value,
      class_name: classes[e.classIndex].name,
      intercept: e.intercept,
      toward: e.toward.map(term),
      against: e.against.map(term),
    };
  }
  return json;
}

export function formatSingle(result: PredictionResult): SingleJson {
  return {
    model: result.model.name,
    ...versionField(result.model),
    ...formatPrediction(result.model, result.predictions[0]),
  };
}

export function formatBatch(result: PredictionResult): BatchJson {
  return {
    model: result.model.name,
    ...versionField(result.model),
    predictions: result.predictions.map((p) => formatPrediction(result.model, p)),
  };
}

export function formatSeed(result: PredictionResult): SeedJson {
  return { output: result.predictions.map((p) => formatPrediction(result.model, p)) };
}
