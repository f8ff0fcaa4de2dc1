/**
 * The card's golden examples through the full TypeScript path (vectorizer + linear layer, and the
 * ONNX session): a value more than 1e-5 away from sklearn's or a different label and the model is
 * not served. Readiness reports the first failure.
 */
import type { InputRow, LabelValue, ModelStatus } from './types';
import type { ModelCard } from './schema';

export const GOLDEN_TOLERANCE = 1e-5;

/**
 * Probabilities are compared absolutely; scores (unbounded decision values, float32 in the graph)
 * relative to their size.
 */
export function goldenTolerance(output: 'probabilities' | 'scores', expected: number): number {
  return output === 'scores' ? GOLDEN_TOLERANCE * Math.max(1, Math.abs(expected)) : GOLDEN_TOLERANCE;
}

export type InferencePath = 'linear' | 'onnx';

/** What one inference path yields for a row, before a tuned threshold is applied. */
export interface PathPrediction {
  values: ArrayLike<number>;
  /** sklearn's predict: the first maximum of the raw scores. */
  argmaxIndex: number;
  /** Multi-label: every label with z > 0; single-label: [argmaxIndex]. */
  positives: number[];
}

export interface SelfTestSubject {
  readonly card: ModelCard;
  readonly output: 'probabilities' | 'scores';
  predictVia(path: InferencePath, rows: readonly InputRow[]): Promise<PathPrediction[]>;
}

export interface SelfTestReport extends ModelStatus {
  /** Largest |Δ| between our values and sklearn's over all golden rows and paths. */
  maxDifference: number;
  checked: number;
}

function sameLabels(expected: LabelValue | LabelValue[], actual: LabelValue[], multilabel: boolean): boolean {
  if (!multilabel) return !Array.isArray(expected) && actual.length === 1 && actual[0] === expected;
  const want = (Array.isArray(expected) ? expected : [expected]).map(String).sort();
  const got = actual.map(String).sort();
  return want.length === got.length && want.every((v, i) => v === got[i]);
}

export async function runSelfTest(
  subject: SelfTestSubject,
  paths: readonly InferencePath[] = ['linear', 'onnx'],
): Promise<SelfTestReport> {
  const { card } = subject;
  const golden = card.golden;
  let maxDifference = 0;
  if (golden.length === 0) return { ready: true, maxDifference, checked: 0 };
  const multilabel = card.task === 'multilabel';
  const rows = golden.map((g) => g.inputs);
  for (const path of paths) {
    let predictions: PathPrediction[];
    try {
      predictions = await subject.predictVia(path, rows);
    } catch (error) {
      return {
        ready: false,
        reason: `self-test failed on the ${path} path: ${(error as Error).message}`,
        maxDifference: Infinity,
        checked: 0,
      };
    }
    for (let i = 0; i < golden.length; i++) {
      const expected = golden[i];
      const got = predictions[i];
      for (let k = 0; k < expected.values.length; k++) {
        const d = Math.abs(got.values[k] - expected.values[k]);
        const tolerance = goldenTolerance(subject.output, expected.values[k]);
        if (!(d <= tolerance)) {
          return {
            ready: false,
            reason: `self-test: golden example ${i} (${path}): value ${k} is ${got.values[k]}, sklearn says ${expected.values[k]} (|Δ| ${d.toExponential(2)} > ${tolerance})`,
            maxDifference: Number.isNaN(d) ? Infinity : d,
            checked: i,
          };
        }
        maxDifference = Math.max(maxDifference, d);
      }
      // sklearn's predict is the argmax (or z > 0 per label); a tuned threshold is applied on top of it.
      const labels = (multilabel ? got.positives : [got.argmaxIndex]).map(
        (index) => card.classes[index]?.value,
      );
      if (
        labels.some((l) => l === undefined) ||
        !sameLabels(expected.label, labels as LabelValue[], multilabel)
      ) {
        return {
          ready: false,
          reason: `self-test: golden example ${i} (${path}): label ${JSON.stringify(labels)}, sklearn says ${JSON.stringify(expected.label)}`,
          maxDifference,
          checked: i,
        };
      }
    }
  }
  return { ready: true, maxDifference, checked: golden.length };
}
