/**
 * Load generators behind one interface: wrk (C, Debian package; the default because it leaves
 * more of the 2 shared cores to the server under test) and autocannon (npm, programmatic API;
 * the fallback when wrk is missing). Both are closed-loop: each connection sends its next request
 * when the previous answer arrives; bodies cycle through a pool.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const execFileAsync = promisify(execFile);

export interface LoadSpec {
  /** Full URL, e.g. http://127.0.0.1:3000/predict?explain=true */
  url: string;
  /** JSON request bodies; connections cycle through them. */
  bodies: readonly string[];
  connections: number;
  durationSeconds: number;
  /** A request slower than this counts as a timeout error. */
  timeoutSeconds: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Connect/read/write errors and timeouts. */
  socketErrors: number;
  /** Answers with a status outside 2xx/3xx. */
  badStatus: number;
}

export interface LoadGenerator {
  readonly name: string;
  readonly version: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

/** wrk's Lua hooks: preformat every request of the pool once, then cycle; report as JSON. */
const WRK_SCRIPT = String.raw`
local requests = {}
local counter = 0
function init(args)
  local path = args[2]
  local headers = { ["Content-Type"] = "application/json" }
  -- SIFT_BENCH_API_KEY: measure a server started with API_KEYS (see benchHeaders).
  local key = os.getenv("SIFT_BENCH_API_KEY")
  if key ~= nil and key ~= "" then headers["X-API-Key"] = key end
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", path, headers, line)
  end
  -- Threads start at different points of the pool so they do not send the same bodies in step.
  counter = math.floor(#requests * (tonumber(args[3]) or 0))
end
function request()
  counter = counter % #requests + 1
  return requests[counter]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;

interface WrkJson {
  requests: number;
  duration_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function wrkVersion(): string | undefined {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const match = `${probe.stdout}${probe.stderr}`.match(/wrk\s+(\S+)/);
  return match ? match[1] : 'unknown';
}

export class WrkGenerator implements LoadGenerator {
  readonly name = 'wrk';
  private readonly workDir = mkdtempSync(join(tmpdir(), 'sift-bench-wrk-'));
  private readonly scriptPath = join(this.workDir, 'pool.lua');
  private poolFiles = new Map<readonly string[], string>();

  constructor(readonly version: string) {
    writeFileSync(this.scriptPath, WRK_SCRIPT);
    process.on('exit', () => this.close()); // also when a run fails half-way
  }

  private poolFile(bodies: readonly string[]): string {
    let file = this.poolFiles.get(bodies);
    if (file === undefined) {
      file = join(this.workDir, `pool-${this.poolFiles.size}.jsonl`);
      // JSON.stringify escapes newlines, so one body per line is unambiguous.
      writeFileSync(file, bodies.join('\n') + '\n');
      this.poolFiles.set(bodies, file);
    }
    return file;
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    const url = new URL(spec.url);
    const threads = Math.min(2, spec.connections);
    const offset = (Math.random() * 0.999).toFixed(3);
    const { stdout } = await execFileAsync(
      'wrk',
      [
        `-t${threads}`,
        `-c${spec.connections}`,
        // wrk takes whole seconds only.
        `-d${Math.max(1, Math.round(spec.durationSeconds))}s`,
        `--timeout`,
        `${spec.timeoutSeconds}s`,
        '-s',
        this.scriptPath,
        `${url.origin}/`,
        '--',
        this.poolFile(spec.bodies),
        `${url.pathname}${url.search}`,
        offset,
      ],
      { maxBuffer: 1 << 20 },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
    if (line === undefined) throw new Error(`wrk printed no result:\n${stdout}`);
    const raw = JSON.parse(line.slice('WRK_JSON '.length)) as WrkJson;
    const seconds = raw.duration_us / 1e6;
    return {
      requests: raw.requests,
      seconds,
      requestsPerSecond: raw.requests / seconds,
      latencyMs: {
        p50: raw.p50 / 1000,
        p90: raw.p90 / 1000,
        p99: raw.p99 / 1000,
        max: raw.max / 1000,
        mean: raw.mean / 1000,
      },
      socketErrors: raw.connect + raw.read + raw.write + raw.timeout,
      badStatus: raw.status,
    };
  }

  close(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

/**
 * The load's request headers: JSON, plus `X-API-Key` from SIFT_BENCH_API_KEY when set, so a Sift
 * started with API_KEYS (the environment reaches the servers) is measured as production runs it.
 */
export function benchHeaders(): Record<string, string> {
  const key = process.env.SIFT_BENCH_API_KEY;
  return { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) };
}

/** autocannon pre-encodes every request per connection: cap the pool it cycles through. */
const AUTOCANNON_POOL = 256;

export class AutocannonGenerator implements LoadGenerator {
  readonly name = 'autocannon';
  readonly version: string;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.version = (require('autocannon/package.json') as { version: string }).version;
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    const url = new URL(spec.url);
    const result = await autocannon({
      url: url.origin,
      connections: spec.connections,
      duration: spec.durationSeconds,
      timeout: spec.timeoutSeconds,
      requests: spec.bodies.slice(0, AUTOCANNON_POOL).map((body) => ({
        method: 'POST' as const,
        path: `${url.pathname}${url.search}`,
        headers: benchHeaders(),
        body,
      })),
    });
    return {
      requests: result.requests.total,
      seconds: result.duration,
      requestsPerSecond: result.requests.total / result.duration,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: result.latency.average,
      },
      socketErrors: result.errors,
      badStatus: result.non2xx,
    };
  }

  close(): void {}
}

/** wrk when installed (unless autocannon is asked for), else autocannon. */
export function chooseLoadGenerator(
  preference: 'auto' | 'wrk' | 'autocannon',
): LoadGenerator & { close(): void } {
  if (preference !== 'autocannon') {
    const version = wrkVersion();
    if (version !== undefined) return new WrkGenerator(version);
    if (preference === 'wrk')
      throw new Error('wrk is not installed: run scripts/bench-setup.sh or use --loadgen autocannon');
  }
  return new AutocannonGenerator();
}
