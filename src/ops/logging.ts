/**
 * Structured JSON logs (pino). One line per request comes from src/http/context.ts; submitted text
 * appears only when LOG_INPUTS=true. Secrets that could reach a log line are redacted.
 *
 * Lines go to stdout asynchronously (pino.destination with sync: false, as pino's own default for
 * fd 1 already did: `npm run bench -- --tail` found no log write on the event loop's critical path;
 * the access log costs ~3-4 µs per request) through a bounded buffer: pino's default buffer has no
 * bound, so a log collector that stops reading would grow the process without limit. Past
 * LOG_BUFFER_BYTES new lines are dropped, and their count is logged once the buffer drains. What is
 * buffered is written synchronously on exit (pino registers the flush; process.exit() after a
 * fatal line included).
 */
import pino, { type DestinationStream } from 'pino';
import type { Config } from '../config';

/** Most log bytes held while stdout cannot take them (~10,000 access lines). */
export const LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Lines are written once this many bytes are waiting (~12 access lines) or every LOG_FLUSH_MS:
 * one write(2) per access line was the largest single cost left on the JSON prediction path.
 */
export const LOG_MIN_WRITE_BYTES = 4096;
/** Longest a line waits in the buffer when traffic is too light to fill LOG_MIN_WRITE_BYTES. */
export const LOG_FLUSH_MS = 200;

/** stdout (fd 1) through an asynchronous buffer of at most `maxBytes`; `dropped()` counts lost lines. */
export function stdoutDestination(
  fd = 1,
  maxBytes = LOG_BUFFER_BYTES,
): { stream: pino.DestinationStream & NodeJS.EventEmitter; dropped: () => number } {
  const stream = pino.destination({
    dest: fd,
    sync: false,
    maxLength: maxBytes,
    minLength: LOG_MIN_WRITE_BYTES,
    periodicFlush: LOG_FLUSH_MS,
  });
  let dropped = 0;
  stream.on('drop', () => {
    dropped += 1;
  });
  return { stream, dropped: () => dropped };
}

/**
 * pino.stdTimeFunctions.isoTime's `,"time":"…"`, formatted once per millisecond: a busy process
 * writes several lines per millisecond, and a Date plus toISOString per line showed in profiles.
 */
export function isoTimeOncePerMillisecond(now: () => number = () => Date.now()): () => string {
  let formattedAt = Number.NaN;
  let formatted = '';
  return () => {
    const ms = now();
    if (ms !== formattedAt) {
      formattedAt = ms;
      formatted = `,"time":"${new Date(ms).toISOString()}"`;
    }
    return formatted;
  };
}

function options(config: Pick<Config, 'logLevel'>): pino.LoggerOptions {
  return {
    level: config.logLevel,
    base: { service: 'sift', pid: process.pid },
    timestamp: isoTimeOncePerMillisecond(),
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
    redact: {
      paths: ['authorization', 'apiKey', 'headers.authorization', 'headers["x-api-key"]', 'config.apiKeys'],
      censor: '[redacted]',
    },
  };
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): pino.Logger {
  if (destination !== undefined) return pino(options(config), destination);
  const out = stdoutDestination();
  const logger = pino(options(config), out.stream);
  // 'drain': the buffer was written out. Say how many lines were lost while it was full.
  let reported = 0;
  out.stream.on('drain', () => {
    const lost = out.dropped() - reported;
    if (lost === 0) return;
    reported += lost;
    logger.warn({ dropped: lost }, 'log lines dropped: stdout was not read fast enough');
  });
  return logger;
}

/** Writes one line at info: the access log's line per request (src/http/context.ts). */
export type InfoLineWriter = (entry: Readonly<Record<string, unknown>>, msg: string) => void;

const writers = new WeakMap<pino.Logger, InfoLineWriter>();

