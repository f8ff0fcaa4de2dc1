/**
 * A served sequence model (docs/bundle-format.md, "Sequence models"): sequence.json's block turns
 * the text into padded token ids exactly as Keras / the Python vocabulary did, the user's network
 * (model.onnx, int64 [N, maxlen] → probabilities [N, C]) runs through the one ONNX session module.
 * Single-label: the first maximum; multi-label: every label above its threshold (0.5, or the card's
 * label_thresholds). Explanations leave one token out at a time (occlusion), batched.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { serviceUnavailable } from '../errors';
import { createSequenceEncoder, type SequenceEncoder, type SequenceRow } from '../features/sequence';
import { compileUnicode } from '../text/unicode';
import { ServedModelLifetime } from './lifetime';
import {
  BUNDLE_FILES,
  BundleError,
  SEQUENCE_BUNDLE_FILE,
  compareVersions,
  onnxFile,
  onnxProblem,
  readJsonFile,
} from './bundle';
import { decideLabels, multilabelPositives, numberArray } from './labels';
import { argmaxFirst } from './linear';
import type { ModelOptions } from './classifier';
import { classifierSchema, type ModelCard, type OnnxClassifierSpec } from './schema';
import { cardSchema, unicodeTablesSchema } from './schema';
import { runSelfTest, type InferencePath, type PathPrediction, type SelfTestReport } from './selftest';
import { sequenceOcclusion } from './sequence-occlusion';
import { sequenceSpecSchema, type SequenceSpec } from './sequence-schema';
import { openClassifierSession, type ClassifierSession } from './session';
import type { InputRow, LoadedModel, ModelStatus, PredictOptions, RowPrediction } from './types';

type RowValues = PathPrediction & { values: Float32Array };

export const SEQUENCE_FILE = SEQUENCE_BUNDLE_FILE;
/** Rows per ONNX call: bounds one call's int64 input and the LSTM's activations. */
export const SEQUENCE_ROWS_PER_RUN = 512;
const DEFAULT_TOP_TERMS = 10;

/** Whether a bundle folder holds a sequence model (sequence.json instead of vectorizer.json). */
export async function isSequenceBundle(dir: string): Promise<boolean> {
  try {
    await access(join(dir, SEQUENCE_FILE));
    return true;
  } catch {
    return false;
  }
}

interface SequenceBundle {
  dir: string;
  card: ModelCard;
  sequence: SequenceSpec;
  classifier: OnnxClassifierSpec;
  encoder: SequenceEncoder;
  onnxPath: string;
}

/** Problems between a sequence bundle's files that each validated on their own. */
export function crossCheckSequence(
  card: ModelCard,
  sequence: SequenceSpec,
  unicodeVersion: string,
  classifier: OnnxClassifierSpec,
  runtimeUnicode: string | undefined = process.versions.unicode,
): string[] {
  const problems: string[] = [];
  const { block } = sequence;
  if (classifier.width !== block.maxlen) {
    problems.push(
      `${BUNDLE_FILES.classifier}: width: is ${classifier.width}, ${SEQUENCE_FILE} maxlen is ${block.maxlen}`,
    );
  }
  if (classifier.classes !== card.classes.length) {
    problems.push(
      `${BUNDLE_FILES.classifier}: classes: is ${classifier.classes}, card.json classes has ${card.classes.length}`,
    );
  }
  if (classifier.multilabel !== (card.task === 'multilabel')) {
    problems.push(
      `${BUNDLE_FILES.classifier}: multilabel: is ${classifier.multilabel}, card.json task is ${card.task}`,
    );
  }
  if (unicodeVersion !== sequence.unicode_version) {
    problems.push(
      `unicode.json: unicode_version: is ${unicodeVersion}, ${SEQUENCE_FILE} unicode_version is ${sequence.unicode_version}`,
    );
  }
  if (runtimeUnicode !== undefined && compareVersions(sequence.unicode_version, runtimeUnicode) > 0) {
    problems.push(
      `${SEQUENCE_FILE}: unicode_version: ${sequence.unicode_version} is newer than this Node's Unicode ${runtimeUnicode}; use a newer Node`,
    );
  }
  if (!card.inputs.some((input) => input.name === block.field)) {
    problems.push(`${SEQUENCE_FILE}: block.field: '${block.field}' is not one of card.json inputs`);
  }
  if (card.task === 'binary' && card.positive_class === undefined && card.threshold !== undefined) {
    problems.push('card.json: positive_class: a threshold needs a positive_class');
  }
  return problems;
}

