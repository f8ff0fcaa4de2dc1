/**
 * What the hostile-input, fault and fuzz suites share: real apps over the fixture bundles behind a
 * real listening server built the way src/server.ts builds it (createHttpServer: the same
 * slow-client timeouts and limits), raw sockets for what supertest cannot say, and the checks every
 * answer must pass (no stack trace or internal path, the server still predicts afterwards).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { type Config, defaultConfig } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import type { ModelRegistry } from '../../src/model/types';
import { createMetrics } from '../../src/ops/metrics';
import { createHttpServer } from '../../src/server';
import { BUNDLES_DIR, type CapturedLogger, captureLogger } from '../helpers/app';

export const FIRE = 'Forest fire near La Ronge Sask. Canada';

export interface LiveServer {
  readonly server: http.Server;
  readonly port: number;
  readonly config: Readonly<Config>;
  readonly log: CapturedLogger;
  /** supertest against the listening server (no ephemeral server per request). */
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

/** The app over `registry` with `overrides`, listening on a loopback port through createHttpServer. */
export async function startLive(
  registry: ModelRegistry,
  overrides: Partial<Config> = {},
  extras: Pick<AppDeps, 'predictionLog'> = {},
): Promise<LiveServer> {
  const config = defaultConfig({ logLevel: 'warn', ...overrides });
  const log = captureLogger(config.logLevel);
  const app = createApp({
    config,
    registry,
    logger: log.logger,
    metrics: createMetrics({ processMetrics: false }),
    ...extras,
  });
  const server = createHttpServer(config, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    port,
    config,
    log,
    http: () => request(server),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Lines of a Node stack trace, and paths that would tell an attacker where the code lives. */
const LEAKS: readonly RegExp[] = [
  /\n\s*at [^\n]+[(:]/,
  /^\s*at \S+ \(/m,
  /\/work\//,
  /node_modules/,
  /\.ts:\d+/,
];

/** An answer body never carries a stack trace or an internal path. */
export function expectNoLeak(body: string): void {
  for (const leak of LEAKS) expect(body).not.toMatch(leak);
}

export interface Answer {
  status: number;
  text: string;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * The exact status and, for JSON errors, the exact error code (`{"error": {"code"}}`; the KServe
 * routes answer `{"error": "message"}`, checked with a string code of `null`); never a leak.
 */
export function expectAnswer(res: Answer, status: number, code?: string | null): void {
  expectNoLeak(res.text ?? '');
  expect({ status: res.status, code: errorCode(res) }).toEqual({
    status,
    code: code === undefined ? errorCode(res) : code,
  });
}

function errorCode(res: Answer): string | null | undefined {
  const error = (res.body as { error?: unknown } | undefined)?.error;
  if (error === undefined) return undefined;
  if (typeof error === 'string') return null;
  return (error as { code?: string }).code;
}

/**
 * One request with exactly these headers and body bytes (supertest would re-serialise a Buffer sent
 * as JSON). JSON answers are parsed into `body`.
 */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        headers: {
          ...(payload === undefined ? {} : { 'Content-Length': String(payload.length) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = {};
          if (/json/.test(String(res.headers['content-type'])) && text !== '') parsed = JSON.parse(text);
          resolve({
            status: res.statusCode ?? 0,
            text,
            body: parsed,
            headers: res.headers as Record<string, string>,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The server still predicts normally: the liveness check after every hostile request. */
export async function expectServes(live: LiveServer): Promise<void> {
  const res = await live.http().post('/predict').set('Accept', 'application/json').send({ text: FIRE });
  expect(res.status).toBe(200);
  expect((res.body as { model: string }).model).toBe('tweets-mini');
  expect(typeof (res.body as { label: unknown }).label).toBe('number');
}

/** Object.prototype is untouched after everything a test sent. */
export function expectNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'isAdmin', 'x', 'status', 'text']) expect(probe[key]).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
}

// ---- raw sockets

export interface RawResult {
  /** Everything received, as latin1 (bytes preserved). */
  received: string;
  /** Milliseconds until the server closed the connection; Infinity when it did not before the timeout. */
  closedAfterMs: number;
}

/** Send `chunks` (each after its delay) on one connection; collect everything until close or timeout. */
export function rawExchange(
  port: number,
  chunks: readonly { data: string | Buffer; delayMs?: number }[],
  timeoutMs = 5000,
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let done = false;
    const finish = (closedAfterMs: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ received, closedAfterMs });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish(Number.POSITIVE_INFINITY);
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => finish(Date.now() - started));
    socket.on('connect', () => {
      void (async () => {
        for (const chunk of chunks) {
          if (chunk.delayMs !== undefined) await new Promise((r) => setTimeout(r, chunk.delayMs));
          if (socket.destroyed) return;
          socket.write(chunk.data);
        }
      })();
    });
  });
}

/** Status codes of every response in a raw byte stream, in order. */
export function statusLines(received: string): number[] {
  return [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

export function jsonRequest(pathname: string, body: string, extra = ''): string {
  return (
    `POST ${pathname} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
  );
}

// ---- multipart

export type Part =
  | { name: string; value: string }
  | { name: string; filename: string; content: Buffer | string; contentType?: string };

/** A multipart/form-data body built byte by byte, so floods and odd parts are exactly what is sent. */
export function multipart(parts: readonly Part[]): { body: Buffer; contentType: string } {
  const boundary = `----sift-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if ('filename' in part) {
      head += `; filename="${part.filename}"\r\nContent-Type: ${part.contentType ?? 'text/csv'}`;
      chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`${head}\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

// ---- bundles

/** A copy of fixture bundles in a fresh temporary artifacts folder; `edit` changes files in place. */
export function copyBundles(names: readonly string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sift-security-'));
  for (const name of names) cpSync(path.join(BUNDLES_DIR, name), path.join(dir, name), { recursive: true });
  return dir;
}

export function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}
