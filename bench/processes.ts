/**
 * Start the servers under test as child processes (each in its own process group, so cluster and
 * gunicorn workers stop with it), wait until they answer their readiness URL, stop them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface ServerSpec {
  /** Short name used in tables: sift-2w, flask-gunicorn-2w, express-2w... */
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  port: number;
  /** Answers 200 once the server can serve predictions. */
  readyPath: string;
  readyTimeoutMs: number;
  /**
   * Where the server's stdout (its request logs) goes: /dev/null (default), a pipe the runner
   * reads and discards, as a container runtime's log collector does, or a pipe read in bursts
   * (100 ms of every 500), as a collector that falls behind on a busy host.
   */
  stdout?: 'ignore' | 'pipe' | 'slow-pipe';
}

export interface RunningServer {
  readonly spec: ServerSpec;
  readonly pid: number;
  /** Milliseconds from spawn() to the first 200 from readyPath. */
  readonly readyAfterMs: number;
  url(path: string): string;
  /** The last lines the process wrote to stderr (for error messages). */
  stderrTail(): string;
  stop(): Promise<number | null>;
}

const STDERR_KEEP = 16 * 1024;
const running = new Set<ChildProcess>();

// A crash of the runner must not leave servers holding ports and CPU.
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  let stderr = '';
  const started = performance.now();
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    // Request logs go to /dev/null unless spec.stdout asks for a pipe: the server still formats them.
    stdio: ['ignore', spec.stdout === undefined || spec.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  if (spec.stdout === 'slow-pipe' && child.stdout) {
    const out = child.stdout;
    const bursts = setInterval(() => {
      out.resume();
      setTimeout(() => out.pause(), 100).unref();
    }, 500);
    bursts.unref();
    out.pause();
    child.once('exit', () => clearInterval(bursts));
  }
  running.add(child);
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));

  const url = (path: string) => `http://127.0.0.1:${spec.port}${path}`;
  const stop = async (): Promise<number | null> => {
    if (hasExited) return exited;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    // Workers outlive a primary that exits early; the group id is the child's pid.
    killGroup(child, 'SIGKILL');
    return code;
  };

  const deadline = started + spec.readyTimeoutMs;
  let failure: string | undefined;
  void spawnError.then((error) => {
    failure = `could not start ${spec.command}: ${error.message}`;
  });
  for (;;) {
    if (failure !== undefined) break;
    if (hasExited) {
      failure = `${spec.name} exited before it was ready (exit code ${String(child.exitCode)})`;
      break;
    }
    if (await answers200(url(spec.readyPath))) break;
    if (performance.now() > deadline) {
      failure = `${spec.name} was not ready after ${spec.readyTimeoutMs} ms`;
      break;
    }
    await sleep(10);
  }
  const readyAfterMs = performance.now() - started;
  if (failure !== undefined) {
    await stop();
    throw new Error(`${failure}\n--- stderr (last lines) ---\n${stderr.split('\n').slice(-30).join('\n')}`);
  }
  return {
    spec,
    pid: child.pid ?? -1,
    readyAfterMs,
    url,
    stderrTail: () => stderr.split('\n').slice(-30).join('\n'),
    stop,
  };
}
