/**
 * Configuration: every setting comes from an environment variable, is validated once at start-up
 * and frozen. The README's configuration table is generated from the block below; keep them in step.
 *
 * ENVIRONMENT VARIABLES
 *
 * | Variable                 | Default        | Meaning |
 * |--------------------------|----------------|---------|
 * | PORT                     | 3000           | TCP port to listen on. |
 * | HOST                     | 0.0.0.0        | Interface to bind (`127.0.0.1` for local only). |
 * | ARTIFACTS_DIR            | ./artifacts    | Folder holding one sub-folder per model bundle. |
 * | DEFAULT_MODEL            | (first loaded) | Model used by `/predict` when the request names none. |
 * | REQUIRED_MODELS          | (the default)  | Comma list of models `/ready`, `/ping` and `/v2/health/ready` wait for; others may be broken (503 on their own routes) without taking the server out of service. |
 * | LOG_LEVEL                | info           | fatal, error, warn, info, debug, trace or silent. |
 * | LOG_INPUTS               | false          | Log submitted text (off: only sizes and counts are logged). |
 * | MAX_BODY_BYTES           | 1048576        | Largest JSON / urlencoded / text body, measured after decompression. |
 * | MAX_TEXT_CHARS           | 10000          | Longest value of one input field, in characters. |
 * | MAX_BATCH                | 1000           | Most rows in one JSON batch (`instances`, `input`). |
 * | MAX_UPLOAD_BYTES         | 5242880        | Largest uploaded CSV file. |
 * | MAX_CSV_ROWS             | 10000          | Most data rows in one CSV upload. |
 * | MAX_FIELDS               | 20             | Most non-file fields in one multipart or urlencoded form. |
 * | MAX_FILES                | 1              | Most files in one multipart request. |
 * | MAX_URL_PARAMS           | 100            | Most parameters in a query string or urlencoded body. |
 * | MAX_JSON_DEPTH           | 32             | Deepest nesting accepted in a JSON body. |
 * | RATE_LIMIT_PER_MINUTE    | 0              | Requests per client IP per minute on the API and form; 0 turns it off. |
 * | TRUST_PROXY              | false          | `false`, `true`, a hop count (`1`) or a comma list of proxy addresses/subnets. Set it behind a load balancer so client IPs (rate limit, logs) are right; leave it off when clients connect directly, or they can spoof `X-Forwarded-For`. |
 * | CORS_ORIGINS             | (empty: off)   | Comma list of origins allowed to call the JSON API from a browser, or `*`. |
 * | API_KEYS                 | (empty: off)   | Comma list of keys, each at least 16 characters; when set, every route but the probes, docs and metrics needs `Authorization: Bearer KEY` or `X-API-Key: KEY`. |
 * | ADMIN_TOKEN              | (empty: off)   | Turns on POST /admin/models/reload and POST /admin/models/NAME/default; send it as `X-Admin-Token` (at least 16 characters). |
 * | WATCH_ARTIFACTS          | false          | Reload the models when ARTIFACTS_DIR changes (debounced); SIGHUP and the admin call reload too. |
 * | PROTECT_FORM             | false          | With API_KEYS set, also require a key for the HTML pages and form (otherwise the form stays open: HTML only, one text per request). |
 * | FORM_RATE_LIMIT_PER_MINUTE | 20 with API_KEYS and an open form, else 0 | Predictions per client IP per minute through the form without a key; 0 turns it off. |
 * | EXPLAIN_DEFAULT          | false          | Include explanations in JSON answers unless the request says otherwise. |
 * | HTTPS_ONLY               | false          | The site is only reached over HTTPS (TLS at a proxy): send HSTS and CSP `upgrade-insecure-requests`. |
 * | WEB_CONCURRENCY          | CPUs the container is given, as many as its memory holds | Worker processes (node:cluster) when above 1. Unset: one per whole CPU of the cgroup's CPU quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`) and of the CPUs the process may run on (`os.availableParallelism()`), at most one per 200 MB of the memory limit (MEMORY_LIMIT_BYTES, else the cgroup's, else the machine's RAM), at least 1; so 1 on one CPU or in 256 MB. |
 * | SHUTDOWN_TIMEOUT_MS      | 8000           | On SIGTERM, time allowed for in-flight requests before exiting. |
 * | HEADERS_TIMEOUT_MS       | 10000          | Time a client has to send all request headers. |
 * | REQUEST_TIMEOUT_MS       | 30000          | Time a client has to send the whole request. |
 * | KEEP_ALIVE_TIMEOUT_MS    | 5000           | Idle time before a keep-alive connection is closed (set above the load balancer's idle timeout). |
 * | MAX_CONNECTIONS          | 1024           | Simultaneous TCP connections; near the cap idle keep-alive ones are closed to make room, past it new ones are refused. |
 * | MAX_IN_FLIGHT            | 64             | Requests with a body (predictions) worked on at once per process; more wait in the queue. |
 * | MAX_QUEUED               | 256            | Requests waiting for admission per process; beyond it 503 with Retry-After. |
 * | QUEUE_TIMEOUT_MS         | 5000           | Longest wait in the admission queue before a 503 with Retry-After. |
 * | MEMORY_LIMIT_BYTES       | 0 (cgroup)     | Memory the container may use; 0 reads the cgroup limit (v2, then v1; else the machine's RAM). Requests reserve estimated working memory against this process's share. |
 * | MAX_HEADERS_COUNT        | 100            | Most request headers parsed (header bytes are capped by Node's --max-http-header-size, 16 KB). |
 * | SAGEMAKER_BIND_TO_PORT   | 8080           | Port used when started with the `serve` argument (SageMaker). |
 * | PREDICTION_LOG           | off            | `on`: keep every prediction (and its feedback) in a database, written in batches off the request path (docs/prediction-log.md). |
 * | PREDICTION_LOG_PATH      | ./data/predictions.sqlite | The SQLite file used when DATABASE_URL is unset (its folder is created). |
 * | DATABASE_URL             | (empty: SQLite) | `postgres://user:password@host:5432/db`: keep the prediction log in PostgreSQL (several replicas share it). |
 * | PREDICTION_LOG_INPUTS    | on             | Store the input fields with each prediction: `on`, `off`, or `redact` (e-mail addresses, URLs, @mentions and long digit runs replaced). |
 * | PREDICTION_LOG_RETENTION_DAYS | 30        | Predictions older than this are deleted (checked every 10 minutes). |
 * | PREDICTION_LOG_MAX_ROWS  | 1000000        | Most predictions kept; the oldest beyond it are deleted. |
 *
 * Booleans accept true/false, 1/0, yes/no, on/off. Sizes are plain byte counts.
 */
