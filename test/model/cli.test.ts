import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main as parityMain } from '../../src/cli/parity';
import { main as stemMain } from '../../src/cli/stem';
import { InputError } from '../../src/cli/jsonlines';
import { BUNDLES } from './helpers';

type Main = (args: readonly string[], input: Readable, output: PassThrough) => Promise<void>;

async function run(
  main: Main,
  args: string[],
  lines: string[],
): Promise<{ lines: string[]; error?: unknown }> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  let error: unknown;
  try {
    await main(args, Readable.from(lines.map((l) => `${l}\n`)), output);
  } catch (e) {
    error = e;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return { lines: text === '' ? [] : text.trimEnd().split('\n'), error };
}

describe('stem CLI', () => {
  it('stems JSON lines in order', async () => {
    const tokens = ['running', 'generously', 'été', '😀', 'ponies'];
    const result = await run(
      stemMain,
      ['--stemmer', 'porter'],
      tokens.map((t) => JSON.stringify(t)),
    );
    expect(result.error).toBeUndefined();
    expect(result.lines.map((l) => JSON.parse(l))).toEqual(['run', 'gener', 'été', '😀', 'poni']);
  });

  it('handles many lines', async () => {
    const tokens = Array.from({ length: 20000 }, (_, i) => JSON.stringify(`connections${i}`));
    const result = await run(stemMain, ['--stemmer', 'lancaster'], tokens);
    expect(result.lines).toHaveLength(20000);
  });

  it('rejects bad input and usage with an InputError', async () => {
    expect((await run(stemMain, ['--stemmer', 'porter'], ['"a"', '42'])).error).toEqual(
      new InputError('line 2: expected a JSON string, got number'),
    );
    expect((await run(stemMain, ['--stemmer', 'porter'], ['{'])).error).toBeInstanceOf(InputError);
    expect((await run(stemMain, ['--stemmer', 'snowball'], [])).error).toBeInstanceOf(InputError);
    expect((await run(stemMain, [], [])).error).toBeInstanceOf(InputError);
  });
});

describe('parity CLI', () => {
  const dir = join(BUNDLES, 'tweets-mini');
  const card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as {
    golden: { inputs: Record<string, string>; values: number[] }[];
  };

  it.each(['linear', 'onnx'])('answers analyzed terms, sorted features and values (%s)', async (path) => {
    const inputs = card.golden.map((g) => JSON.stringify({ inputs: g.inputs }));
    const result = await run(parityMain, ['--bundle', dir, '--path', path], inputs);
    expect(result.error).toBeUndefined();
    expect(result.lines).toHaveLength(card.golden.length);
    result.lines.forEach((line, i) => {
      const out = JSON.parse(line) as {
        analyzed: string[][];
        features: [number, number][];
        values: number[];
        class_index: number;
        positives: number[];
      };
      expect(out.analyzed).toHaveLength(3);
      const columns = out.features.map((f) => f[0]);
      expect(columns).toEqual([...columns].sort((a, b) => a - b));
      out.values.forEach((v, k) => expect(Math.abs(v - card.golden[i].values[k])).toBeLessThan(1e-5));
      expect(out.positives).toEqual([out.class_index]);
    });
  });

  it('rejects bad lines after answering the good ones', async () => {
    const result = await run(
      parityMain,
      ['--bundle', dir],
      ['{"inputs": {"text": "fire"}}', '{"inputs": {"text": 1}}'],
    );
    expect(result.lines).toHaveLength(1);
    expect(result.error).toEqual(new InputError('line 2: inputs.text is not a string'));
  });

  it('rejects a folder without a vectorizer', async () => {
    const result = await run(parityMain, ['--bundle', join(BUNDLES, 'nope')], []);
    expect(result.error).toBeInstanceOf(InputError);
    expect(String(result.error)).toMatch(/vectorizer\.json: missing/);
  });
});
