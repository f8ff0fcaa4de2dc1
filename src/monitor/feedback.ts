/**
 * The true label of a logged prediction, as a client or the result page says it: checked against
 * the model's card and turned into class names (what PredictionRecord.labels holds). Pure.
 */
import { badRequest } from '../errors';
import type { ModelCard } from '../model/schema';

/** A UUID as crypto.randomUUID makes them; anything else cannot be a logged prediction. */
const PREDICTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPredictionId(id: string): boolean {
  return PREDICTION_ID.test(id);
}

type Card = Pick<ModelCard, 'classes' | 'task'>;

function describeClasses(card: Card): string {
  return card.classes
    .map((c) => (String(c.value) === c.name ? `"${c.name}"` : `"${c.name}" (or ${JSON.stringify(c.value)})`))
    .join(', ');
}

/** A class by display name or by value (as sklearn knows it, or its string form). */
function className(card: Card, label: unknown, where: string): string {
  if (typeof label !== 'string' && typeof label !== 'number') {
    throw badRequest(`${where} must be a class name (a string); the classes are ${describeClasses(card)}`);
  }
  const text = String(label);
  const match =
    card.classes.find((c) => c.name === text) ?? card.classes.find((c) => String(c.value) === text);
  if (match === undefined) {
    throw badRequest(
      `${where} ${JSON.stringify(text.slice(0, 80))} is not a class of this model; the classes are ${describeClasses(card)}`,
    );
  }
  return match.name;
}

/** Class names in the card's order, each once. */
function inCardOrder(card: Card, names: readonly string[]): string[] {
  const set = new Set(names);
  return card.classes.filter((c) => set.has(c.name)).map((c) => c.name);
}

/**
 * `{"label": "..."}` (single-label models) or `{"labels": [...]}` (multi-label models, [] = no
 * label applies; a single-label model takes a one-element list too) → class names.
 */
export function feedbackLabels(card: Card, body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(
      'send a JSON object: {"label": "<class>"} or, for multi-label models, {"labels": [...]}',
    );
  }
  const { label, labels } = body as { label?: unknown; labels?: unknown };
  if (label !== undefined && labels !== undefined) throw badRequest('send "label" or "labels", not both');
  const multilabel = card.task === 'multilabel';
  if (labels !== undefined) {
    if (!Array.isArray(labels)) throw badRequest('"labels" must be an array of class names');
    const names = inCardOrder(
      card,
      labels.map((l, i) => className(card, l, `labels[${i}]`)),
    );
    if (!multilabel && names.length !== 1) {
      throw badRequest(`this model gives one class per text: send exactly one label (got ${labels.length})`);
    }
    return names;
  }
  if (label === undefined) {
    throw badRequest(
      multilabel
        ? 'send {"labels": [...]}: the labels that apply ([] when none does)'
        : 'send {"label": "<class>"}: the class the text really belongs to',
    );
  }
  return [className(card, label, '"label"')];
}

/**
 * The result page's "Was this right?" forms: `verdict=yes` (the predicted labels were right), or
 * `label` fields (one for single-label, any number for multi-label; none = no label applies).
 */
export function formFeedbackLabels(
  card: Card,
  fields: Readonly<Record<string, string | readonly string[]>>,
  predicted: readonly string[],
): string[] {
  if (fields.verdict === 'yes') return [...predicted];
  const raw = fields.label;
  const values = raw === undefined ? [] : typeof raw === 'string' ? [raw] : [...raw];
  if (card.task !== 'multilabel' && values.length !== 1) {
    throw badRequest('Pick the class the text really belongs to, then send the form again.');
  }
  return inCardOrder(
    card,
    values.map((v) => className(card, v, 'The class')),
  );
}
