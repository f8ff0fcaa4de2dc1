/** Which labels of a multi-label model apply: probability above its threshold (the card's, or 0.5). */
export function multilabelPositives(
  values: ArrayLike<number>,
  thresholds: readonly number[] | undefined,
): number[] {
  const positives: number[] = [];
  for (let k = 0; k < values.length; k++) if (values[k] > (thresholds?.[k] ?? 0.5)) positives.push(k);
  return positives;
}

/** A binary model's decision threshold: `positive` wins when its probability is above `value`. */
export interface BinaryThreshold {
  positive: number;
  value: number;
}

/**
 * The labels a row gets from its scores, one rule for every kind of model: multi-label → each label
 * above its card threshold (the model's own positives when the card tunes none); binary with a
 * tuned threshold → the positive class when strictly above it; otherwise the first maximum.
 */
export function decideLabels(
  result: { values: ArrayLike<number>; argmaxIndex: number; positives?: readonly number[] },
  rule: {
    multilabel: boolean;
    threshold: BinaryThreshold | null;
    labelThresholds: readonly number[] | undefined;
  },
): { classIndex: number; positives: number[] } {
  if (rule.multilabel) {
    const positives =
      rule.labelThresholds === undefined && result.positives !== undefined
        ? [...result.positives]
        : multilabelPositives(result.values, rule.labelThresholds);
    return { classIndex: positives.length > 0 ? positives[0] : -1, positives };
  }
  const { threshold } = rule;
  const classIndex =
    threshold === null
      ? result.argmaxIndex
      : result.values[threshold.positive] > threshold.value
        ? threshold.positive
        : 1 - threshold.positive;
  return { classIndex, positives: [classIndex] };
}

/**
 * A typed array's numbers as a plain array (what JSON answers carry): Array.from goes through the
 * typed array's iterator, ~30× slower than this loop for a row's few class values.
 */
export function numberArray(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}
