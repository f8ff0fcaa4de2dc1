import { getStemmer } from '../../src/text/stem';

describe('natural stemmers', () => {
  it('porter', () => {
    const stem = getStemmer('porter');
    expect(['running', 'generously', 'caresses', 'ponies', 'relational', 'Running'].map(stem)).toEqual([
      'run',
      'gener',
      'caress',
      'poni',
      'relat',
      'run',
    ]);
  });

  it('lancaster', () => {
    const stem = getStemmer('lancaster');
    expect(['running', 'generously', 'maximum', 'presumably'].map(stem)).toEqual([
      'run',
      'gen',
      'maxim',
      'presum',
    ]);
  });

  it('returns the same stem from its cache', () => {
    const stem = getStemmer('porter');
    expect(stem('disasters')).toBe(stem('disasters'));
    expect(stem('')).toBe('');
  });
});
