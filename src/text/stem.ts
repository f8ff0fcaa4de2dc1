/**
 * natural's English stemmers. train.py gets its stems from this same code (dist/cli/stem.js), so the
 * stems match by construction. Only the two stemmer files are loaded: `natural` as a whole pulls in
 * database drivers and dotenv.
 */
interface NaturalStemmer {
  stem(token: string): string;
}

/* eslint-disable @typescript-eslint/no-require-imports -- natural ships no types for these files */
const PorterStemmer = require('natural/lib/natural/stemmers/porter_stemmer') as NaturalStemmer;
const LancasterStemmer = require('natural/lib/natural/stemmers/lancaster_stemmer') as NaturalStemmer;
/* eslint-enable @typescript-eslint/no-require-imports */

export type StemmerName = 'porter' | 'lancaster';
export type Stem = (token: string) => string;

export const STEMMER_NAMES: readonly StemmerName[] = ['porter', 'lancaster'];

export function getStemmer(name: StemmerName): Stem {
  const stemmer = name === 'porter' ? PorterStemmer : LancasterStemmer;
  // Stemming is deterministic and tokens repeat a lot (Zipf), so a bounded cache pays off.
  const cache = new Map<string, string>();
  return (token) => {
    let stem = cache.get(token);
    if (stem === undefined) {
      stem = String(stemmer.stem(token));
      if (cache.size >= 50000) cache.clear();
      cache.set(token, stem);
    }
    return stem;
  };
}
