/**
 * The form's side of input validation: what a person typed (as typed, for re-showing the form) and
 * the API's row issues (src/predict/input.ts) reworded with the form's own labels. Pure.
 */
import type { ModelCard } from '../model/schema';
import type { RowIssue } from '../predict/input';

type CardInput = ModelCard['inputs'][number];

/** The first value of each of the model's fields in a parsed form body ('' when absent). */
export function typedValues(
  body: Readonly<Record<string, unknown>> | undefined,
  inputs: readonly CardInput[],
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of inputs) {
    const raw = body !== undefined && Object.hasOwn(body, input.name) ? body[input.name] : undefined;
    const first = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
    values[input.name] = typeof first === 'string' ? first : '';
  }
  return values;
}

const LIMIT = /is (\d+) characters long; the limit is (\d+)/;

function reword(issue: RowIssue, label: string): string {
  if (issue.message === 'is required' || issue.message === 'is empty') {
    return `${label} is empty. Type some text (spaces alone do not count).`;
  }
  const limit = LIMIT.exec(issue.message);
  if (limit !== null) {
    const [count, max] = [Number(limit[1]), Number(limit[2])].map((n) => n.toLocaleString('en-US'));
    return `${label} is ${count} characters long; shorten it to ${max} or fewer.`;
  }
  if (issue.message.startsWith('must be a string')) {
    return `${label} was sent more than once. Send the form again from this page.`;
  }
  return `${label} ${issue.message}.`;
}

/** field name → message for the form, one per field (the first issue wins). */
export function formErrors(
  issues: readonly RowIssue[],
  inputs: readonly CardInput[],
): Record<string, string> {
  const labelOf = new Map(inputs.map((input) => [input.name, input.label]));
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const label = labelOf.get(issue.field);
    if (label === undefined || Object.hasOwn(errors, issue.field)) continue;
    errors[issue.field] = reword(issue, label);
  }
  return errors;
}