async function readSequenceBundle(dir: string): Promise<SequenceBundle> {
  const problems: string[] = [];
  const [card, sequence, unicode, classifier] = await Promise.all([
    readJsonFile(dir, BUNDLE_FILES.card, cardSchema, problems),
    readJsonFile(dir, SEQUENCE_FILE, sequenceSpecSchema, problems),
    readJsonFile(dir, BUNDLE_FILES.unicode, unicodeTablesSchema, problems),
    readJsonFile(dir, BUNDLE_FILES.classifier, classifierSchema, problems),
  ]);
  const onnxPath = await onnxFile(dir, problems);
  if (classifier !== undefined && classifier.kind !== 'onnx') {
    problems.push(
      `${BUNDLE_FILES.classifier}: kind: a sequence model's classifier is its network: kind must be onnx`,
    );
  }
  if (card && sequence && unicode && classifier && classifier.kind === 'onnx')
    problems.push(...crossCheckSequence(card, sequence, unicode.unicode_version, classifier));
  let encoder: SequenceEncoder | undefined;
  if (problems.length === 0 && sequence && unicode) {
    try {
      encoder = createSequenceEncoder(sequence.block, compileUnicode(unicode));
    } catch (error) {
      problems.push(`${SEQUENCE_FILE}: block: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0 || !card || !sequence || !classifier || classifier.kind !== 'onnx' || !encoder)
    throw new BundleError(dir, problems);
  return { dir, card, sequence, classifier, encoder, onnxPath };
}

export class SequenceModel extends ServedModelLifetime implements LoadedModel {
  readonly name: string;
  readonly card: ModelCard;
  readonly output = 'probabilities' as const;
  readonly kind = 'sequence' as const;
  /** Like a kind-onnx feature model: only the network computes it, no in-process layer. */
  readonly paths: readonly InferencePath[] = ['onnx'];
  readonly layer = null;
  readonly dir: string;
  readonly encoder: SequenceEncoder;
  readonly classes: number;
  readonly multilabel: boolean;
  private session: ClassifierSession | null;
  private state: ModelStatus = { ready: false, reason: 'not self-tested yet' };
  private onnxTurn: Promise<unknown> = Promise.resolve();
  private readonly threshold: { positive: number; value: number } | null;
  selfTest: SelfTestReport | null = null;

  private constructor(bundle: SequenceBundle, session: ClassifierSession) {
    super();
    this.dir = bundle.dir;
    this.card = bundle.card;
    this.name = bundle.card.name;
    this.encoder = bundle.encoder;
    this.classes = bundle.card.classes.length;
    this.multilabel = bundle.classifier.multilabel;
    this.session = session;
    const { positive_class: positive, threshold } = bundle.card;
    this.threshold =
      bundle.card.task === 'binary' && positive !== undefined && threshold !== undefined && threshold !== 0.5
        ? { positive, value: threshold }
        : null;
  }

  static async load(dir: string, options: ModelOptions = {}): Promise<SequenceModel> {
    const bundle = await readSequenceBundle(dir);
    let session: ClassifierSession;
    try {
      session = await openClassifierSession(
        bundle.onnxPath,
        {
          width: bundle.sequence.block.maxlen,
          classes: bundle.card.classes.length,
          valuesOutput: 'probabilities',
          input: { name: bundle.sequence.input_name, type: 'int64' },
        },
        options.onnxThreads,
      );
    } catch (error) {
      throw onnxProblem(dir, error);
    }
    const model = new SequenceModel(bundle, session);
    const report = await runSelfTest(model, ['onnx']);
    model.selfTest = report;
    model.state = report.ready ? { ready: true } : { ready: false, reason: report.reason };
    return model;
  }

  status(): ModelStatus {
    return { ...this.state };
  }

  async predict(rows: readonly InputRow[], options: PredictOptions = {}): Promise<RowPrediction[]> {
    if (!this.state.ready) throw serviceUnavailable(`model ${this.name} is not ready: ${this.state.reason}`);
    if (rows.length === 0) return [];
    try {
      const encoded = rows.map((row) => this.encoder.encodeRow(row));
      const results = await this.run(encoded.map((e) => e.padded));
      const predictions = results.map((result, i) => this.toRowPrediction(encoded[i], result));
      if (options.terms !== undefined && options.terms > 0) {
        const limit = options.terms;
        predictions.forEach((p, i) => (p.terms = this.knownTokens(encoded[i], limit)));
      }
      if (options.explain) {
        const explanations = await sequenceOcclusion(
          this.encoder,
          encoded,
          predictions.map((p) => (p.classIndex >= 0 ? p.classIndex : argmaxFirst(p.values))),
          results.map((r) => r.values),
          (padded) => this.run(padded),
          options.topTerms ?? DEFAULT_TOP_TERMS,
        );
        predictions.forEach((p, i) => (p.explanation = explanations[i]));
      }
      return predictions;
    } catch (error) {
      this.state = { ready: false, reason: `runtime failure (onnx): ${(error as Error).message}` };
      const failure = serviceUnavailable(`model ${this.name} failed and is no longer served`);
      (failure as Error & { cause?: unknown }).cause = error;
      throw failure;
    }
  }

  /** The row's distinct tokens that have an id of their own, in order, at most `limit`. */
  private knownTokens(row: SequenceRow, limit: number): string[] {
    const terms = new Set<string>();
    const oov = this.encoder.block.oov_id;
    for (let i = 0; i < row.ids.length && terms.size < limit; i++) {
      if (row.ids[i] !== oov) terms.add(row.tokens[row.origin[i]]);
    }
    return [...terms];
  }

  /** The self-test's entry: the network's own rule, before the card's thresholds. */
  async predictVia(_path: InferencePath, rows: readonly InputRow[]): Promise<RowValues[]> {
    return this.run(rows.map((row) => this.encoder.encodeRow(row).padded));
  }

  private toRowPrediction(
    row: SequenceRow,
    result: PathPrediction & { values: Float32Array },
  ): RowPrediction {
    const { classIndex, positives } = decideLabels(result, {
      multilabel: this.multilabel,
      threshold: this.threshold,
      labelThresholds: this.card.label_thresholds,
    });
    const total = row.tokens.length;
    return {
      classIndex,
      positives,
      values: numberArray(result.values),
      coverage: { total, known: row.known, ratio: total === 0 ? 0 : row.known / total },
    };
  }

  /** Padded rows → values, in calls of at most SEQUENCE_ROWS_PER_RUN rows, one call at a time. */
  private run(padded: readonly (readonly number[])[]): Promise<RowValues[]> {
    const turn = this.onnxTurn.then(() => this.runNow(padded));
    this.onnxTurn = turn.catch(() => undefined);
    return turn;
  }

  private async runNow(padded: readonly (readonly number[])[]): Promise<RowValues[]> {
    const session = this.session;
    if (session === null) throw new Error('the ONNX session is closed');
    const classes = this.classes;
    const out: RowValues[] = [];
    for (let start = 0; start < padded.length; start += SEQUENCE_ROWS_PER_RUN) {
      const chunk = padded.slice(start, start + SEQUENCE_ROWS_PER_RUN);
      const values = await session.run(this.encoder.toTensorData(chunk), chunk.length);
      for (let r = 0; r < chunk.length; r++) {
        const row = values.slice(r * classes, (r + 1) * classes);
        if (!this.plausible(row)) {
          throw new Error(`model.onnx returned implausible probabilities [${Array.from(row).join(', ')}]`);
        }
        const argmaxIndex = argmaxFirst(row);
        out.push({
          values: row,
          argmaxIndex,
          positives: this.multilabel ? multilabelPositives(row, undefined) : [argmaxIndex],
        });
      }
    }
    return out;
  }

  /** Probabilities in [0, 1]; single-label rows summing to 1. */
  private plausible(values: Float32Array): boolean {
    let sum = 0;
    for (const v of values) {
      if (!Number.isFinite(v) || v < -1e-6 || v > 1 + 1e-6) return false;
      sum += v;
    }
    return this.multilabel || Math.abs(sum - 1) <= 1e-4;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.state = { ready: false, reason: 'closed' };
    if (session !== null) await session.release();
  }
}
