/**
 * Body reading over real HTTP: compressed bodies are limited after inflation, corrupt compression
 * is a 400, urlencoded and multipart limits answer 413 with the setting's name.
 */
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import request from 'supertest';
import { parseUrlEncoded } from '../../src/http/body';
import { HttpError } from '../../src/errors';
import type { SiftRegistry } from '../../src/model/registry';
import { buildTestApp, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;
beforeAll(async () => {
  registry = await loadFixtureRegistry();
});
afterAll(async () => {
  await registry.close();
});

function post(app: Parameters<typeof request>[0], body: Buffer, headers: Record<string, string>) {
  let req = request(app).post('/predict');
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.serialize(() => body as unknown as string).send({});
}

describe('compressed bodies', () => {
  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('reads %s bodies', async (encoding, compress) => {
    const { app } = buildTestApp(registry);
    const res = await post(app, compress(Buffer.from(JSON.stringify({ text: 'Forest fire' }))), {
      'Content-Type': 'application/json',
      'Content-Encoding': encoding,
    });
    expect(res.status).toBe(200);
  });

  it('413s a small gzip body that inflates past MAX_BODY_BYTES', async () => {
    const { app } = buildTestApp(registry, { maxBodyBytes: 64 * 1024 });
    const bomb = gzipSync(Buffer.from(JSON.stringify({ text: 'a'.repeat(10 * 1024 * 1024) })));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await post(app, bomb, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/after decompression/);
  });

  it('400s corrupt gzip and 415s unknown encodings', async () => {
    const { app } = buildTestApp(registry);
    const corrupt = await post(app, Buffer.from('not gzip at all'), {
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
    });
    expect(corrupt.status).toBe(400);
    const unknown = await post(app, Buffer.from('{}'), {
      'Content-Type': 'application/json',
      'Content-Encoding': 'lzma',
    });
    expect(unknown.status).toBe(415);
  });

  it('415s compressed multipart bodies', async () => {
    const { app } = buildTestApp(registry);
    const res = await post(app, gzipSync(Buffer.from('--x\r\n')), {
      'Content-Type': 'multipart/form-data; boundary=x',
      'Content-Encoding': 'gzip',
    });
    expect(res.status).toBe(415);
  });
});

describe('urlencoded', () => {
  it('parses into a record without a prototype, repeated names as arrays', () => {
    const fields = parseUrlEncoded('text=a+b%21&keyword=&text=c', 10);
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect({ ...fields }).toEqual({ text: ['a b!', 'c'], keyword: '' });
  });

  it('413s more parameters than MAX_URL_PARAMS', () => {
    expect(() => parseUrlEncoded('a=1&b=2&c=3', 2)).toThrow(/MAX_URL_PARAMS/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('400s the field name %s', (name) => {
    try {
      parseUrlEncoded(`${name}=x&text=a`, 10);
      throw new Error('expected a failure');
    } catch (error) {
      expect((error as HttpError).code).toBe('forbidden_key');
    }
  });

  it('answers 413 over HTTP for too many parameters', async () => {
    const { app } = buildTestApp(registry, { maxUrlParams: 3 });
    const res = await request(app).post('/predict').type('form').send('text=a&b=1&c=2&d=3');
    expect(res.status).toBe(413);
  });
});

describe('multipart limits', () => {
  it('413s more fields than MAX_FIELDS', async () => {
    const { app } = buildTestApp(registry, { maxFields: 2 });
    const res = await request(app).post('/predict').field('text', 'a').field('b', '1').field('c', '2');
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/MAX_FIELDS/);
  });

  it('413s a field value far beyond MAX_TEXT_CHARS', async () => {
    const { app } = buildTestApp(registry, { maxTextChars: 10 });
    const res = await request(app).post('/predict').field('text', 'x'.repeat(200));
    expect(res.status).toBe(413);
  });

  it('400s nested field names and malformed multipart', async () => {
    const { app } = buildTestApp(registry);
    const nested = await request(app).post('/predict').field('text[a]', 'x');
    expect(nested.status).toBe(400);
    const broken = await post(app, Buffer.from('--nope\r\ngarbage'), {
      'Content-Type': 'multipart/form-data; boundary=x',
    });
    expect(broken.status).toBe(400);
    const noBoundary = await post(app, Buffer.from('x'), { 'Content-Type': 'multipart/form-data' });
    expect(noBoundary.status).toBe(400);
  });
});
