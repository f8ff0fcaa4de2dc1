/**
 * The scikit-learn versions the exporter is verified against (scripts/sift_sklearn/versions.py
 * holds the same list; test/python/test_export_cli.py keeps them equal). A bundle from another
 * major.minor may still be exact — its golden examples are re-checked at start-up — but nobody has
 * measured it, so the server says so in its log and on the model's page. Pure.
 */
import type { ModelCard } from './schema';

export const SUPPORTED_SKLEARN: readonly string[] = ['1.2'];

function majorMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** A sentence when the card's scikit-learn version is not a supported one; undefined otherwise. */
export function sklearnVersionWarning(card: Pick<ModelCard, 'versions'>): string | undefined {
  const version = card.versions.sklearn;
  if (version === undefined || SUPPORTED_SKLEARN.includes(majorMinor(version))) return undefined;
  return (
    `This model was exported with scikit-learn ${version}; Sift is verified against ` +
    `${SUPPORTED_SKLEARN.map((v) => `${v}.x`).join(', ')}. Its golden examples are checked at start-up, ` +
    'but other inputs may differ: re-export it with a supported scikit-learn to be sure.'
  );
}
