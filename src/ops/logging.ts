/**
 * Structured JSON logs (pino). One line per request comes from src/http/context.ts; submitted text
 * appears only when LOG_INPUTS=true. Secrets that could reach a log line are redacted.
 */
import pino, { type DestinationStream } from 'pino';
import type { Config } from '../config';

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
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
  return destination === undefined ? pino(options) : pino(options, destination);
}
