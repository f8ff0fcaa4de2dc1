import { join } from 'node:path';
import { createAnalyzer, type AnalyzerOptions } from '../../src/text/analyzer';
import { TermIndex } from '../../src/text/termindex';
import { CORE_FIXTURES, python311Unicode, readJson } from './helpers';

interface AnalyzerFixture {
  sklearn_version: string;
  settings: Record<string, Omit<AnalyzerOptions, 'stemmer'> & { cases: { text: string; terms: string[] }[] }>;
}

// Produced by sklearn's own build_analyzer() (make_core_fixtures.py) on the hard strings of
// docs/sklearn-tfidf-parity.md under several analyzer settings.
const fixture = readJson<AnalyzerFixture>(join(CORE_FIXTURES, 'analyzer.json'));

describe.each(Object.entries(fixture.settings))('analyzer %s matches sklearn', (_name, setting) => {
  const analyzer = createAnalyzer({ ...setting, stemmer: null }, python311Unicode());
  it.each(setting.cases.map((c, i) => [i, JSON.stringify(c.text).slice(0, 40), c] as const))(
    'case %i %s',
    (_i, _label, c) => {
      expect(analyzer.analyze(c.text)).toEqual(c.terms);
      // What the vectorizer counts: the same terms, visited as spans of the preprocessed text.
      const visited: string[] = [];
      const index = new TermIndex([...new Set(c.terms)]);
      const count = analyzer.visit(analyzer.preprocess(c.text), index, (source, from, to, state) => {
        visited.push(source.slice(from, to));
        expect(index.columnOf(state)).toBe(index.get(source.slice(from, to)));
      });
      expect(count).toBe(c.terms.length);
      expect(visited.sort()).toEqual([...c.terms].sort());
    },
  );
});
