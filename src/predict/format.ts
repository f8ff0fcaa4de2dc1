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

/** Each class's key in `probabilities` / `scores`, worked out once per model card. */
const CLASS_KEYS = new WeakMap<LoadedModel['card']['classes'], readonly string[]>();

function classKeys(classes: LoadedModel['card']['classes']): readonly string[] {
  let keys = CLASS_KEYS.get(classes);
  if (keys === undefined) {
    keys = classes.map((c) => String(c.value));
    CLASS_KEYS.set(classes, keys);
  }
  return keys;
}

function classValues(keys: readonly string[], values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    // An own property, so even a class called "__proto__" stays a plain key (as fromEntries would).
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: values[i],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = values[i];
    }
  }
  return out;
}

/**
 * The prediction's fields, written onto `json` in the answer's order. One object per answer, no
 * spreads or intermediate objects: this runs once per row of every prediction.
 */
function writePrediction<T extends object>(
  json: T,
  model: LoadedModel,
  prediction: RowPrediction,
): T & PredictionJson {
  const out = json as T & PredictionJson;
  const { classes, task } = model.card;
  if (task === 'multilabel') {
    const { positives } = prediction;
    const labels: LabelValue[] = new Array<LabelValue>(positives.length);
    const names: string[] = new Array<string>(positives.length);
    for (let i = 0; i < positives.length; i++) {
      labels[i] = classes[positives[i]].value;
      names[i] = classes[positives[i]].name;
    }
    out.labels = labels;
    out.label_names = names;
  } else {
    const chosen = prediction.classIndex >= 0 ? classes[prediction.classIndex] : undefined;
    out.label = chosen === undefined ? null : chosen.value;
    out.label_name = chosen === undefined ? null : chosen.name;
  }
  const values = classValues(classKeys(classes), prediction.values);
  if (model.output === 'scores') out.scores = values;
  else out.probabilities = values;
  const { coverage } = prediction;
  out.coverage = { total: coverage.total, known: coverage.known, ratio: coverage.ratio };
  out.low_signal = coverage.known === 0;
  if (prediction.predictionId !== undefined) out.prediction_id = prediction.predictionId;
  if (prediction.explanation !== undefined) {
    const e = prediction.explanation;
    out.explanation = {
      method: e.method,
      class: classes[e.classIndex].value,
      class_name: classes[e.classIndex].name,
      intercept: e.intercept,
      toward: e.toward.map(term),
      against: e.against.map(term),
    };
  }
  return out;
}

export function formatPrediction(model: LoadedModel, prediction: RowPrediction): PredictionJson {
  return writePrediction({}, model, prediction);
}

export function formatSingle(result: PredictionResult): SingleJson {
  const { model } = result;
  const head: { model: string; model_version?: string } = { model: model.name };
  if (model.version) head.model_version = model.version;
  return writePrediction(head, model, result.predictions[0]);
}

export function formatBatch(result: PredictionResult): BatchJson {
  const { model } = result;
  const json: BatchJson = { model: model.name } as BatchJson;
  if (model.version) json.model_version = model.version;
  json.predictions = result.predictions.map((p) => formatPrediction(model, p));
  return json;
}

export function formatSeed(result: PredictionResult): SeedJson {
  return { output: result.predictions.map((p) => formatPrediction(result.model, p)) };
}
