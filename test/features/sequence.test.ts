import { join } from 'node:path';
import { createSequenceEncoder } from '../../src/features/sequence';
import { sequenceBlockSchema, type SequenceBlock } from '../../src/model/sequence-schema';
import { kerasTokens, padSequence } from '../../src/text/keras';
import { python311Unicode, readJson } from '../text/helpers';

interface Padded {
  maxlen: number;
  padding: 'pre' | 'post';
  truncating: 'pre' | 'post';
  value: number;
  rows: number[][];
}
interface Case {
  name: string;
  block: unknown;
  tokens: string[][];
  sequences?: number[][];
  padded: Padded[];
}
interface Fixture {
  keras_preprocessing_version: string;
  texts: string[];
  keras: Case[];
  vocabulary: Case[];
}

// Written by keras_preprocessing's own Tokenizer / pad_sequences (scripts/gen_sequence_fixtures.py)
// on synthetic tweets, the parity fixtures' hard strings and edge strings.
const fixture = readJson<Fixture>(join(__dirname, '..', 'fixtures', 'sequence', 'tokenizers.json'));
const uni = python311Unicode();

describe.each([...fixture.keras, ...fixture.vocabulary].map((c) => [c.name, c] as const))(
  'sequence block %s matches Python',
  (_name, c) => {
    const block = sequenceBlockSchema.parse(c.block);
    const encoder = createSequenceEncoder(block, uni);

    it('tokens', () => {
      fixture.texts.forEach((text, i) => expect([i, encoder.tokenize(text)]).toEqual([i, c.tokens[i]]));
    });

    if (c.sequences !== undefined) {
      const sequences = c.sequences;
      it('texts_to_sequences', () => {
        fixture.texts.forEach((text, i) =>
          expect([i, encoder.encodeRow({ text }).ids]).toEqual([i, sequences[i]]),
        );
      });
    }

    it.each(c.padded.map((p) => [`${p.maxlen} ${p.padding}/${p.truncating} value ${p.value}`, p] as const))(
      'padded %s',
      (_label, p) => {
        const padded: SequenceBlock = {
          ...block,
          maxlen: p.maxlen,
          padding: p.padding,
          truncating: p.truncating,
          pad_value: p.value,
        };
        const e = createSequenceEncoder(padded, uni);
        fixture.texts.forEach((text, i) => expect([i, e.encodeRow({ text }).padded]).toEqual([i, p.rows[i]]));
      },
    );
  },
);

describe('keras tokens and padding', () => {
  const options = { filters: '!,', lower: true, split: ' ', char_level: false };

  it('lowercases with Python rules (final sigma, İ → i̇) before filtering', () => {
    expect(kerasTokens('ΣΑΣ İ,x!', options, uni)).toEqual(['σας', 'i\u0307', 'x']);
  });

  it('splits char_level text by code points, astral characters whole', () => {
    expect(kerasTokens('a🔥B', { ...options, char_level: true }, uni)).toEqual(['a', '🔥', 'b']);
  });

  it('refuses an empty split as Python does', () => {
    expect(() => kerasTokens('a b', { ...options, split: '' }, uni)).toThrow(/empty/);
  });

  it('pads and truncates on either side', () => {
    const ids = [1, 2, 3, 4, 5];
    expect(padSequence(ids, { maxlen: 3, padding: 'pre', truncating: 'pre', value: 0 })).toEqual([3, 4, 5]);
    expect(padSequence(ids, { maxlen: 3, padding: 'pre', truncating: 'post', value: 0 })).toEqual([1, 2, 3]);
    expect(padSequence([7], { maxlen: 3, padding: 'pre', truncating: 'pre', value: 9 })).toEqual([9, 9, 7]);
    expect(padSequence([7], { maxlen: 3, padding: 'post', truncating: 'pre', value: 9 })).toEqual([7, 9, 9]);
    expect(padSequence([], { maxlen: 2, padding: 'post', truncating: 'pre', value: 0 })).toEqual([0, 0]);
  });

  it('int64 tensor data row by row', () => {
    const block = sequenceBlockSchema.parse(fixture.keras[0].block);
    const encoder = createSequenceEncoder(block, uni);
    const data = encoder.toTensorData([encoder.encodeRow({ text: 'fire fire' }).padded, encoder.pad([])]);
    expect(data).toHaveLength(2 * block.maxlen);
    expect(data[block.maxlen - 1]).toBe(BigInt(block.ids[block.vocabulary.indexOf('fire')]));
  });
});

describe('sequence block schema', () => {
  const base = fixture.keras[1].block as Record<string, unknown>;

  it('refuses ids that do not match the vocabulary', () => {
    const result = sequenceBlockSchema.safeParse({ ...base, ids: [1] });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(/ids for/);
  });

  it('refuses an oov_id that is not the id of oov_token', () => {
    const result = sequenceBlockSchema.safeParse({ ...base, oov_id: 999_999 });
    expect(JSON.stringify(result.error?.issues)).toMatch(/not the id of oov_token/);
  });

  it('refuses an empty split and a repeated token', () => {
    const tokenizer = { ...(base.tokenizer as object), split: '' };
    expect(sequenceBlockSchema.safeParse({ ...base, tokenizer }).success).toBe(false);
    const vocabulary = [...(base.vocabulary as string[])];
    vocabulary[1] = vocabulary[0];
    expect(JSON.stringify(sequenceBlockSchema.safeParse({ ...base, vocabulary }).error?.issues)).toMatch(
      /repeats/,
    );
  });
});
