/**
 * The production logger (createLogger without a destination) writes stdout asynchronously through a
 * bounded buffer: a child process logs through it into a real pipe, the way a container runtime
 * collects stdout.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'helpers', 'ts-register.js');
const LOGGING = path.join(ROOT, 'src', 'ops', 'logging.ts');

interface Child {
  stdout: Promise<string>;
  stderrLine: (pattern: RegExp) => Promise<string>;
  readStdout: () => void;
  exited: Promise<number | null>;
}

/** Runs `body` with `logger` (createLogger({ logLevel: 'info' })) in a fresh node process. */
function runChild(body: string, { readStdoutAtOnce }: { readStdoutAtOnce: boolean }): Child {
  const script = `const { createLogger } = require(${JSON.stringify(LOGGING)});
const logger = createLogger({ logLevel: 'info' });
${body}`;
  const child = spawn(process.execPath, ['-r', REGISTER, '-e', script], { cwd: ROOT });
  let out = '';
  let err = '';
  const stdout = new Promise<string>((resolve) => {
    child.stdout.on('end', () => resolve(out));
  });
  const readStdout = () => child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  if (readStdoutAtOnce) readStdout();
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stderrLine = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = err.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) resolve(line);
      };
      child.stderr.on('data', check);
      void exited.then(() => {
        check();
        reject(new Error(`child exited without ${String(pattern)}; stderr:\n${err}`));
      });
    });
  return { stdout, stderrLine, readStdout, exited };
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the stdout logger', () => {
  it('writes every buffered line before process.exit() ends the process', async () => {
    const child = runChild(
      `for (let i = 0; i < 2000; i += 1) logger.info({ i }, 'line');
logger.fatal('last words');
process.exit(3);`,
      { readStdoutAtOnce: true },
    );
    expect(await child.exited).toBe(3);
    const written = lines(await child.stdout);
    expect(written).toHaveLength(2001);
    expect(written[1999]).toMatchObject({ i: 1999, msg: 'line', service: 'sift' });
    expect(written[2000]).toMatchObject({ level: 'fatal', msg: 'last words' });
  });

  it('holds at most LOG_BUFFER_BYTES when lines come faster than stdout takes them: drops the rest and says so', async () => {
    // ~45 MB of lines in one turn of the event loop: nothing can be written before it ends, so an
    // unbounded buffer (pino's default) would hold all of it.
    const child = runChild(
      `const pad = 'x'.repeat(400);
for (let i = 0; i < 100000; i += 1) logger.info({ i, pad }, 'line');
setImmediate(() => process.stderr.write('loop free\\n'));`,
      { readStdoutAtOnce: false },
    );
    await child.stderrLine(/^loop free$/);
    child.readStdout();
    expect(await child.exited).toBe(0);
    const written = lines(await child.stdout);
    const dropped = written.find((l) => l.msg === 'log lines dropped: stdout was not read fast enough');
    expect(dropped).toMatchObject({ level: 'warn' });
    const kept = written.filter((l) => l.msg === 'line');
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length + Number(dropped?.dropped)).toBe(100000);
    // The lines kept are whole and in order.
    const order = kept.map((l) => Number(l.i));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
