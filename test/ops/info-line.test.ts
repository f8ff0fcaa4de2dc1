/**
 * The access log's info lines are serialised by infoLineWriter (one JSON.stringify) rather than by
 * pino: every line must be byte for byte what logger.info would have written.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, infoLineWriter, isoTimeOncePerMillisecond } from '../../src/ops/logging';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines };
}

/** Both spellings of one entry, with the time (the only part that differs between two calls) fixed. */
function both(
  entry: Record<string, unknown>,
  msg = 'request',
  logLevel: 'info' | 'warn' = 'info',
): [string[], string[]] {
  const viaPino = capture();
  const viaWriter = capture();
  const a = createLogger({ logLevel }, viaPino.stream);
  const b = createLogger({ logLevel }, viaWriter.stream);
  a.info(entry, msg);
  infoLineWriter(b)(entry, msg);
  const untimed = (lines: string[]) => lines.map((l) => l.replace(/"time":"[^"]*"/, '"time":"T"'));
  return [untimed(viaPino.lines), untimed(viaWriter.lines)];
}

const ACCESS = {
  reqId: '37cd3aa9-ff4b-4a79-979a-4b0b7efd2e76',
  method: 'POST',
  path: '/predict',
  route: '/predict',
  status: 200,
  ms: 1.234,
  bytesIn: 120,
  bytesOut: 244,
  ip: '::ffff:127.0.0.1',
  errorCode: undefined,
  modelVersion: '9469f5e1397b',
};

describe('infoLineWriter', () => {
  it('writes an access line exactly as logger.info does', () => {
    const [expected, written] = both(ACCESS);
    expect(written).toHaveLength(1);
    expect(written).toEqual(expected);
    expect(JSON.parse(written[0])).toMatchObject({ level: 'info', service: 'sift', reqId: ACCESS.reqId });
  });

  it.each([
    ['quotes and backslashes', { path: '/a"b\\c' }],
    ['control characters', { path: '/a\u0001b\tc\n' }],
    ['non-ASCII text', { path: '/caf\u00e9/\u{1F525}', errorCode: 'x\u2028y' }],
    ['a long string', { path: `/${'x"'.repeat(80)}` }],
    ['numbers JSON cannot spell', { ms: Number.NaN, bytesIn: Number.POSITIVE_INFINITY, status: -0 }],
    ['booleans and no fields at all', { ok: true }],
    ['an empty entry', {}],
    ['a lone surrogate (pino leaves it raw)', { path: '/\uD800x' }],
    ['an object value', { ip: { nested: ['a', 1] } }],
    ['a key the logger redacts', { apiKey: 'secret-key', authorization: 'Bearer x' }],
    ['a key with a serialiser', { err: new Error('boom') }],
  ])('and with %s', (_case, fields) => {
    const [expected, written] = both({ ...ACCESS, ...fields });
    expect(written).toEqual(expected);
  });

  it('keeps the message as given, and writes nothing below the logger level', () => {
    const [expected, written] = both(ACCESS, 'request aborted');
    expect(written).toEqual(expected);
    const [none, nothing] = both(ACCESS, 'request', 'warn');
    expect(none).toEqual([]);
    expect(nothing).toEqual([]);
  });

  it('leaves a logger that changes its lines (a mixin) to pino', () => {
    const out = capture();
    const logger = pino({ mixin: () => ({ extra: 1 }) }, out.stream);
    infoLineWriter(logger)({ a: 1 }, 'request');
    expect(JSON.parse(out.lines[0])).toMatchObject({ a: 1, extra: 1, msg: 'request' });
  });
});

describe('log line time', () => {
  it('is pino isoTime spelt once per millisecond', () => {
    let clock = Date.UTC(2026, 11, 3, 17, 51, 2, 418);
    const time = isoTimeOncePerMillisecond(() => clock);
    const realNow = Date.now;
    try {
      Date.now = () => clock;
      const first = time();
      expect(first).toBe(pino.stdTimeFunctions.isoTime());
      expect(first).toBe(',"time":"2026-12-03T17:51:02.418Z"');
      expect(time()).toBe(first);
      clock += 1;
      expect(time()).toBe(pino.stdTimeFunctions.isoTime());
      expect(time()).toBe(',"time":"2026-12-03T17:51:02.419Z"');
    } finally {
      Date.now = realNow;
    }
  });
});
