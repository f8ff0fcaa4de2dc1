/** Command-line options of `npm run bench -- [options]` (pure parsing, no I/O). */

export interface BenchOptions {
  quick: boolean;
  profile: boolean;
  /** Only section 0 (server CPU per request, light pipeline): quick to repeat while working on the request path. */
  lightOnly: boolean;
  /** Instead of the comparison: the one-worker tail-latency study (tail.ts). */
  tail: boolean;
  tailRounds: number;
  /** --tail: dist/server.js of another build, run beside this one (e.g. the commit before a change). */
  tailBaseline?: string;
  /** --tail: only the variants whose names contain one of these (bare Express always runs). */
  tailOnly: string[];
  help: boolean;
  loadGenerator: 'auto' | 'wrk' | 'autocannon';
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  batchSizes: number[];
  batchConnections: number;
  explainConnections: number[];
  startupRuns: number;
  inProcessSeconds: number;
  artifactsDir: string;
  model: string;
  dataDir: string;
  /** The seeds' training CSV; default DATA_DIR/<model>/<card.data.file>. */
  trainCsv?: string;
  outDir: string;
  /** Seconds the run may spend waiting for other work on the machine to calm down (0: never wait). */
  waitIdleSeconds: number;
  /** Re-render the report of a saved run-*.json instead of running. */
  render?: string;
  /** Rows of ../shared/data mixed into the pool when the file is there (0: generated only). */
  realRows: number;
  /** Seconds after the last load before the "settled" RSS sample. */
  settleSeconds: number;
  /** The light pipeline (word 1–2 TF-IDF + LR) for the CPU-per-request comparison, one process each. */
  lightArtifactsDir: string;
  lightModel: string;
  /** Connection counts of the light comparison ([] skips it). */
  lightConnections: number[];
  /**
   * Interleaved rounds of the CPU-per-request comparisons the targets judge (light pipeline and
   * default model, one process each, 32 connections): each contender's lowest round counts, so a
   * burst of other work on a shared machine cannot decide a target.
   */
  cpuRounds: number;
}

export const USAGE = `npm run bench -- [options]

Compares Sift with the seeds' stack (Flask + scikit-learn under gunicorn) and bare Express in one
run on this machine; prints a Markdown table and writes bench/results/latest.{md,json,svg}
(latest-quick.* for --quick) and a timestamped run-*.json.

  --quick                 smoke run (~1 min): 1 s per measurement, 32 connections, batches 1 and 100
  --profile               instead of the comparison: CPU-profile Sift under load (node --cpu-prof)
                          and summarise where the time goes (bench/results/profile.md)
  --light-only            only section 0 (server CPU per request, light pipeline), ~1 minute per
                          connection count (~3 at 32, with --cpu-rounds 3); prints the µs/request
                          lines, writes no report
  --tail                  instead of the comparison: one worker at 32 connections, bare Express and
                          Sift started several ways (node flags, no access log, stdout a pipe), in
                          interleaved rounds, with event-loop delay and GC pauses per window
                          (bench/results/tail.md)
  --tail-rounds N         rounds of --tail (default 3)
  --tail-baseline FILE    --tail: also run this server.js (another build, e.g. the commit before a
                          change) with npm start's flags, stdout /dev/null and a pipe
  --tail-only A,B         --tail: only the variants whose names contain A or B (and bare Express)
  --loadgen wrk|autocannon  load generator (default: wrk when installed, else autocannon)
  --duration S            seconds per measurement (default 6)
  --warmup S              seconds of warm-up before each measurement (default 2)
  --connections 1,8,32,128  single-text connection counts
  --batch-sizes 1,10,100,1000  rows per batch request
  --batch-connections N   connections for the batch measurements (default 8)
  --startup-runs N        start-up repetitions (default 5)
  --artifacts DIR         model bundles for Sift (default artifacts)
  --model NAME            the default model, the one the bench sends to (default disaster-tweets)
  --data-dir DIR          training data (default ../shared/data): the seeds' model trains on
                          DIR/<model>/train.csv; real tweets from it join the request pool
  --train-csv FILE        the seeds' training CSV (default DATA_DIR/<model>/train.csv)
  --real-rows N           rows of real tweets mixed into the pool (default 2000; 0 = none)
  --wait-idle S           on a shared machine: before each measurement wait until the cores are
                          mostly idle (other users' work), spending at most S seconds in total
  --out DIR               where the results go (default bench/results)
  --render FILE           print (and write as latest.*) the report of a saved run-*.json
  --light-artifacts DIR   bundles for the light-pipeline CPU comparison (default test/fixtures/bundles)
  --light-model NAME      its word 1-2 TF-IDF + LogisticRegression bundle (default sentiment-mini)
  --light-connections 1,8,32,128  connection counts of that comparison
  --cpu-rounds N          interleaved rounds of the CPU-per-request comparisons the targets judge
                          (light pipeline and default model, one process each, 32 connections;
                          default 3, --quick 1): each contender's lowest round counts
  --settle S              seconds of quiet after the load before the "settled" RSS sample
                          (default 15: V8 gives back the garbage of the load when idle)
`;

