/**
 * `node dist/cli/stem.js --stemmer porter|lancaster`: JSON lines of strings on stdin → JSON lines of
 * their stems on stdout, in the same order. train.py stems with this so that training and serving
 * use the very same stemmer code.
 */
import { getStemmer, STEMMER_NAMES, type StemmerName } from '../text/stem';
import type { Readable, Writable } from 'node:stream';
import { InputError, option, readJsonLines, runCli, writeLine } from './jsonlines';

const USAGE = `usage: node dist/cli/stem.js --stemmer ${STEMMER_NAMES.join('|')} < tokens.jsonl > stems.jsonl`;

export async function main(args: readonly string[], input: Readable, output: Writable): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    output.write(`${USAGE}\n`);
    return;
  }
  const name = option(args, 'stemmer');
  if (name === undefined || !(STEMMER_NAMES as readonly string[]).includes(name)) {
    throw new InputError(
      `${name === undefined ? 'missing --stemmer' : `unknown stemmer '${name}'`}\n${USAGE}`,
    );
  }
  const stem = getStemmer(name as StemmerName);
  for await (const { line, value } of readJsonLines(input)) {
    if (typeof value !== 'string')
      throw new InputError(`line ${line}: expected a JSON string, got ${typeof value}`);
    await writeLine(output, JSON.stringify(stem(value)));
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2), process.stdin, process.stdout));
