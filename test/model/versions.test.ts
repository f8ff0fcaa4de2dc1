import path from 'node:path';
import { loadModel } from '../../src/model/classifier';
import { SUPPORTED_SKLEARN, sklearnVersionWarning } from '../../src/model/versions';
import type { LoadedModel } from '../../src/model/types';
import { buildIndexView } from '../../src/web/index-view';
import { renderView } from '../../src/web/render';

describe('bundles from another scikit-learn version', () => {
  it('warns for another major or minor version only', () => {
    expect(sklearnVersionWarning({ versions: { sklearn: `${SUPPORTED_SKLEARN[0]}.7` } })).toBeUndefined();
    expect(sklearnVersionWarning({ versions: {} })).toBeUndefined();
    const warning = sklearnVersionWarning({ versions: { sklearn: '1.6.1' } });
    expect(warning).toContain('scikit-learn 1.6.1');
    expect(warning).toContain('re-export');
  });

  it('the model page shows the warning', async () => {
    const model = await loadModel(path.resolve(__dirname, '..', '..', 'artifacts', 'airline-sentiment'));
    try {
      const card = { ...model.card, versions: { ...model.card.versions, sklearn: '1.6.1' } };
      const other = Object.create(model, { card: { value: card } }) as LoadedModel;
      const limits = { maxTextChars: 100, maxCsvRows: 10, maxUploadBytes: 1000 };
      const shipped = renderView('index', {
        page: { title: 't' },
        view: buildIndexView([model], model, { values: {} }, limits),
      });
      expect(shipped).not.toContain('id="version-warning"');
      const html = renderView('index', {
        page: { title: 't' },
        view: buildIndexView([other], other, { values: {} }, limits),
      });
      expect(html).toContain('id="version-warning"');
      expect(html).toContain('exported with scikit-learn 1.6.1');
    } finally {
      await model.close();
    }
  });
});