const DEFAULTS: BenchOptions = {
  quick: false,
  profile: false,
  lightOnly: false,
  tail: false,
  tailRounds: 3,
  tailOnly: [],
  help: false,
  loadGenerator: 'auto',
  durationSeconds: 6,
  warmupSeconds: 2,
  connections: [1, 8, 32, 128],
  batchSizes: [1, 10, 100, 1000],
  batchConnections: 8,
  explainConnections: [32],
  startupRuns: 5,
  inProcessSeconds: 3,
  artifactsDir: 'artifacts',
  model: 'disaster-tweets',
  dataDir: '../shared/data',
  outDir: 'bench/results',
  realRows: 2000,
  waitIdleSeconds: 0,
  settleSeconds: 15,
  lightArtifactsDir: 'test/fixtures/bundles',
  lightModel: 'sentiment-mini',
  lightConnections: [1, 8, 32, 128],
  cpuRounds: 3,
};

const QUICK: Partial<BenchOptions> = {
  durationSeconds: 1,
  warmupSeconds: 1,
  connections: [32],
  batchSizes: [1, 100],
  startupRuns: 1,
  inProcessSeconds: 0.5,
  realRows: 500,
  settleSeconds: 5,
  lightConnections: [32],
  cpuRounds: 1,
};

function positiveList(name: string, raw: string): number[] {
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`--${name} expects positive whole numbers separated by commas, got "${raw}"`);
  }
  return values;
}

function positiveNumber(name: string, raw: string, allowZero = false): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Error(`--${name} expects a positive number, got "${raw}"`);
  }
  return value;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const flags = new Set(['quick', 'profile', 'light-only', 'tail', 'help']);
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '-h') {
      given.set('help', '');
      continue;
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"\n\n${USAGE}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (flags.has(name)) {
      given.set(name, '');
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (inline === undefined) i += 1;
    if (value === undefined) throw new Error(`--${name} needs a value\n\n${USAGE}`);
    given.set(name, value);
  }

  const options: BenchOptions = { ...DEFAULTS, ...(given.has('quick') ? QUICK : {}) };
  for (const [name, value] of given) {
    switch (name) {
      case 'quick':
        options.quick = true;
        break;
      case 'profile':
        options.profile = true;
        break;
      case 'light-only':
        options.lightOnly = true;
        break;
      case 'tail':
        options.tail = true;
        break;
      case 'tail-baseline':
        options.tailBaseline = value;
        break;
      case 'tail-only':
        options.tailOnly = value
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        break;
      case 'tail-rounds':
        options.tailRounds = positiveList(name, value)[0];
        break;
      case 'help':
        options.help = true;
        break;
      case 'loadgen':
        if (value !== 'wrk' && value !== 'autocannon' && value !== 'auto') {
          throw new Error(`--loadgen expects wrk or autocannon, got "${value}"`);
        }
        options.loadGenerator = value;
        break;
      case 'duration':
        options.durationSeconds = positiveNumber(name, value);
        break;
      case 'warmup':
        options.warmupSeconds = positiveNumber(name, value, true);
        break;
      case 'connections':
        options.connections = positiveList(name, value);
        break;
      case 'batch-sizes':
        options.batchSizes = positiveList(name, value);
        break;
      case 'batch-connections':
        options.batchConnections = positiveList(name, value)[0];
        break;
      case 'explain-connections':
        options.explainConnections = positiveList(name, value);
        break;
      case 'startup-runs':
        options.startupRuns = positiveList(name, value)[0];
        break;
      case 'inprocess-seconds':
        options.inProcessSeconds = positiveNumber(name, value);
        break;
      case 'artifacts':
        options.artifactsDir = value;
        break;
      case 'model':
        options.model = value;
        break;
      case 'data-dir':
        options.dataDir = value;
        break;
      case 'train-csv':
        options.trainCsv = value;
        break;
      case 'real-rows':
        options.realRows = positiveNumber(name, value, true);
        break;
      case 'wait-idle':
        options.waitIdleSeconds = positiveNumber(name, value, true);
        break;
      case 'settle':
        options.settleSeconds = positiveNumber(name, value, true);
        break;
      case 'light-artifacts':
        options.lightArtifactsDir = value;
        break;
      case 'light-model':
        options.lightModel = value;
        break;
      case 'light-connections':
        options.lightConnections = positiveList(name, value);
        break;
      case 'cpu-rounds':
        options.cpuRounds = positiveList(name, value)[0];
        break;
      case 'render':
        options.render = value;
        break;
      case 'out':
        options.outDir = value;
        break;
      default:
        throw new Error(`unknown option --${name}\n\n${USAGE}`);
    }
  }
  return options;
}
