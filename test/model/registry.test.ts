import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '../../src/model/registry';
import { BUNDLES, copyBundle, scratchDir } from './helpers';

describe('loadRegistry', () => {
  let scratch: ReturnType<typeof scratchDir>;
  beforeAll(() => {
    scratch = scratchDir();
  });
  afterAll(() => scratch.cleanup());

  it('loads every bundle folder, sorted by name, defaulting to the first', async () => {
    const registry = await loadRegistry(BUNDLES);
    try {
      expect(registry.list().map((m) => m.name)).toEqual(['sentiment-mini', 'toxic-mini', 'tweets-mini']);
      expect(registry.defaultModel).toBe('sentiment-mini');
      expect(registry.get('toxic-mini')?.status()).toEqual({ ready: true });
      expect(registry.get('nope')).toBeUndefined();
      expect(registry.skipped).toEqual([]);
    } finally {
      await registry.close();
    }
    expect(registry.list().every((m) => !m.status().ready)).toBe(true);
  });

  it('honours DEFAULT_MODEL and refuses one that is not loaded', async () => {
    const registry = await loadRegistry(BUNDLES, { defaultModel: 'toxic-mini' });
    expect(registry.defaultModel).toBe('toxic-mini');
    await registry.close();
    await expect(loadRegistry(BUNDLES, { defaultModel: 'missing' })).rejects.toThrow(
      /default model 'missing' is not in .* \(models: sentiment-mini, toxic-mini, tweets-mini\)/,
    );
    await expect(loadRegistry(BUNDLES, { requiredModels: ['tweets-mini', 'gone'] })).rejects.toThrow(
      /required model 'gone' is not in /,
    );
  });

  it("prefers 'disaster-tweets' when there is no DEFAULT_MODEL", async () => {
    const dir = join(scratch.dir, 'fallback');
    copyBundle(join(BUNDLES, 'sentiment-mini'), join(dir, 'a'));
    copyBundle(join(BUNDLES, 'tweets-mini'), join(dir, 'z'), {
      card: (c) => void (c.name = 'disaster-tweets'),
    });
    const registry = await loadRegistry(dir);
    expect(registry.defaultModel).toBe('disaster-tweets');
    await registry.close();
  });

  it('skips broken bundles and duplicate names, with reasons', async () => {
    const dir = join(scratch.dir, 'mixed');
    copyBundle(join(BUNDLES, 'tweets-mini'), join(dir, 'good'));
    copyBundle(join(BUNDLES, 'tweets-mini'), join(dir, 'twin'));
    copyBundle(join(BUNDLES, 'toxic-mini'), join(dir, 'broken'), {
      vectorizer: (v) => void (v.format_version = 9),
    });
    copyBundle(join(BUNDLES, 'toxic-mini'), join(dir, 'pattern'), {
      card: (c) => void (c.name = 'pattern'),
      vectorizer: (v) => void ((v.blocks as { token_pattern: string }[])[0].token_pattern = '(?i:\\w+)'),
    });
    copyBundle(join(BUNDLES, 'toxic-mini'), join(dir, 'onnx'), { card: (c) => void (c.name = 'onnx') });
    writeFileSync(join(dir, 'onnx', 'model.onnx'), 'not a model');
    writeFileSync(join(dir, 'README.txt'), 'not a bundle');
    const registry = await loadRegistry(dir);
    try {
      expect(registry.list().map((m) => m.name)).toEqual(['tweets-mini']);
      // Broken bundles stay registered under their card's name, with the reason (no absolute path).
      expect(registry.failed).toEqual([
        { name: 'onnx', folder: 'onnx', reason: expect.stringMatching(/^model\.onnx: /) },
        { name: 'pattern', folder: 'pattern', reason: expect.stringMatching(/^vectorizer\.json: /) },
        { name: 'toxic-mini', folder: 'broken', reason: expect.stringMatching(/format_version 9 is newer/) },
      ]);
      expect(registry.failed.map((f) => f.reason).join()).not.toContain(dir);
      expect(registry.skipped).toEqual([
        { folder: 'broken', reason: expect.stringMatching(/vectorizer\.json: format_version 9 is newer/) },
        { folder: 'onnx', reason: expect.stringMatching(/model\.onnx: /) },
        {
          folder: 'pattern',
          reason: expect.stringMatching(
            /vectorizer\.json: blocks\[0\] \(field text\): token_pattern .*IGNORECASE/,
          ),
        },
        { folder: 'twin', reason: expect.stringMatching(/card name 'tweets-mini' is already served/) },
      ]);
    } finally {
      await registry.close();
    }
  });

  it('keeps a broken default as the default (no other model answers in its place)', async () => {
    const dir = join(scratch.dir, 'broken-default');
    copyBundle(join(BUNDLES, 'sentiment-mini'), join(dir, 'airline'));
    copyBundle(join(BUNDLES, 'tweets-mini'), join(dir, 'disaster-tweets'), {
      card: (c) => void (c.name = 'disaster-tweets'),
    });
    writeFileSync(join(dir, 'disaster-tweets', 'model.onnx'), 'truncated');
    // An unreadable card: the folder names the model.
    copyBundle(join(BUNDLES, 'toxic-mini'), join(dir, 'garbled'));
    writeFileSync(join(dir, 'garbled', 'card.json'), '{"name": ');
    const fallback = await loadRegistry(dir);
    const named = await loadRegistry(dir, { defaultModel: 'garbled', requiredModels: ['garbled'] });
    try {
      expect(fallback.defaultModel).toBe('disaster-tweets');
      expect(fallback.get('disaster-tweets')).toBeUndefined();
      expect(fallback.failed.map((f) => [f.name, f.folder])).toEqual([
        ['disaster-tweets', 'disaster-tweets'],
        ['garbled', 'garbled'],
      ]);
      expect(named.defaultModel).toBe('garbled');
    } finally {
      await fallback.close();
      await named.close();
    }
  });

  it('throws naming every folder and its problem when no bundle is usable', async () => {
    const dir = join(scratch.dir, 'none');
    copyBundle(join(BUNDLES, 'tweets-mini'), join(dir, 'one'));
    rmSync(join(dir, 'one', 'unicode.json'));
    mkdirSync(join(dir, 'two'));
    await expect(loadRegistry(dir)).rejects.toThrow(
      /no usable model bundle[\s\S]*- one: [\s\S]*unicode\.json: missing[\s\S]*- two: [\s\S]*card\.json: missing/,
    );
    const empty = join(scratch.dir, 'empty');
    mkdirSync(empty);
    await expect(loadRegistry(empty)).rejects.toThrow(/no model bundles in/);
    await expect(loadRegistry(join(scratch.dir, 'absent'))).rejects.toThrow(
      /cannot read the artifacts folder/,
    );
  });
});
