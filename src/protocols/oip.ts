/**
 * The Open Inference Protocol (KServe v2) REST shapes for text models. Pure.
 *
 * Every model input field is a BYTES tensor of shape [N] (or [N, 1]) holding one UTF-8 string per
 * row. Outputs: `label` (BYTES [N], sklearn's predicted label as text; for multi-label models the
 * positive labels joined by ",") and `probabilities` (FP32 [N, C], classes in the model card's
 * order; named `scores` for models that output decision scores).
 */
import { badRequest } from '../errors';
import type { ModelCard } from '../model/schema';
import type { InputRow, LoadedModel, RowPrediction } from '../model/types';
import { describeJsonType as describeJson, isPlainObject } from '../predict/input';
import type { InputLimits } from './rows';
import { inputNames, validateRawRows } from './rows';

/** Bundle format v1, named `<project>_<format>` as the protocol's platform strings are. */
export const OIP_PLATFORM = 'sift_bundlev1';

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface ResponseTensor {
  name: string;
  datatype: 'BYTES' | 'FP32';
  shape: number[];
  data: (string | number)[];
}

export interface InferResponse {
  model_name: string;
  id: string;
  outputs: ResponseTensor[];
}

export interface InferRequest {
  /** The client's request id, echoed in the response. */
  id?: string;
  rows: InputRow[];
  /** Names of the outputs asked for; undefined: all of them. */
  outputs?: string[];
}

/** `probabilities` for probability models, `scores` for decision-function models. */
export function valuesOutputName(model: Pick<LoadedModel, 'output'>): 'probabilities' | 'scores' {
  return model.output === 'scores' ? 'scores' : 'probabilities';
}

export function outputNames(model: Pick<LoadedModel, 'output'>): string[] {
  return ['label', valuesOutputName(model)];
}

/**
 * `versions`: the loaded versions' content hashes (the served one first); [] for a model without
 * one (test doubles).
 */
export function modelMetadata(
  model: Pick<LoadedModel, 'name' | 'card' | 'output' | 'version'>,
  others: readonly string[] = [],
): ModelMetadata {
  return {
    name: model.name,
    versions: model.version ? [model.version, ...others.filter((v) => v !== model.version)] : [],
    platform: OIP_PLATFORM,
    inputs: model.card.inputs.map((input) => ({ name: input.name, datatype: 'BYTES', shape: [-1] })),
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: valuesOutputName(model), datatype: 'FP32', shape: [-1, model.card.classes.length] },
    ],
  };
}

/** Validate an inference request against the model's inputs and outputs; every error is a 400. */
export function parseInferRequest(
  body: unknown,
  model: Pick<LoadedModel, 'card' | 'output'>,
  limits: InputLimits,
): InferRequest {
  if (!isPlainObject(body)) {
    throw badRequest(`the inference request is ${describeJson(body)}; expected an object with "inputs"`);
  }
  const inputs = model.card.inputs;

  let id: string | undefined;
  if (body.id !== undefined && body.id !== null) {
    if (typeof body.id !== 'string') throw badRequest(`"id" is ${describeJson(body.id)}; expected a string`);
    id = body.id;
  }
  if (body.parameters !== undefined && !isPlainObject(body.parameters)) {
    throw badRequest(`"parameters" is ${describeJson(body.parameters)}; expected an object`);
  }

  if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
    throw badRequest(
      `"inputs" must be a non-empty array of tensors, one per model input (${inputNames(inputs)})`,
    );
  }
  const columns = new Map<string, string[]>();
  let rowCount: number | undefined;
  let firstName = '';
  body.inputs.forEach((tensor: unknown, index) => {
    const { name, values } = readBytesTensor(tensor, index);
    if (!inputs.some((input) => input.name === name)) {
      throw badRequest(`inputs[${index}] is named "${name}"; this model's inputs are ${inputNames(inputs)}`);
    }
    if (columns.has(name)) throw badRequest(`inputs has two tensors named "${name}"`);
    if (rowCount === undefined) {
      rowCount = values.length;
      firstName = name;
    } else if (values.length !== rowCount) {
      throw badRequest(`input "${name}" has ${values.length} rows but input "${firstName}" has ${rowCount}`);
    }
    columns.set(name, values);
  });
  const missing = inputs.filter((input) => input.required && !columns.has(input.name));
  if (missing.length > 0) {
    throw badRequest(
      `the required input ${missing.map((input) => `"${input.name}"`).join(', ')} is missing from "inputs"`,
    );
  }
  const count = rowCount ?? 0;
  const records: Record<string, string>[] = [];
  for (let row = 0; row < count; row += 1) {
    const record = Object.create(null) as Record<string, string>;
    for (const [name, values] of columns) record[name] = values[row];
    records.push(record);
  }
  const rows = validateRawRows(records, inputs, limits, { unknownFields: 'reject' });

  let outputs: string[] | undefined;
  if (body.outputs !== undefined && body.outputs !== null) {
    if (!Array.isArray(body.outputs))
      throw badRequest(`"outputs" is ${describeJson(body.outputs)}; expected an array`);
    const known = outputNames(model);
    outputs = body.outputs.map((output: unknown, index) => {
      if (!isPlainObject(output) || typeof output.name !== 'string') {
        throw badRequest(`outputs[${index}] must be an object with a "name"`);
      }
      if (!known.includes(output.name)) {
        throw badRequest(
          `outputs[${index}] asks for "${output.name}"; this model's outputs are ${known.join(', ')}`,
        );
      }
      return output.name;
    });
  }
  return { id, rows, outputs };
}

