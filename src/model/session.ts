/**
 * The only module that touches onnxruntime-node: one inference session per model, created at
 * start-up with explicit thread options, reused for every request, released on shutdown.
 */
import { InferenceSession, Tensor, env } from 'onnxruntime-node';

export interface OnnxThreadOptions {
  /** Threads inside one operator (default 1: the server runs one process per core). */
  intraOpNumThreads?: number;
  /** Threads across operators (default 1). */
  interOpNumThreads?: number;
}

export interface ClassifierSessionSpec {
  /** Number of input features. */
  width: number;
  /** Number of classes (columns of the values output). */
  classes: number;
  /** Name of the values output: `probabilities` or `scores`. */
  valuesOutput: string;
  /** The one input: `features` float32 (default), or a sequence model's int64 token ids. */
  input?: { name: string; type: 'float32' | 'int64' };
}

export interface ClassifierSession {
  /** Runs rows × width inputs (float32 features or int64 ids); returns rows × classes float32 values. */
  run(features: Float32Array | BigInt64Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

const FEATURES_INPUT = { name: 'features', type: 'float32' } as const;

export async function openClassifierSession(
  modelPath: string,
  spec: ClassifierSessionSpec,
  threads: OnnxThreadOptions = {},
): Promise<ClassifierSession> {
  // onnxruntime prints its own coloured, non-JSON lines to stderr from the first session on (its
  // process-wide logger reads env.logLevel once). Its errors also reach us as exceptions, which the
  // JSON log records, so nothing below fatal needs its own channel.
  env.logLevel = 'fatal';
  const session = await InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads.intraOpNumThreads ?? 1,
    interOpNumThreads: threads.interOpNumThreads ?? 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // The arena keeps the largest input ever seen (a dense [rows × width] chunk) for the life of the
    // process; without it, memory returns after a large batch.
    enableCpuMemArena: false,
    enableMemPattern: false,
    logSeverityLevel: 4,
  });
  try {
    checkSignature(session, spec);
  } catch (error) {
    await session.release();
    throw error;
  }
  let released = false;
  return {
    async run(features, rows) {
      if (released) throw new Error('the ONNX session was released');
      if (features.length !== rows * spec.width) {
        throw new RangeError(`expected ${rows} × ${spec.width} features, got ${features.length} values`);
      }
      const { name, type } = spec.input ?? FEATURES_INPUT;
      if ((type === 'int64') !== features instanceof BigInt64Array) {
        throw new TypeError(`input '${name}' takes ${type} values`);
      }
      const input =
        features instanceof BigInt64Array
          ? new Tensor('int64', features, [rows, spec.width])
          : new Tensor('float32', features, [rows, spec.width]);
      const result = await session.run({ [name]: input }, [spec.valuesOutput]);
      const output = result[spec.valuesOutput];
      if (output === undefined || output.type !== 'float32') {
        throw new Error(`model.onnx returned no float32 '${spec.valuesOutput}' output`);
      }
      const values = output.data as Float32Array;
      if (values.length !== rows * spec.classes) {
        throw new Error(
          `model.onnx returned ${values.length} values for ${rows} rows × ${spec.classes} classes`,
        );
      }
      return values;
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

function checkSignature(session: InferenceSession, spec: ClassifierSessionSpec): void {
  const { name, type } = spec.input ?? FEATURES_INPUT;
  if (session.inputNames.length !== 1 || session.inputNames[0] !== name) {
    throw new Error(`model.onnx: expected one input '${name}', found [${session.inputNames.join(', ')}]`);
  }
  const input = session.inputMetadata[0];
  if (input !== undefined && input.isTensor) {
    if (input.type !== type) throw new Error(`model.onnx: input '${name}' is ${input.type}, not ${type}`);
    const last = input.shape[input.shape.length - 1];
    if (input.shape.length !== 2 || (typeof last === 'number' && last !== spec.width)) {
      throw new Error(
        `model.onnx: input shape [${input.shape.join(', ')}] does not match width ${spec.width}`,
      );
    }
  }
  if (!session.outputNames.includes(spec.valuesOutput)) {
    throw new Error(
      `model.onnx: no '${spec.valuesOutput}' output (outputs: ${session.outputNames.join(', ') || 'none'})`,
    );
  }
}
