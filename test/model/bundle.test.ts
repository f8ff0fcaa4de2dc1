import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BundleError, compareVersions, crossCheck, formatPath, readBundle } from '../../src/model/bundle';
import { BUNDLES, copyBundle, scratchDir } from './helpers';

const TWEETS = join(BUNDLES, 'tweets-mini');
let scratch: ReturnType<typeof scratchDir>;
let counter = 0;

beforeAll(() => {
  scratch = scratchDir();
});
afterAll(() => scratch.cleanup());

const variant = (edit: Parameters<typeof copyBundle>[2]): string =>
  copyBundle(TWEETS, join(scratch.dir, `b${counter++}`), edit);

async function problemsOf(dir: string): Promise<string[]> {
  try {
    await readBundle(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return [...(error as BundleError).problems];
  }
  throw new Error('the bundle was accepted');
}

describe('readBundle', () => {
  it('reads a valid bundle', async () => {
    const bundle = await readBundle(TWEETS);
    expect(bundle.card.name).toBe('tweets-mini');
    expect(bundle.vectorizer.width).toBe(bundle.classifier.width);
    expect(bundle.onnxPath).toBe(join(TWEETS, 'model.onnx'));
  });

  it('names a missing file', async () => {
    const dir = variant({});
    rmSync(join(dir, 'classifier.json'));
    rmSync(join(dir, 'model.onnx'));
    expect(await problemsOf(dir)).toEqual(['classifier.json: missing', 'model.onnx: missing']);
  });

  it('names a file that is not JSON', async () => {
    const dir = variant({});
    writeFileSync(join(dir, 'card.json'), '{"name": ');
    expect((await problemsOf(dir))[0]).toMatch(/^card\.json: not valid JSON/);
  });

  it('names the file and the field path of a schema violation', async () => {
    const dir = variant({
      card: (card) => {
        (card.classes as { name: string }[])[1].name = '';
      },
      vectorizer: (v) => {
        (v.blocks as { ngram_range: number[] }[])[0].ngram_range = [3, 1];
      },
    });
    const problems = await problemsOf(dir);
    expect(problems).toContainEqual(expect.stringMatching(/^card\.json: classes\[1\]\.name: /));
    expect(problems).toContainEqual('vectorizer.json: blocks[0].ngram_range: min_n is greater than max_n');
  });

  it('names the first bad element of a large array by index', async () => {
    const dir = variant({
      vectorizer: (v) => {
        const block = (v.blocks as { vocabulary: unknown[]; idf: unknown[] | null }[])[0];
        block.vocabulary[3] = 42;
        if (block.idf !== null) block.idf[5] = 'NaN';
      },
      classifier: (c) => {
        (c.coefficients as unknown[][])[0][2] = null;
      },
    });
    const problems = await problemsOf(dir);
    expect(problems).toContain('vectorizer.json: blocks[0].vocabulary[3]: expected strings');
    expect(problems).toContain('vectorizer.json: blocks[0].idf[5]: expected finite numbers');
    expect(problems).toContain('classifier.json: coefficients[0][2]: expected finite numbers');
  });

  it('refuses a vocabulary that is not an array', async () => {
    const dir = variant({
      vectorizer: (v) => void ((v.blocks as { vocabulary: unknown }[])[0].vocabulary = { fire: 0 }),
    });
    expect(await problemsOf(dir)).toContain(
      'vectorizer.json: blocks[0].vocabulary: expected an array of strings',
    );
  });

  it('refuses a newer format version, naming the file', async () => {
    const dir = variant({ classifier: (c) => void (c.format_version = 3) });
    expect(await problemsOf(dir)).toEqual([
      'classifier.json: format_version 3 is newer than this server supports (2); upgrade Sift',
    ]);
  });

  it('reads a version-2 linear classifier like a version-1 one', async () => {
    const dir = variant({
      classifier: (c) => {
        c.format_version = 2;
        c.kind = 'linear';
      },
    });
    expect((await readBundle(dir)).classifier.kind).toBe('linear');
  });

  it('names the fields of a kind onnx classifier.json', async () => {
    const dir = variant({
      classifier: (c) => {
        for (const key of Object.keys(c)) delete c[key];
        Object.assign(c, { format_version: 1, kind: 'onnx', estimator: 'X', output: 'scores' });
      },
    });
    const problems = await problemsOf(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        'classifier.json: format_version: kind onnx needs format_version 2',
        expect.stringMatching(/^classifier\.json: output: /),
        expect.stringMatching(/^classifier\.json: width: /),
      ]),
    );
  });

  it('checks that the files agree with each other', async () => {
    const dir = variant({
      unicode: (u) => void (u.unicode_version = '13.0.0'),
      card: (card) => {
        (card.versions as Record<string, string>).sklearn = '0.24.2';
        (card.inputs as { name: string }[]).splice(1, 1);
      },
    });
    const problems = await problemsOf(dir);
    expect(problems).toContain(
      'unicode.json: unicode_version: is 13.0.0, vectorizer.json unicode_version is 14.0.0',
    );
    expect(problems).toContainEqual(expect.stringMatching(/^card\.json: versions\.sklearn: is 0\.24\.2/));
    expect(problems).toContain("vectorizer.json: blocks[1].field: 'keyword' is not one of card.json inputs");
  });

  it('refuses a bundle whose Unicode is newer than this Node’s', async () => {
    const bundle = await readBundle(TWEETS);
    expect(
      crossCheck(bundle.card, bundle.vectorizer, bundle.unicode, bundle.classifier, '13.0'),
    ).toContainEqual(expect.stringMatching(/newer than this Node's Unicode 13\.0/));
    expect(crossCheck(bundle.card, bundle.vectorizer, bundle.unicode, bundle.classifier)).toEqual([]);
  });

  it('checks class counts and widths across files', async () => {
    const bundle = await readBundle(TWEETS);
    const classifier = { ...bundle.classifier, width: bundle.classifier.width + 1 };
    const card = { ...bundle.card, classes: [...bundle.card.classes, { value: 2, name: 'Other' }] };
    const problems = crossCheck(card, bundle.vectorizer, bundle.unicode, classifier);
    expect(problems).toContainEqual(
      expect.stringMatching(/^classifier\.json: width: is \d+, vectorizer\.json width/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^classifier\.json: intercepts: has 2 classes/));
  });
});

describe('helpers', () => {
  it('formats paths and compares versions', () => {
    expect(formatPath(['blocks', 0, 'idf'])).toBe('blocks[0].idf');
    expect(formatPath([])).toBe('(top level)');
    expect(compareVersions('14.0.0', '17.0')).toBeLessThan(0);
    expect(compareVersions('15.1', '15.1.0')).toBe(0);
  });
});