/** One BYTES input tensor → its strings, one per row. */
function readBytesTensor(tensor: unknown, index: number): { name: string; values: string[] } {
  const where = `inputs[${index}]`;
  if (!isPlainObject(tensor))
    throw badRequest(`${where} is ${describeJson(tensor)}; expected a tensor object`);
  const { name, datatype, shape, data } = tensor;
  if (typeof name !== 'string' || name === '') throw badRequest(`${where} has no "name"`);
  const label = `input "${name}"`;
  if (datatype !== 'BYTES') {
    throw badRequest(`${label} has datatype ${JSON.stringify(datatype ?? null)}; text inputs are "BYTES"`);
  }
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    shape.some((dim) => typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0)
  ) {
    throw badRequest(
      `${label} has shape ${JSON.stringify(shape ?? null)}; expected [N] or [N, 1] with whole numbers`,
    );
  }
  const dims = shape as number[];
  if (dims.length > 2 || (dims.length === 2 && dims[1] !== 1)) {
    throw badRequest(
      `${label} has shape ${JSON.stringify(dims)}; expected [N] or [N, 1] (one string per row)`,
    );
  }
  if (!Array.isArray(data))
    throw badRequest(`${label} has "data" ${describeJson(data)}; expected an array of strings`);
  const values = data.flat(2) as unknown[];
  if (values.length !== dims[0]) {
    throw badRequest(
      `${label} has ${values.length} elements in "data" but shape ${JSON.stringify(dims)} says ${dims[0]}`,
    );
  }
  values.forEach((value, element) => {
    if (typeof value !== 'string') {
      throw badRequest(
        `${label} element ${element} is ${describeJson(value)}; BYTES elements must be strings`,
      );
    }
  });
  return { name, values: values as string[] };
}

/** sklearn's label as text; multi-label models: the positive labels joined by ",". */
export function labelText(card: Pick<ModelCard, 'task' | 'classes'>, prediction: RowPrediction): string {
  if (card.task === 'multilabel')
    return prediction.positives.map((i) => String(card.classes[i].value)).join(',');
  return prediction.classIndex < 0 ? '' : String(card.classes[prediction.classIndex].value);
}

export function buildInferResponse(
  model: Pick<LoadedModel, 'name' | 'card' | 'output' | 'version'>,
  id: string,
  predictions: readonly RowPrediction[],
  requested?: readonly string[],
): InferResponse {
  const count = predictions.length;
  const classes = model.card.classes.length;
  const all: ResponseTensor[] = [
    {
      name: 'label',
      datatype: 'BYTES',
      shape: [count],
      data: predictions.map((p) => labelText(model.card, p)),
    },
    {
      name: valuesOutputName(model),
      datatype: 'FP32',
      shape: [count, classes],
      data: predictions.flatMap((p) => p.values),
    },
  ];
  const outputs = requested === undefined ? all : all.filter((tensor) => requested.includes(tensor.name));
  return { model_name: model.name, ...(model.version ? { model_version: model.version } : {}), id, outputs };
}