import { z } from 'zod';
import { defaultWebConcurrency, detectHost, type HostResources } from './ops/cgroup';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Express' `trust proxy` setting: off, everything, a hop count, or addresses/subnets/names. */
export type TrustProxy = boolean | number | readonly string[];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly artifactsDir: string;
  readonly defaultModel?: string;
  /** Empty: readiness waits for the default model only. */
  readonly requiredModels: readonly string[];
  readonly logLevel: LogLevel;
  readonly logInputs: boolean;
  readonly maxBodyBytes: number;
  readonly maxTextChars: number;
  readonly maxBatch: number;
  readonly maxUploadBytes: number;
  readonly maxCsvRows: number;
  readonly maxFields: number;
  readonly maxFiles: number;
  readonly maxUrlParams: number;
  readonly maxJsonDepth: number;
  readonly rateLimitPerMinute: number;
  /** Form predictions without a key, per client per minute; 0: off. */
  readonly formRateLimitPerMinute: number;
  readonly trustProxy: TrustProxy;
  /** Empty: CORS off. `['*']`: any origin. */
  readonly corsOrigins: readonly string[];
  /** Empty: no authentication. */
  readonly apiKeys: readonly string[];
  /** '' = the admin routes answer 403. */
  readonly adminToken: string;
  readonly watchArtifacts: boolean;
  readonly protectForm: boolean;
  readonly explainDefault: boolean;
  readonly httpsOnly: boolean;
  readonly webConcurrency: number;
  readonly shutdownTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxInFlight: number;
  readonly maxQueued: number;
  readonly queueTimeoutMs: number;
  /** 0: read the cgroup limit. */
  readonly memoryLimitBytes: number;
  readonly maxHeadersCount: number;
  readonly sagemakerBindToPort: number;
  /** Started as `serve` (SageMaker): `port` is then SAGEMAKER_BIND_TO_PORT. */
  readonly sagemakerServe: boolean;
  readonly predictionLog: boolean;
  readonly predictionLogPath: string;
  /** '' = SQLite at predictionLogPath. */
  readonly databaseUrl: string;
  readonly predictionLogInputs: PredictionLogInputs;
  readonly predictionLogRetentionDays: number;
  readonly predictionLogMaxRows: number;
}