/**
 * An info line exactly as `logger.info(entry, msg)` writes it, serialised by one JSON.stringify into
 * the logger's own destination: pino's general serialiser (a loop over keys, each key and value
 * escaped and concatenated) cost ~5–13 µs per request under load (interleaved A/B runs, default
 * model), on a line whose keys are fixed and whose values are short strings and numbers. The
 * level prefix, time, bindings and line end are pino's own (pino.symbols); loggers with anything
 * that changes a line (mixin, log formatter, hooks, message prefix, multistream metadata, a
 * wildcard redaction) and entries with a key pino serialises or redacts on its own, or a value
 * JSON.stringify would spell differently, go through pino itself.
 * test/ops/info-line.test.ts compares both spellings.
 */
export function infoLineWriter(logger: pino.Logger): InfoLineWriter {
  let writer = writers.get(logger);
  if (writer === undefined) {
    writer = buildInfoLineWriter(logger);
    writers.set(logger, writer);
  }
  return writer;
}

type PinoInternals = Record<symbol, unknown>;

function buildInfoLineWriter(logger: pino.Logger): InfoLineWriter {
  const internals = logger as unknown as PinoInternals;
  // msgPrefixSym is there at run time (pino ≥ 8.14) but missing from pino's types.
  const symbols = pino.symbols as typeof pino.symbols & { readonly msgPrefixSym?: symbol };
  const formatters = internals[symbols.formattersSym] as { log?: unknown } | undefined;
  const hooks = internals[symbols.hooksSym] as { streamWrite?: unknown } | undefined;
  // Per-key serialisers and redaction (pino's stringifiers, one per redacted top-level key).
  const serializers = internals[symbols.serializersSym] as Record<string | symbol, unknown>;
  const stringifiers = internals[symbols.stringifiersSym] as Record<string | symbol, unknown>;
  const stream = internals[symbols.streamSym] as { write(line: string): unknown } & Record<symbol, unknown>;
  const plain =
    internals[symbols.mixinSym] == null &&
    formatters?.log === undefined &&
    hooks?.streamWrite == null &&
    (symbols.msgPrefixSym === undefined || !internals[symbols.msgPrefixSym]) &&
    internals[symbols.messageKeySym] === 'msg' &&
    internals[symbols.nestedKeySym] == null &&
    stream[symbols.needsMetadataGsym] !== true &&
    stringifiers[symbols.wildcardFirstSym] === undefined &&
    typeof stream.write === 'function';
  const viaPino: InfoLineWriter = (entry, msg) => logger.info(entry, msg);
  if (!plain) return viaPino;
  const time = internals[symbols.timeSym] as () => string;
  const end = internals[symbols.endSym] as string;
  return (entry, msg) => {
    if (!logger.isLevelEnabled('info')) return;
    if (!jsonSpellsAsPino(entry, serializers, stringifiers)) return viaPino(entry, msg);
    const levelPrefix = (internals[symbols.lsCacheSym] as Record<number, string>)[30];
    const fields = JSON.stringify(entry);
    const body = fields.length > 2 ? `,${fields.slice(1, -1)}` : '';
    stream.write(
      `${levelPrefix}${time()}${internals[symbols.chindingsSym] as string}${body},"msg":${JSON.stringify(msg)}${end}`,
    );
  };
}

/**
 * Whether JSON.stringify writes each value as pino does: no key pino serialises or redacts itself,
 * and values that are numbers, booleans, undefined or strings without lone surrogates (pino leaves
 * those raw, JSON.stringify escapes them). Anything else (objects, bigints, functions) is pino's.
 */
function jsonSpellsAsPino(
  entry: Readonly<Record<string, unknown>>,
  serializers: Readonly<Record<string, unknown>>,
  stringifiers: Readonly<Record<string, unknown>>,
): boolean {
  for (const key in entry) {
    if (serializers[key] !== undefined || stringifiers[key] !== undefined) return false;
    const value = entry[key];
    switch (typeof value) {
      case 'number':
      case 'boolean':
      case 'undefined':
        continue;
      case 'string':
        if (LONE_SURROGATE.test(value)) return false;
        continue;
      default:
        return false;
    }
  }
  return true;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
