/** Which labels of a multi-label model apply: probability above its threshold (the card's, or 0.5). */
export function multilabelPositives(
  values: ArrayLike<number>,
  thresholds: readonly number[] | undefined,
): number[] {
  const positives: number[] = [];
  for (let k = 0; k < values.length; k++) if (values[k] > (thresholds?.[k] ?? 0.5)) positives.push(k);
  return positives;
}
