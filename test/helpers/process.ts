/**
 * Spawn the real server entry point (src/server.ts) as a child process and watch its output.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(__dirname, 'ts-register.js');

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stdout line matching `pattern` (rejects on exit or timeout). */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnServer(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  script = 'src/server.ts',
): ServerProcess {
  const child = spawn(process.execPath, ['-r', REGISTER, script, ...args], {
    cwd: REPO_ROOT,
    // One process unless a test asks for workers: the default follows the machine's CPUs (config.ts).
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      WEB_CONCURRENCY: '1',
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const waitFor = (pattern: RegExp, timeoutMs = 45_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = out.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          cleanup();
          resolve(line);
        }
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`server exited before ${pattern}: ${err || out}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${pattern}: ${err || out}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.off('exit', onExit);
      };
      child.stdout.on('data', check);
      child.once('exit', onExit);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** The URL in the "sift listening on http://..." line. */
export function listeningUrl(line: string): string {
  const match = /sift listening on (http:\/\/[^\s]+)/.exec(line);
  if (match === null) throw new Error(`no URL in ${line}`);
  return match[1];
}
