/**
 * `node dist/cli/parity.js --bundle DIR [--path linear|onnx]`: JSON lines `{"inputs": {field: text}}`
 * on stdin → one JSON line per input on stdout:
 *   {"analyzed": [[terms of each block, in sklearn's analyzer order]],
 *    "features": [[column, value], ...] (ascending columns, float32 values),
 *    "values": [...], "class_index": k, "positives": [...]}
 * The Python side compares these with sklearn. Only vectorizer.json and unicode.json are required;
 * without classifier.json the lines have no values/class_index/positives. `--path onnx` also needs
 * the full bundle (model.onnx) and runs the classifier through onnxruntime.
 */
import { resolve } from 'node:path';
import { createVectorizer, type VectorizedRow, type Vectorizer } from '../features/vectorizer';
import { BUNDLE_FILES, readBundle, readJsonFile } from '../model/bundle';
import { SiftModel } from '../model/classifier';
import {
  applyPostTransform,
  argmax,
  createLinearLayer,
  decisionScores,
  type LinearLayer,
} from '../model/linear';
import { classifierSchema, unicodeTablesSchema, vectorizerSchema } from '../model/schema';
import type { InputRow } from '../model/types';
import { compileUnicode } from '../text/unicode';
import type { Readable, Writable } from 'node:stream';
import { InputError, option, readJsonLines, runCli, writeLine } from './jsonlines';

const USAGE =
  'usage: node dist/cli/parity.js --bundle DIR [--path linear|onnx] < inputs.jsonl > outputs.jsonl';

interface Scorer {
  vectorizer: Vectorizer;
  score(
    rows: VectorizedRow[],
    inputs: InputRow[],
  ): Promise<{ values: number[]; classIndex: number; positives: number[] }[]>;
  close(): Promise<void>;
}

async function linearScorer(dir: string): Promise<Scorer> {
  const problems: string[] = [];
  const [vectorizerSpec, unicode, classifier] = await Promise.all([
    readJsonFile(dir, BUNDLE_FILES.vectorizer, vectorizerSchema, problems),
    readJsonFile(dir, BUNDLE_FILES.unicode, unicodeTablesSchema, problems),
    readJsonFile(dir, BUNDLE_FILES.classifier, classifierSchema, problems, { optional: true }),
  ]);
  if (problems.length > 0 || vectorizerSpec === undefined || unicode === undefined) {
    throw new InputError(`${dir}:\n  ${problems.join('\n  ')}`);
  }
  const vectorizer = createVectorizer(vectorizerSpec, compileUnicode(unicode));
  if (classifier?.kind === 'onnx') {
    throw new InputError(
      `${dir}: its classifier (${classifier.estimator}) runs only through ONNX; use --path onnx`,
    );
  }
  const layer: LinearLayer | null = classifier === undefined ? null : createLinearLayer(classifier);
  return {
    vectorizer,
    async score(rows) {
      if (layer === null) return [];
      return rows.map((row) => {
        const z = decisionScores(layer, row);
        const classIndex = argmax(z, layer.ties);
        const positives = layer.multilabel ? [...z.keys()].filter((k) => z[k] > 0) : [classIndex];
        return {
          values: Array.from(applyPostTransform(layer.postTransform, z, layer.multilabel)),
          classIndex,
          positives,
        };
      });
    },
    close: async () => undefined,
  };
}

async function onnxScorer(dir: string): Promise<Scorer> {
  const model = await SiftModel.load(await readBundle(dir));
  return {
    vectorizer: model.vectorizer,
    async score(_rows, inputs) {
      const results = await model.predictVia('onnx', inputs);
      return results.map((r) => ({
        values: Array.from(r.values),
        classIndex: r.argmaxIndex,
        positives: r.positives,
      }));
    },
    close: () => model.close(),
  };
}

function parseInputs(line: number, value: unknown): InputRow {
  const inputs = (value as { inputs?: unknown } | null)?.inputs;
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new InputError(`line ${line}: expected {"inputs": {field: text}}`);
  }
  for (const [field, text] of Object.entries(inputs)) {
    if (typeof text !== 'string') throw new InputError(`line ${line}: inputs.${field} is not a string`);
  }
  return inputs as InputRow;
}

const BATCH = 256;

export async function main(args: readonly string[], input: Readable, output: Writable): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    output.write(`${USAGE}\n`);
    return;
  }
  const bundle = option(args, 'bundle');
  if (bundle === undefined) throw new InputError(`missing --bundle\n${USAGE}`);
  const path = option(args, 'path') ?? 'linear';
  if (path !== 'linear' && path !== 'onnx') throw new InputError(`unknown --path '${path}'\n${USAGE}`);
  const dir = resolve(bundle);
  const scorer = path === 'onnx' ? await onnxScorer(dir) : await linearScorer(dir);
  try {
    let pending: InputRow[] = [];
    const flush = async (): Promise<void> => {
      const rows = pending.map((inputs) => scorer.vectorizer.transformRow(inputs));
      const scores = await scorer.score(rows, pending);
      for (let i = 0; i < pending.length; i++) {
        const row = rows[i];
        const features = Array.from(row.indices, (column, k) => [column, row.values[k]]);
        const out: Record<string, unknown> = { analyzed: scorer.vectorizer.analyzeRow(pending[i]), features };
        const score = scores[i];
        if (score !== undefined) {
          out.values = score.values;
          out.class_index = score.classIndex;
          out.positives = score.positives;
        }
        await writeLine(output, JSON.stringify(out));
      }
      pending = [];
    };
    try {
      for await (const { line, value } of readJsonLines(input)) {
        pending.push(parseInputs(line, value));
        if (pending.length >= BATCH) await flush();
      }
    } finally {
      // Lines before a bad one are still answered, so the caller sees how far it got.
      await flush();
    }
  } finally {
    await scorer.close();
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2), process.stdin, process.stdout));
