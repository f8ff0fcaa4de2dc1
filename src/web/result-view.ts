/**
 * A prediction as the result page shows it: the verdict, bars for every class, coverage, the input
 * with its influential words marked, and the top terms each way. Pure.
 */
import type { Coverage, InputRow, LoadedModel, RowPrediction } from '../model/types';
import { getStemmer } from '../text';
import { type HighlightSegment, type HighlightTerm, type WordContribution, highlightText } from './highlight';
import { Markup, formatPercent, formatScore } from './markup';
import { type ValueBar, termBar, valueBars } from './svg';

export interface Verdict {
  /** Display names: one for single-label models, every positive label for multi-label ones. */
  names: string[];
  /** A line under the names: "88.9% probability", "highest decision score (+1.234)". */
  detail: string;
}

export interface CoverageView {
  known: number;
  total: number;
  percent: string;
  /** none: the model knows no word of the input; low: under a quarter. */
  level: 'none' | 'low' | 'ok';
}

export interface MarkedSegment extends HighlightSegment {
  /** Spoken and hover text for a marked word. */
  description?: string;
}

export interface EchoedField {
  name: string;
  label: string;
  empty: boolean;
  multiline: boolean;
  segments: MarkedSegment[];
}

export interface TermRow {
  /** The word as typed. */
  term: string;
  /** The model's own terms folded onto it (stems, n-grams; spaces shown as ␣), for the hover text. */
  parts: string;
  /** The field's label when the model reads several fields. */
  fieldLabel?: string;
  contribution: string;
  /** Its weight relative to the strongest word on the page. */
  bar: Markup;
}

export interface ExplanationView {
  className: string;
  /** How the contributions were computed: `exact` (linear) or `occlusion` (leave one term out). */
  method: 'exact' | 'occlusion';
  toward: TermRow[];
  against: TermRow[];
  /** Terms that could not be placed on words of the input. */
  unplacedCount: number;
  hasHighlights: boolean;
}

export interface ResultView {
  modelName: string;
  modelTitle: string;
  multilabel: boolean;
  output: 'probabilities' | 'scores';
  verdict: Verdict;
  bars: Markup;
  barsHeading: string;
  barsNote?: string;
  coverage: CoverageView;
  fields: EchoedField[];
  explanation?: ExplanationView;
  /** The inputs as hidden fields of the "edit" form, which posts them back to the form page. */
  inputs: { name: string; value: string }[];
  /** The prediction log is on: the "Was this right?" forms post here. */
  feedback?: FeedbackControl;
}

export interface FeedbackControl {
  /** POST /predictions/{id}/feedback. */
  action: string;
  multilabel: boolean;
  /** Every class, the predicted ones marked (pre-selected for multi-label corrections). */
  classes: { name: string; predicted: boolean }[];
}

function buildFeedback(model: LoadedModel, prediction: RowPrediction): FeedbackControl | undefined {
  if (prediction.predictionId === undefined) return undefined;
  const chosen = new Set(model.card.task === 'multilabel' ? prediction.positives : [prediction.classIndex]);
  return {
    action: `/predictions/${encodeURIComponent(prediction.predictionId)}/feedback`,
    multilabel: model.card.task === 'multilabel',
    classes: model.card.classes.map((c, i) => ({ name: c.name, predicted: chosen.has(i) })),
  };
}

/** How many words each side of the list shows. */
export const LISTED_WORDS = 10;

const porter = getStemmer('porter');
const lancaster = getStemmer('lancaster');
/** Bundles stem with Porter or Lancaster (docs/bundle-format.md); a stem from either folds back. */
const stems = (word: string): string[] => [porter(word), lancaster(word)];

function buildVerdict(model: LoadedModel, prediction: RowPrediction): Verdict {
  const { card } = model;
  const names = card.classes.map((c) => c.name);
  if (card.task === 'multilabel') {
    const positives = prediction.positives.filter((i) => i >= 0 && i < names.length).map((i) => names[i]);
    if (positives.length === 0) {
      return {
        names: ['No label applies'],
        detail:
          model.output === 'scores'
            ? 'Every label’s decision score is at or below 0.'
            : 'Every label’s probability is at or below the 0.5 threshold.',
      };
    }
    return {
      names: positives,
      detail: `${positives.length} of ${names.length} labels apply`,
    };
  }
  const index = prediction.classIndex;
  const name = names[index] ?? 'Unknown class';
  const value = prediction.values[index];
  return {
    names: [name],
    detail:
      model.output === 'scores'
        ? `highest decision score (${formatScore(value)})`
        : `${formatPercent(value)} probability`,
  };
}

