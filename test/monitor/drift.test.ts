import path from 'node:path';
import { loadModel } from '../../src/model/classifier';
import type { BucketStats } from '../../src/monitor/types';
import {
  PSI_FLOOR,
  documentFrequency,
  fitTrainingRows,
  populationStabilityIndex,
  psiLevel,
  summarize,
  termDrift,
  trainingBaseline,
  trainingClassShares,
} from '../../src/monitor/drift';

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'artifacts');

describe('populationStabilityIndex', () => {
  it('matches a hand-computed value: (0.25−0.5)·ln(0.5) + (0.75−0.5)·ln(1.5)', () => {
    expect(populationStabilityIndex([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.274653072167, 10);
  });

  it('normalises counts first: 50/50 against 1/3 is the same shift', () => {
    expect(populationStabilityIndex([50, 50], [1, 3])).toBeCloseTo(0.274653072167, 10);
  });

  it('is 0 for the same distribution', () => {
    expect(populationStabilityIndex([2, 3, 5], [20, 30, 50])).toBeCloseTo(0, 12);
  });

  it('floors an empty bin at PSI_FLOOR instead of going infinite', () => {
    // e = [1, 1e-4], a = [0.5, 0.5]: (0.5 − 1)·ln(0.5) + (0.5 − 1e-4)·ln(0.5 / 1e-4)
    expect(PSI_FLOOR).toBe(1e-4);
    expect(populationStabilityIndex([1, 0], [1, 1])).toBeCloseTo(4.60431846666895, 10);
  });

  it('is NaN when a side has no rows, and refuses bins that do not line up', () => {
    expect(populationStabilityIndex([1, 1], [0, 0])).toBeNaN();
    expect(() => populationStabilityIndex([1], [1, 2])).toThrow(RangeError);
  });

  it('reads in the conventional bands', () => {
    expect(psiLevel(0.05)).toBe('stable');
    expect(psiLevel(0.2)).toBe('moderate');
    expect(psiLevel(0.3)).toBe('large');
  });
});

describe('document frequencies from idf', () => {
  // sklearn: idf = ln((1 + n) / (1 + df)) + 1 (smooth_idf), ln(n / df) + 1 otherwise.
  const smoothIdf = (df: number, n: number) => Math.log((1 + n) / (1 + df)) + 1;
  const plainIdf = (df: number, n: number) => Math.log(n / df) + 1;

  it('inverts both of sklearn formulas', () => {
    expect(documentFrequency(smoothIdf(17, 1000), 1000, true)).toBeCloseTo(17, 9);
    expect(documentFrequency(plainIdf(17, 1000), 1000, false)).toBeCloseTo(17, 9);
  });

  it('finds the row count and smoothing that give whole frequencies', () => {
    const idf = [3, 17, 250, 999].map((df) => plainIdf(df, 1000));
    expect(fitTrainingRows(idf, [1234, 1000])).toEqual({ rows: 1000, smooth: false });
    expect(fitTrainingRows(idf, [1234])).toBeUndefined();
  });

  it('fits the shipped disaster-tweets bundle: 6090 training rows, smooth idf', async () => {
    const model = await loadModel(path.join(ARTIFACTS, 'disaster-tweets'));
    try {
      const baseline = trainingBaseline(model.trainingTerms(), model.card, 10);
      expect(baseline?.rows).toBe(6090);
      expect(baseline?.terms).toHaveLength(10);
      // The most common word of tweets, counted in more rows than any other.
      const top = baseline?.terms ?? [];
      expect(top[0].rows).toBeGreaterThanOrEqual(top[9].rows);
      expect(top.map((t) => t.term)).toContain('the');
      // Row terms use the same keys: the prediction log can be compared with this baseline.
      const [prediction] = await model.predict(
        [{ text: 'the fire is near', keyword: 'fire', location: '' }],
        {
          terms: 32,
        },
      );
      expect(prediction.terms).toEqual(expect.arrayContaining(['the', 'fire', 'keyword:fire']));
    } finally {
      await model.close();
    }
  });

  it('keys terms by the main field whatever the block order, and leaves count blocks out of the baseline', async () => {
    // The XGBoost bundle: keyword and location (CountVectorizer, no idf) come before the text.
    const model = await loadModel(path.join(ARTIFACTS, 'disaster-tweets-xgboost'));
    try {
      const terms = model.trainingTerms();
      expect(terms.some((t) => t.key.startsWith('keyword:'))).toBe(false);
      expect(trainingBaseline(terms, model.card, 5)?.terms.map((t) => t.term)).toContain('the');
      const [p] = await model.predict([{ text: 'the fire', keyword: 'fire', location: '' }], { terms: 32 });
      expect(p.terms).toEqual(expect.arrayContaining(['the', 'fire', 'keyword:fire']));
    } finally {
      await model.close();
    }
  });
});

describe('termDrift', () => {
  const baseline = {
    rows: 100,
    terms: [
      { term: 'fire', rows: 50 },
      { term: 'flood', rows: 50 },
    ],
  };

  it('is the PSI of the live term counts against training over the baseline terms', () => {
    const drift = termDrift(baseline, {
      rows: 8,
      terms: [
        { term: 'flood', rows: 6 },
        { term: 'fire', rows: 2 },
        { term: 'other', rows: 8 },
      ],
    });
    expect(drift.psi).toBeCloseTo(0.274653072167, 10);
    expect(drift.rows).toBe(8);
    expect(drift.terms).toEqual(
      expect.arrayContaining([
        { term: 'fire', training: 0.5, live: 0.25 },
        { term: 'flood', training: 0.5, live: 0.75 },
      ]),
    );
  });

  it('is NaN without live rows', () => {
    expect(termDrift(baseline, { rows: 0, terms: [] }).psi).toBeNaN();
  });
});

describe('summaries', () => {
  it('takes training class shares from the held-out support of the card', () => {
    const card = {
      classes: [
        { value: 0, name: 'No' },
        { value: 1, name: 'Yes' },
      ],
      metrics: {
        accuracy: 1,
        macro_f1: 1,
        per_class: [
          { class: 0, precision: 1, recall: 1, f1: 1, accuracy: 1, support: 30 },
          { class: 1, precision: 1, recall: 1, f1: 1, accuracy: 1, support: 10 },
        ],
        confusion_matrix: [],
        train_size: 1,
        test_size: 40,
      },
    };
    expect(trainingClassShares(card)).toEqual({ No: 0.75, Yes: 0.25 });
    expect(trainingClassShares({ ...card, metrics: null })).toBeUndefined();
  });

  it('adds buckets up into shares, coverage and accuracy', () => {
    const buckets: BucketStats[] = [
      {
        start: 0,
        predictions: 3,
        classCounts: { No: 2, Yes: 1 },
        lowSignal: 1,
        coverageSum: 1.5,
        withFeedback: 2,
        correct: 1,
      },
      {
        start: 3600_000,
        predictions: 1,
        classCounts: { Yes: 1 },
        lowSignal: 0,
        coverageSum: 0.5,
        withFeedback: 2,
        correct: 2,
      },
    ];
    const summary = summarize(buckets, ['No', 'Yes']);
    expect(summary).toEqual({
      predictions: 4,
      classShares: { No: 0.5, Yes: 0.5 },
      lowSignalShare: 0.25,
      meanCoverage: 0.5,
      unknownShare: 0.5,
      withFeedback: 4,
      accuracy: 0.75,
    });
    expect(summarize([], ['No']).accuracy).toBeNull();
  });
});
