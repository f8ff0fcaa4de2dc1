/**
 * sklearn's `build_analyzer()` for one feature block: preprocess (lowercase, strip accents), then
 * tokenize + stem + stop words + word n-grams (analyzer='word') or character n-grams.
 */
import type { FeatureBlock } from '../model/schema';
import { pythonLower } from './lowercase';
import {
  visitCharNgrams,
  visitCharNgramsUnordered,
  visitCharWbNgrams,
  visitCharWbNgramsUnordered,
  visitWordNgrams,
  wordNgrams,
  type SpanStateVisitor,
} from './ngrams';
import type { TermIndex } from './termindex';
import { stripAccentsAscii, stripAccentsUnicode } from './normalize';
import { getStemmer } from './stem';
import { createTokenizer } from './tokenize';
import type { PythonUnicode } from './unicode';

export type AnalyzerOptions = Pick<
  FeatureBlock,
  'analyzer' | 'ngram_range' | 'lowercase' | 'strip_accents' | 'token_pattern' | 'stop_words' | 'stemmer'
>;

export interface Analyzer {
  /** lowercase → strip accents, as sklearn's build_preprocessor. */
  preprocess(text: string): string;
  /** Analyzers with the same key preprocess a text the same way (blocks on one field share it). */
  readonly preprocessing: string;
  /** The terms of one document, in sklearn's order. */
  analyze(text: string): string[];
  /**
   * The terms of an already preprocessed document, each visited as a span of a string with its
   * state in `index` instead of built: the same terms as analyze, in no particular order (the
   * vectorizer only counts them); returns how many there were.
   */
  visit(doc: string, index: TermIndex, visitor: SpanStateVisitor): number;
}

export function createAnalyzer(options: AnalyzerOptions, uni: PythonUnicode): Analyzer {
  const [minN, maxN] = options.ngram_range;
  if (!Number.isInteger(minN) || !Number.isInteger(maxN) || minN < 1 || minN > maxN) {
    throw new RangeError(`ngram_range [${minN}, ${maxN}] is invalid`);
  }
  const lower = options.lowercase;
  const accents =
    options.strip_accents === 'ascii'
      ? stripAccentsAscii
      : options.strip_accents === 'unicode'
        ? stripAccentsUnicode
        : null;
  const preprocess = (text: string): string => {
    let doc = lower ? pythonLower(text, uni) : text;
    if (accents !== null) doc = accents(doc, uni);
    return doc;
  };
  const preprocessing = `${lower ? 'lower' : 'keep'}|${options.strip_accents ?? 'none'}`;

  if (options.analyzer === 'char' || options.analyzer === 'char_wb') {
    if (options.stemmer !== null)
      throw new RangeError(`a stemmer needs analyzer 'word', not '${options.analyzer}'`);
    const char = options.analyzer === 'char';
    const visitNgrams = char ? visitCharNgrams : visitCharWbNgrams;
    const visitUnordered = char ? visitCharNgramsUnordered : visitCharWbNgramsUnordered;
    return {
      preprocess,
      preprocessing,
      analyze: (text) => {
        const terms: string[] = [];
        visitNgrams(preprocess(text), minN, maxN, uni, (source, from, to) => {
          terms.push(source.slice(from, to));
        });
        return terms;
      },
      visit: (doc, index, visitor) => visitUnordered(doc, minN, maxN, uni, index, visitor),
    };
  }

  if (options.token_pattern === null) throw new RangeError("analyzer 'word' needs a token_pattern");
  const tokenize = createTokenizer(options.token_pattern, uni);
  const stem = options.stemmer === null ? null : getStemmer(options.stemmer);
  const stopWords = options.stop_words === null ? null : new Set(options.stop_words);
  const terms = (doc: string): string[] => {
    const tokens = tokenize(doc);
    return stem === null ? tokens : tokens.map(stem);
  };
  return {
    preprocess,
    preprocessing,
    analyze: (text) => wordNgrams(terms(preprocess(text)), minN, maxN, stopWords),
    visit: (doc, index, visitor) => visitWordNgrams(terms(doc), minN, maxN, stopWords, index, visitor),
  };
}
