import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  DEFAULT_FORM_RATE_LIMIT,
  MIN_API_KEY_LENGTH,
  defaultConfig,
  loadConfig,
} from '../src/config';

function problems(env: NodeJS.ProcessEnv, args: string[] = []): readonly string[] {
  try {
    loadConfig(env, args);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('has a default for every setting', () => {
    expect(loadConfig({}, [], () => ({ cpus: 1, memoryBytes: 8 * 1024 ** 3 }))).toEqual({
      port: 3000,
      host: '0.0.0.0',
      artifactsDir: './artifacts',
      defaultModel: undefined,
      logLevel: 'info',
      logInputs: false,
      maxBodyBytes: 1048576,
      requiredModels: [],
      maxTextChars: 10000,
      maxBatch: 1000,
      maxUploadBytes: 5242880,
      maxCsvRows: 10000,
      maxFields: 20,
      maxFiles: 1,
      maxUrlParams: 100,
      maxJsonDepth: 32,
      rateLimitPerMinute: 0,
      formRateLimitPerMinute: 0,
      trustProxy: false,
      corsOrigins: [],
      apiKeys: [],
      adminToken: '',
      watchArtifacts: false,
      protectForm: false,
      explainDefault: false,
      httpsOnly: false,
      webConcurrency: 1,
      shutdownTimeoutMs: 8000,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 1024,
      maxInFlight: 64,
      maxQueued: 256,
      queueTimeoutMs: 5000,
      memoryLimitBytes: 0,
      maxHeadersCount: 100,
      sagemakerBindToPort: 8080,
      sagemakerServe: false,
      predictionLog: false,
      predictionLogPath: './data/predictions.sqlite',
      databaseUrl: '',
      predictionLogInputs: 'on',
      predictionLogRetentionDays: 30,
      predictionLogMaxRows: 1_000_000,
    });
  });

  it('is frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.apiKeys)).toBe(true);
  });

  it('reads every kind of value', () => {
    const config = loadConfig({
      PORT: '8000',
      HOST: '127.0.0.1',
      DEFAULT_MODEL: 'tweets',
      LOG_LEVEL: 'WARN',
      LOG_INPUTS: 'yes',
      RATE_LIMIT_PER_MINUTE: '120',
      CORS_ORIGINS: 'https://a.example, http://localhost:5173',
      API_KEYS: `${'a'.repeat(16)},${'b'.repeat(20)}`,
      PROTECT_FORM: 'on',
      EXPLAIN_DEFAULT: '1',
      HTTPS_ONLY: 'true',
      WEB_CONCURRENCY: '4',
    });
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      defaultModel: 'tweets',
      logLevel: 'warn',
      logInputs: true,
      rateLimitPerMinute: 120,
      corsOrigins: ['https://a.example', 'http://localhost:5173'],
      apiKeys: ['a'.repeat(16), 'b'.repeat(20)],
      protectForm: true,
      explainDefault: true,
      httpsOnly: true,
      webConcurrency: 4,
    });
  });

  it('reads ADMIN_TOKEN (at least 16 characters) and WATCH_ARTIFACTS', () => {
    const token = 'admin-token-0123456789';
    expect(loadConfig({ ADMIN_TOKEN: token, WATCH_ARTIFACTS: 'true' })).toMatchObject({
      adminToken: token,
      watchArtifacts: true,
    });
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN: must be at least 16 characters/);
  });

  it("reads REQUIRED_MODELS, and turns the open form's rate limit on whenever API_KEYS leaves it open", () => {
    const key = 'k'.repeat(16);
    expect(loadConfig({ REQUIRED_MODELS: 'a, b' }).requiredModels).toEqual(['a', 'b']);
    expect(loadConfig({}).formRateLimitPerMinute).toBe(0);
    expect(loadConfig({ API_KEYS: key }).formRateLimitPerMinute).toBe(DEFAULT_FORM_RATE_LIMIT);
    expect(loadConfig({ API_KEYS: key, PROTECT_FORM: 'true' }).formRateLimitPerMinute).toBe(0);
    expect(loadConfig({ API_KEYS: key, FORM_RATE_LIMIT_PER_MINUTE: '0' }).formRateLimitPerMinute).toBe(0);
    expect(loadConfig({ FORM_RATE_LIMIT_PER_MINUTE: '5' }).formRateLimitPerMinute).toBe(5);
    expect(() => loadConfig({ API_KEYS: 'k'.repeat(MIN_API_KEY_LENGTH - 1) })).toThrow(
      `API_KEYS: every key must be at least ${MIN_API_KEY_LENGTH} characters`,
    );
  });

  it.each([
    ['false', false],
    ['0', false],
    ['true', true],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.1', ['10.0.0.0/8', '192.168.1.1']],
    ['fd00::/8', ['fd00::/8']],
  ])('reads TRUST_PROXY=%p', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('lists every bad variable at once, by name', () => {
    const found = problems({
      PORT: 'eighty',
      MAX_BATCH: '0',
      LOG_LEVEL: 'loud',
      LOG_INPUTS: 'sometimes',
      TRUST_PROXY: 'my-proxy',
      CORS_ORIGINS: 'https://a.example/path',
      API_KEYS: 'short',
    });
    expect(found).toHaveLength(7);
    expect(found[0]).toBe('PORT: expected a whole number, got "eighty"');
    expect(found).toContain('MAX_BATCH: must be between 1 and 9007199254740991, got 0');
    expect(found.find((p) => p.startsWith('LOG_LEVEL'))).toMatch(/expected one of fatal, error, warn, info/);
    expect(found).toContain('LOG_INPUTS: expected true or false, got "sometimes"');
    expect(found.find((p) => p.startsWith('TRUST_PROXY'))).toMatch(/cannot read my-proxy/);
    expect(found.find((p) => p.startsWith('CORS_ORIGINS'))).toMatch(/no path/);
    expect(found).toContain('API_KEYS: every key must be at least 16 characters');
  });

  it('makes a readable message', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(
      'Invalid configuration:\n  - PORT: must be between 0 and 65535, got 70000',
    );
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(problems({ HEADERS_TIMEOUT_MS: '40000', REQUEST_TIMEOUT_MS: '30000' })[0]).toMatch(
      /must not exceed/,
    );
  });

  it('listens on SAGEMAKER_BIND_TO_PORT (8080) when started with serve', () => {
    expect(loadConfig({ PORT: '3000' }, ['serve'])).toMatchObject({ port: 8080, sagemakerServe: true });
    expect(loadConfig({ SAGEMAKER_BIND_TO_PORT: '9090' }, ['serve']).port).toBe(9090);
    expect(problems({}, ['serve', '--fast'])).toEqual([
      'unknown argument(s): --fast (only "serve" is accepted)',
    ]);
  });

  it('documents every variable it reads in the header block', () => {
    const source = readFileSync(path.resolve(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const header = source.slice(0, source.indexOf('import '));
    const schemaKeys = [...source.matchAll(/^ {2}([A-Z][A-Z_]+):/gm)].map((m) => m[1]);
    expect(schemaKeys.length).toBeGreaterThan(25);
    for (const key of schemaKeys) expect(header).toContain(`| ${key} `);
  });
});