/** PREDICTION_LOG_INPUTS: store input fields as given, not at all, or redacted (src/monitor/redact.ts). */
export type PredictionLogInputs = 'on' | 'off' | 'redact';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): boolean => {
      const value = raw?.trim().toLowerCase();
      if (value === undefined || value === '') return fallback;
      if (TRUE_WORDS.has(value)) return true;
      if (FALSE_WORDS.has(value)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${raw}"` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): number => {
      const value = raw?.trim();
      if (value === undefined || value === '') return fallback;
      if (!/^\d+$/.test(value)) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number, got "${raw}"` });
        return z.NEVER;
      }
      const parsed = Number(value);
      if (parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}, got ${parsed}` });
        return z.NEVER;
      }
      return parsed;
    });

const list = z
  .string()
  .optional()
  .transform((raw): string[] =>
    (raw ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const trustProxy = z
  .string()
  .optional()
  .transform((raw, ctx): TrustProxy => {
    const value = raw?.trim() ?? '';
    const lower = value.toLowerCase();
    if (value === '' || FALSE_WORDS.has(lower)) return false;
    if (lower === 'true') return true;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops > 100) {
        ctx.addIssue({ code: 'custom', message: `hop count ${hops} is not plausible` });
        return z.NEVER;
      }
      return hops;
    }
    const entries = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    const bad = entries.filter(
      (item) => !/^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(item),
    );
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected false, true, a hop count or addresses/subnets (or loopback, linklocal, uniquelocal); cannot read ${bad.join(', ')}`,
      });
      return z.NEVER;
    }
    return entries;
  });

const corsOrigins = list.superRefine((origins, ctx) => {
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${origin}" is not an origin like https://example.com (no path)`,
      });
    }
  }
});

/** Shortest API key accepted (README: Security). */
export const MIN_API_KEY_LENGTH = 16;

const apiKeys = list.superRefine((keys, ctx) => {
  for (const key of keys) {
    if (key.length < MIN_API_KEY_LENGTH)
      ctx.addIssue({
        code: 'custom',
        message: `every key must be at least ${MIN_API_KEY_LENGTH} characters`,
      });
  }
});

/** The form's own limit when FORM_RATE_LIMIT_PER_MINUTE is unset and API_KEYS leaves the form open. */
export const DEFAULT_FORM_RATE_LIMIT = 20;

const envSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.string().trim().min(1).optional().default('0.0.0.0'),
  ARTIFACTS_DIR: z.string().trim().min(1).optional().default('./artifacts'),
  DEFAULT_MODEL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  REQUIRED_MODELS: list,
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .default('info')
    .pipe(z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` })),
  LOG_INPUTS: bool(false),
  MAX_BODY_BYTES: int(1024 * 1024, 1024),
  MAX_TEXT_CHARS: int(10_000, 1),
  MAX_BATCH: int(1000, 1),
  MAX_UPLOAD_BYTES: int(5 * 1024 * 1024, 1024),
  MAX_CSV_ROWS: int(10_000, 1),
  MAX_FIELDS: int(20, 1, 10_000),
  MAX_FILES: int(1, 1, 100),
  MAX_URL_PARAMS: int(100, 1, 100_000),
  MAX_JSON_DEPTH: int(32, 2, 1000),
  RATE_LIMIT_PER_MINUTE: int(0, 0),
  // -1 only stands for "unset": its default depends on API_KEYS and PROTECT_FORM (below).
  FORM_RATE_LIMIT_PER_MINUTE: int(-1, 0),
  TRUST_PROXY: trustProxy,
  CORS_ORIGINS: corsOrigins,
  API_KEYS: apiKeys,
  PROTECT_FORM: bool(false),
  ADMIN_TOKEN: z
    .string()
    .trim()
    .optional()
    .default('')
    .refine((v) => v === '' || v.length >= MIN_API_KEY_LENGTH, {
      message: `must be at least ${MIN_API_KEY_LENGTH} characters`,
    }),
  WATCH_ARTIFACTS: bool(false),
  EXPLAIN_DEFAULT: bool(false),
  HTTPS_ONLY: bool(false),
  // -1 only stands for "unset": the default follows the container's CPUs and memory (below).
  WEB_CONCURRENCY: int(-1, 1, 256),
  SHUTDOWN_TIMEOUT_MS: int(8000, 0),
  HEADERS_TIMEOUT_MS: int(10_000, 1),
  REQUEST_TIMEOUT_MS: int(30_000, 0),
  KEEP_ALIVE_TIMEOUT_MS: int(5000, 0),
  MAX_CONNECTIONS: int(1024, 1),
  MAX_IN_FLIGHT: int(64, 1),
  MAX_QUEUED: int(256, 0),
  QUEUE_TIMEOUT_MS: int(5000, 1),
  MEMORY_LIMIT_BYTES: int(0, 0),
  MAX_HEADERS_COUNT: int(100, 1, 10_000),
  SAGEMAKER_BIND_TO_PORT: int(8080, 1, 65535),
  PREDICTION_LOG: bool(false),
  PREDICTION_LOG_PATH: z.string().trim().min(1).optional().default('./data/predictions.sqlite'),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .default('')
    .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), {
      message: 'expected a PostgreSQL URL (postgres://user:password@host:5432/database)',
    }),
  PREDICTION_LOG_INPUTS: z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((raw, ctx): PredictionLogInputs => {
      if (raw === undefined || raw === '' || TRUE_WORDS.has(raw)) return 'on';
      if (FALSE_WORDS.has(raw)) return 'off';
      if (raw === 'redact') return 'redact';
      ctx.addIssue({ code: 'custom', message: `expected on, off or redact, got "${raw}"` });
      return z.NEVER;
    }),
  PREDICTION_LOG_RETENTION_DAYS: int(30, 1, 36_500),
  PREDICTION_LOG_MAX_ROWS: int(1_000_000, 1),
});

/**
 * Validate the environment once. `args` are the command-line arguments after the script name:
 * `serve` (how SageMaker starts a container) switches the port to SAGEMAKER_BIND_TO_PORT.
 * Throws ConfigError listing every bad variable. `host` is asked (cgroup files) only when
 * WEB_CONCURRENCY is unset.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  args: readonly string[] = [],
  host: () => HostResources = detectHost,
): Readonly<Config> {
  const problems: string[] = [];
  const unknownArgs = args.filter((arg) => arg !== 'serve');
  if (unknownArgs.length > 0)
    problems.push(`unknown argument(s): ${unknownArgs.join(' ')} (only "serve" is accepted)`);

  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const e = parsed.data;
  const sagemakerServe = args.includes('serve');
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS && e.REQUEST_TIMEOUT_MS !== 0) {
    throw new ConfigError([
      `HEADERS_TIMEOUT_MS (${e.HEADERS_TIMEOUT_MS}) must not exceed REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS})`,
    ]);
  }

  return Object.freeze({
    port: sagemakerServe ? e.SAGEMAKER_BIND_TO_PORT : e.PORT,
    host: e.HOST,
    artifactsDir: e.ARTIFACTS_DIR,
    defaultModel: e.DEFAULT_MODEL,
    requiredModels: Object.freeze([...e.REQUIRED_MODELS]),
    logLevel: e.LOG_LEVEL,
    logInputs: e.LOG_INPUTS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxTextChars: e.MAX_TEXT_CHARS,
    maxBatch: e.MAX_BATCH,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxCsvRows: e.MAX_CSV_ROWS,
    maxFields: e.MAX_FIELDS,
    maxFiles: e.MAX_FILES,
    maxUrlParams: e.MAX_URL_PARAMS,
    maxJsonDepth: e.MAX_JSON_DEPTH,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    formRateLimitPerMinute:
      e.FORM_RATE_LIMIT_PER_MINUTE >= 0
        ? e.FORM_RATE_LIMIT_PER_MINUTE
        : e.API_KEYS.length > 0 && !e.PROTECT_FORM
          ? DEFAULT_FORM_RATE_LIMIT
          : 0,
    trustProxy: Array.isArray(e.TRUST_PROXY) ? Object.freeze([...e.TRUST_PROXY]) : e.TRUST_PROXY,
    corsOrigins: Object.freeze([...e.CORS_ORIGINS]),
    apiKeys: Object.freeze([...e.API_KEYS]),
    protectForm: e.PROTECT_FORM,
    adminToken: e.ADMIN_TOKEN,
    watchArtifacts: e.WATCH_ARTIFACTS,
    explainDefault: e.EXPLAIN_DEFAULT,
    httpsOnly: e.HTTPS_ONLY,
    webConcurrency:
      e.WEB_CONCURRENCY >= 1
        ? e.WEB_CONCURRENCY
        : Math.min(
            256,
            defaultWebConcurrency(
              e.MEMORY_LIMIT_BYTES > 0 ? { ...host(), memoryBytes: e.MEMORY_LIMIT_BYTES } : host(),
            ),
          ),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.MAX_CONNECTIONS,
    maxInFlight: e.MAX_IN_FLIGHT,
    maxQueued: e.MAX_QUEUED,
    queueTimeoutMs: e.QUEUE_TIMEOUT_MS,
    memoryLimitBytes: e.MEMORY_LIMIT_BYTES,
    maxHeadersCount: e.MAX_HEADERS_COUNT,
    sagemakerBindToPort: e.SAGEMAKER_BIND_TO_PORT,
    sagemakerServe,
    predictionLog: e.PREDICTION_LOG,
    predictionLogPath: e.PREDICTION_LOG_PATH,
    databaseUrl: e.DATABASE_URL,
    predictionLogInputs: e.PREDICTION_LOG_INPUTS,
    predictionLogRetentionDays: e.PREDICTION_LOG_RETENTION_DAYS,
    predictionLogMaxRows: e.PREDICTION_LOG_MAX_ROWS,
  });
}

/** A host with one CPU: defaultConfig's, so tests do not depend on the machine they run on. */
const ONE_CPU: HostResources = Object.freeze({ cpus: 1, memoryBytes: 1024 * 1024 * 1024 });

/** Defaults for every key: what tests start from (`testConfig({ maxBatch: 2 })`). */
export function defaultConfig(overrides: Partial<Config> = {}): Readonly<Config> {
  return Object.freeze({ ...loadConfig({}, [], () => ONE_CPU), ...overrides });
}