function buildBars(
  model: LoadedModel,
  prediction: RowPrediction,
): { bars: Markup; heading: string; note?: string } {
  const { card } = model;
  const multilabel = card.task === 'multilabel';
  const chosen = new Set(multilabel ? prediction.positives : [prediction.classIndex]);
  let thresholdRow: number | 'all' | undefined;
  let threshold: number | undefined;
  if (model.output === 'probabilities') {
    if (multilabel) {
      thresholdRow = 'all';
      threshold = 0.5;
    } else if (card.task === 'binary' && card.positive_class !== undefined && card.threshold !== undefined) {
      thresholdRow = card.positive_class;
      threshold = card.threshold;
    }
  }
  const rows: ValueBar[] = card.classes.map((c, i) => ({
    name: c.name,
    value: prediction.values[i] ?? Number.NaN,
    chosen: chosen.has(i),
    threshold: thresholdRow === 'all' || thresholdRow === i ? threshold : undefined,
  }));
  const heading =
    model.output === 'scores'
      ? multilabel
        ? 'Decision score of each label'
        : 'Decision score of each class'
      : multilabel
        ? 'Probability of each label'
        : 'Probability of each class';
  let note: string | undefined;
  if (model.output === 'scores') {
    note =
      'This model gives decision scores, not probabilities: higher means more likely, 0 is the boundary, and the scale is the model’s own.';
  } else if (threshold !== undefined) {
    note = `The vertical line marks the decision threshold (${threshold}).`;
  }
  return {
    bars: valueBars(rows, {
      output: model.output,
      label: heading,
      chosenBadge: multilabel ? 'applies' : 'predicted',
    }),
    heading,
    note,
  };
}

function buildCoverage(coverage: Coverage): CoverageView {
  const ratio = coverage.total > 0 ? coverage.known / coverage.total : 0;
  return {
    known: coverage.known,
    total: coverage.total,
    percent: `${Math.round(ratio * 100)}%`,
    level: coverage.known === 0 ? 'none' : ratio < 0.25 ? 'low' : 'ok',
  };
}

function showTerm(term: string): string {
  return term.replace(/ /g, '␣');
}

function describeSegment(segment: HighlightSegment, className: string): string | undefined {
  if (segment.direction === undefined || segment.terms === undefined) return undefined;
  const side = segment.direction === 'toward' ? `Pushes toward ${className}` : `Pushes against ${className}`;
  const terms = segment.terms.map((t) => `${showTerm(t.term)} ${formatScore(t.contribution)}`).join(', ');
  return `${side}: ${terms}`;
}

interface ListedWord extends WordContribution {
  field: string;
}

export function buildResultView(model: LoadedModel, inputs: InputRow, prediction: RowPrediction): ResultView {
  const { card } = model;
  const explanation = prediction.explanation;
  const className =
    explanation === undefined ? '' : (card.classes[explanation.classIndex]?.name ?? 'the predicted class');
  const severalFields = card.inputs.length > 1;
  const labelOf = new Map(card.inputs.map((input) => [input.name, input.label]));

  let unplacedCount = 0;
  let hasHighlights = false;
  const listed: ListedWord[] = [];
  const descriptions = new Map<object, string | undefined>();
  const fields: EchoedField[] = card.inputs.map((input) => {
    const value = inputs[input.name] ?? '';
    const terms: HighlightTerm[] =
      explanation === undefined
        ? []
        : [...explanation.toward, ...explanation.against]
            .filter((t) => t.field === input.name)
            .map((t) => ({ term: t.term, contribution: t.contribution, analyzer: t.analyzer }));
    const { segments, words, unplaced } = highlightText(value, terms, { stems });
    unplacedCount += unplaced.length;
    listed.push(...words.map((w) => ({ ...w, field: input.name })));
    if (segments.some((s) => s.direction !== undefined)) hasHighlights = true;
    return {
      name: input.name,
      label: input.label,
      empty: value.trim() === '',
      multiline: input.multiline,
      // Occurrences of a word share its terms: describe each word once.
      segments: segments.map((s) => {
        const key = s.terms ?? s;
        let description = descriptions.get(key);
        if (description === undefined && !descriptions.has(key)) {
          description = describeSegment(s, className);
          descriptions.set(key, description);
        }
        return { ...s, description };
      }),
    };
  });

  let explanationView: ExplanationView | undefined;
  if (explanation !== undefined) {
    const toward = listed
      .filter((w) => w.contribution > 0)
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, LISTED_WORDS);
    const against = listed
      .filter((w) => w.contribution < 0)
      .sort((a, b) => a.contribution - b.contribution)
      .slice(0, LISTED_WORDS);
    const strongest = Math.max(1e-12, ...[...toward, ...against].map((w) => Math.abs(w.contribution)));
    const toRow =
      (direction: 'toward' | 'against') =>
      (w: ListedWord): TermRow => ({
        term: w.word,
        parts: w.terms.map((t) => `${showTerm(t.term)} ${formatScore(t.contribution)}`).join(', '),
        // The main field goes without saying; words from the others (keyword, location) are tagged.
        fieldLabel:
          severalFields && w.field !== card.inputs[0].name ? (labelOf.get(w.field) ?? w.field) : undefined,
        contribution: formatScore(w.contribution),
        bar: termBar(Math.abs(w.contribution) / strongest, direction),
      });
    explanationView = {
      className,
      method: explanation.method,
      toward: toward.map(toRow('toward')),
      against: against.map(toRow('against')),
      unplacedCount,
      hasHighlights,
    };
  }

  const { bars, heading, note } = buildBars(model, prediction);
  return {
    modelName: model.name,
    modelTitle: card.title,
    multilabel: card.task === 'multilabel',
    output: model.output,
    verdict: buildVerdict(model, prediction),
    bars,
    barsHeading: heading,
    barsNote: note,
    coverage: buildCoverage(prediction.coverage),
    fields,
    explanation: explanationView,
    inputs: card.inputs.map((input) => ({ name: input.name, value: inputs[input.name] ?? '' })),
    feedback: buildFeedback(model, prediction),
  };
}