describe('prediction log settings', () => {
  it('is off by default, SQLite under ./data, inputs kept, 30 days, a million rows', () => {
    expect(loadConfig({})).toMatchObject({
      predictionLog: false,
      predictionLogPath: './data/predictions.sqlite',
      databaseUrl: '',
      predictionLogInputs: 'on',
      predictionLogRetentionDays: 30,
      predictionLogMaxRows: 1_000_000,
    });
  });

  it('reads on/off/redact, a PostgreSQL URL and the retention bounds', () => {
    expect(
      loadConfig({
        PREDICTION_LOG: 'on',
        DATABASE_URL: 'postgresql://sift:pw@db:5432/sift',
        PREDICTION_LOG_INPUTS: 'Redact',
        PREDICTION_LOG_RETENTION_DAYS: '7',
        PREDICTION_LOG_MAX_ROWS: '5000',
      }),
    ).toMatchObject({
      predictionLog: true,
      databaseUrl: 'postgresql://sift:pw@db:5432/sift',
      predictionLogInputs: 'redact',
      predictionLogRetentionDays: 7,
      predictionLogMaxRows: 5000,
    });
    expect(loadConfig({ PREDICTION_LOG_INPUTS: 'off' }).predictionLogInputs).toBe('off');
    expect(
      problems({
        PREDICTION_LOG_INPUTS: 'hash',
        DATABASE_URL: 'mysql://x',
        PREDICTION_LOG_RETENTION_DAYS: '0',
      }),
    ).toEqual([
      'DATABASE_URL: expected a PostgreSQL URL (postgres://user:password@host:5432/database)',
      'PREDICTION_LOG_INPUTS: expected on, off or redact, got "hash"',
      'PREDICTION_LOG_RETENTION_DAYS: must be between 1 and 36500, got 0',
    ]);
  });
});

describe('the default WEB_CONCURRENCY', () => {
  const MB = 1024 * 1024;
  const host = (cpus: number, memoryBytes: number) => () => ({ cpus, memoryBytes });

  it('follows the CPUs and memory the container is given, and only when the variable is unset', () => {
    expect(loadConfig({}, [], host(1, 4096 * MB)).webConcurrency).toBe(1);
    expect(loadConfig({}, [], host(2, 4096 * MB)).webConcurrency).toBe(2);
    expect(loadConfig({}, [], host(4, 256 * MB)).webConcurrency).toBe(1);
    expect(loadConfig({ MEMORY_LIMIT_BYTES: String(1024 * MB) }, [], host(8, 256 * MB)).webConcurrency).toBe(
      5,
    );
    const asked = jest.fn(host(8, 4096 * MB));
    expect(loadConfig({ WEB_CONCURRENCY: '3' }, [], asked).webConcurrency).toBe(3);
    expect(asked).not.toHaveBeenCalled();
  });

  it('reads this machine when nothing is handed in, and defaultConfig stays at one worker', () => {
    expect(loadConfig({}).webConcurrency).toBeGreaterThanOrEqual(1);
    expect(defaultConfig().webConcurrency).toBe(1);
  });
});

describe('defaultConfig', () => {
  it('overrides selected keys', () => {
    expect(defaultConfig({ maxBatch: 2 })).toMatchObject({ maxBatch: 2, port: 3000 });
  });
});
