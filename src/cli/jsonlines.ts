/**
 * JSON-lines plumbing shared by the CLIs the Python side calls: read stdin line by line (any size,
 * constant memory), write stdout with backpressure, and stop with a message and a non-zero exit
 * code on bad input.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Each non-empty line parsed as JSON, with its 1-based line number. */
export async function* readJsonLines(input: Readable): AsyncGenerator<{ line: number; value: unknown }> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(`line ${line}: not valid JSON (${(error as Error).message})`);
    }
    yield { line, value };
  }
}

/** Writes one line, waiting when the stream's buffer is full. */
export async function writeLine(output: Writable, text: string): Promise<void> {
  if (!output.write(text + '\n')) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        output.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        output.off('drain', onDrain);
        reject(error);
      };
      output.once('drain', onDrain);
      output.once('error', onError);
    });
  }
}

/** `--name value` from argv, or undefined. */
export function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new InputError(`--${name} needs a value`);
  return value;
}

/** Runs a CLI main: prints the error and exits with 2 (bad input/usage) or 1 (anything else). */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => {
      process.exitCode = 0;
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${message}\n`);
      process.exitCode = error instanceof InputError ? 2 : 1;
    },
  );
}
