/** Python-compatible text processing: the pure building blocks of sklearn's analyzers. */
export { createAnalyzer, type Analyzer, type AnalyzerOptions } from './analyzer';
export { CodePointSet, type CodePointRange } from './codepoints';
export {
  kerasTokens,
  padSequence,
  tokensToIds,
  type IdLookup,
  type KerasTokenizerOptions,
  type PadOptions,
} from './keras';
export { pythonLower } from './lowercase';
export {
  charNgrams,
  charWbNgrams,
  visitCharNgrams,
  visitCharNgramsUnordered,
  visitCharWbNgrams,
  visitCharWbNgramsUnordered,
  wordNgrams,
  type SpanStateVisitor,
  type WindowVisitor,
} from './ngrams';
export { nfkd, stripAccentsAscii, stripAccentsUnicode } from './normalize';
export { PatternError, translatePythonPattern, type TranslatedPattern } from './pyregex';
export { TermIndex } from './termindex';
export { getStemmer, STEMMER_NAMES, type Stem, type StemmerName } from './stem';
export { createTokenizer, type Tokenizer } from './tokenize';
export { compileUnicode, type PythonUnicode } from './unicode';
export { collapseWhitespace, splitWhitespace } from './whitespace';
