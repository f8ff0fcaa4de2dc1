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

function options(config: Pick<Config, 'logLevel'>): pino.LoggerOptions {
  return {
    level: config.logLevel,
    base: { service: 'sift', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
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
