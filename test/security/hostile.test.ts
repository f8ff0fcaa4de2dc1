/**
 * Hostile input against the real app (fixture bundles, onnxruntime) behind a real listening server
 * built by createHttpServer, as src/server.ts builds it. Every case asserts the exact status (and
 * error code) of the hostile request, that no answer leaks a stack trace or an internal path, and
 * that the server still predicts normally afterwards.
 *
 * The limits are set small (see TIGHT) so that each one is reached with a few kilobytes.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fs, { existsSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Config } from '../../src/config';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { REPO_ROOT } from '../helpers/process';
import {
  type Answer,
  type LiveServer,
  FIRE,
  copyBundles,
  editJson,
  expectAnswer,
  expectNoLeak,
  expectNoPollution,
  expectServes,
  jsonRequest,
  multipart,
  rawExchange,
  rawRequest,
  startLive,
  statusLines,
} from './harness';

const TIGHT: Partial<Config> = {
  maxBodyBytes: 4096,
  maxTextChars: 500,
  maxBatch: 4,
  maxUploadBytes: 4096,
  maxCsvRows: 3,
  maxFields: 4,
  maxFiles: 1,
  maxUrlParams: 8,
  maxJsonDepth: 8,
};

const XSS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "'><svg/onload=alert(3)>",
  '</textarea><script>alert(4)</script>',
  '<%= process.env %>',
  'javascript:alert(5)',
];
const XSS_TEXT = `fire ${XSS.join(' ')}`;

interface Tag {
  name: string;
  attributes: [string, string][];
}

/** The start tags of an HTML document with their attributes, read as a browser tokenizes them. */
function startTags(html: string): Tag[] {
  const tags: Tag[] = [];
  const tagStart = /<([a-zA-Z][a-zA-Z0-9-]*)/g;
  for (let match = tagStart.exec(html); match !== null; match = tagStart.exec(html)) {
    const tag: Tag = { name: match[1].toLowerCase(), attributes: [] };
    let i = tagStart.lastIndex;
    while (i < html.length && html[i] !== '>') {
      if (/[\s/]/.test(html[i])) {
        i++;
        continue;
      }
      let name = '';
      while (i < html.length && !/[\s/>=]/.test(html[i])) name += html[i++];
      let value = '';
      if (html[i] === '=') {
        i++;
        const quote = html[i];
        if (quote === '"' || quote === "'") {
          const end = html.indexOf(quote, i + 1);
          value = html.slice(i + 1, end);
          i = end + 1;
        } else {
          while (i < html.length && !/[\s>]/.test(html[i])) value += html[i++];
        }
      }
      tag.attributes.push([name.toLowerCase(), value]);
    }
    tags.push(tag);
    tagStart.lastIndex = i;
  }
  return tags;
}

/** Nothing a payload could have injected: scripts, event handlers, javascript: URLs, embeds. */
function expectNoInjectedMarkup(html: string): void {
  for (const tag of startTags(html)) {
    if (tag.name === 'script') {
      expect(tag.attributes).toHaveLength(2);
      expect(['/static/js/enhance.js', '/static/js/upload.js']).toContain(tag.attributes[0][1]);
      expect(tag.attributes).toEqual([
        ['src', tag.attributes[0][1]],
        ['defer', ''],
      ]);
    }
    expect(['img', 'iframe', 'object', 'embed', 'base', 'meta-refresh']).not.toContain(tag.name);
    for (const [name, value] of tag.attributes) {
      expect(name).not.toMatch(/^on/);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name))
        expect(value).not.toMatch(/^\s*javascript:/i);
    }
  }
  expect(html).not.toContain('<%=');
  for (const payload of XSS) {
    if (/[<>"']/.test(payload)) expect(html).not.toContain(payload);
  }
}

let registry: SiftRegistry;
let evilDir: string;
let live: LiveServer;
const servers: LiveServer[] = [];

async function serverWith(overrides: Partial<Config>): Promise<LiveServer> {
  const server = await startLive(registry, { ...TIGHT, ...overrides });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  // tweets-mini (the default) plus evil-mini: a copy whose card puts markup and formulas in every
  // text a page or a CSV download shows (titles, labels, examples, class names).
  evilDir = copyBundles(['tweets-mini', 'sentiment-mini']);
  fs.cpSync(path.join(evilDir, 'tweets-mini'), path.join(evilDir, 'evil-mini'), { recursive: true });
  editJson(path.join(evilDir, 'evil-mini', 'card.json'), (card) => {
    card.name = 'evil-mini';
    card.title = `Evil ${XSS[0]}`;
    card.description = XSS.join(' ');
    const inputs = card.inputs as { label: string; example: string }[];
    inputs.forEach((input, i) => {
      input.label = `${XSS[i % XSS.length]} label`;
      input.example = XSS[(i + 1) % XSS.length];
    });
    const classes = card.classes as { name: string }[];
    classes[0].name = `=HYPERLINK("http://evil.example","x") ${XSS[1]}`;
    classes[1].name = `@SUM(1+1) ${XSS[0]}`;
    card.examples = [{ title: XSS[3], inputs: { text: XSS[0], keyword: XSS[1], location: XSS[2] } }];
  });
  registry = await loadRegistry(evilDir, { defaultModel: 'tweets-mini' });
  expect(registry.skipped).toEqual([]);
  live = await serverWith({});
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await registry.close();
  rmSync(evilDir, { recursive: true, force: true });
});

afterEach(() => {
  expectNoPollution();
});

const post = (route = '/predict') => live.http().post(route).set('Accept', 'application/json');
/** Exactly these bytes with this Content-Type (and Content-Encoding), as an API client. */
const sendRaw = (
  route: string,
  contentType: string,
  body: string | Buffer,
  encoding?: string,
  headers: Record<string, string> = {},
): Promise<Answer> =>
  rawRequest(
    live.port,
    'POST',
    route,
    {
      Accept: 'application/json',
      'Content-Type': contentType,
      ...(encoding === undefined ? {} : { 'Content-Encoding': encoding }),
      ...headers,
    },
    body,
  );

// ---------------------------------------------------------------------------------------------
describe('body size and encoding', () => {
  it('413s a JSON body over MAX_BODY_BYTES', async () => {
    const res = await post().send({ text: 'a'.repeat(5000) });
    expectAnswer(res, 413, 'payload_too_large');
    expect((res.body as { error: { message: string } }).error.message).toContain('MAX_BODY_BYTES');
    await expectServes(live);
  });

  it('413s an urlencoded body over MAX_BODY_BYTES', async () => {
    const res = await sendRaw('/predict', 'application/x-www-form-urlencoded', `text=${'a'.repeat(5000)}`);
    expectAnswer(res, 413, 'payload_too_large');
    await expectServes(live);
  });

  it('413s a plain-text body over MAX_BODY_BYTES', async () => {
    const res = await sendRaw('/predict', 'text/plain', 'a '.repeat(3000));
    expectAnswer(res, 413, 'payload_too_large');
    await expectServes(live);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('413s a %s bomb: a small body inflating past MAX_BODY_BYTES', async (encoding, compress) => {
    const bomb = compress(Buffer.from(JSON.stringify({ text: 'a'.repeat(2_000_000) })));
    expect(bomb.length).toBeLessThan(4096);
    const res = await sendRaw('/predict', 'application/json', bomb, encoding);
    expectAnswer(res, 413, 'payload_too_large');
    expect((res.body as { error: { message: string } }).error.message).toContain('after decompression');
    await expectServes(live);
  });

  it('413s a gzip bomb in an urlencoded form and on /invocations and /v2 infer', async () => {
    const form = gzipSync(Buffer.from(`text=${'a'.repeat(1_000_000)}`));
    expectAnswer(
      await sendRaw('/predict', 'application/x-www-form-urlencoded', form, 'gzip'),
      413,
      'payload_too_large',
    );
    const json = gzipSync(Buffer.from(JSON.stringify({ instances: ['a'.repeat(1_000_000)] })));
    expectAnswer(await sendRaw('/invocations', 'application/json', json, 'gzip'), 413, 'payload_too_large');
    expectAnswer(await sendRaw('/v2/models/tweets-mini/infer', 'application/json', json, 'gzip'), 413, null);
    await expectServes(live);
  });

  it('accepts a small gzip body (compression itself is fine)', async () => {
    const res = await sendRaw(
      '/predict',
      'application/json',
      gzipSync(Buffer.from(JSON.stringify({ text: FIRE }))),
      'gzip',
    );
    expectAnswer(res, 200);
    await expectServes(live);
  });

  it.each(['compress', 'zstd', 'x-custom', 'gzip, br'])('415s Content-Encoding %s', async (encoding) => {
    const res = await sendRaw('/predict', 'application/json', JSON.stringify({ text: FIRE }), encoding);
    expectAnswer(res, 415, 'unsupported_media_type');
    await expectServes(live);
  });

  it('400s a corrupt gzip body', async () => {
    const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(40, 0x41)]);
    expectAnswer(await sendRaw('/predict', 'application/json', corrupt, 'gzip'), 400, 'bad_request');
    await expectServes(live);
  });

  it('415s a compressed multipart body (multer cannot inflate)', async () => {
    const form = multipart([{ name: 'text', value: FIRE }]);
    expectAnswer(
      await sendRaw('/predict', form.contentType, gzipSync(form.body), 'gzip'),
      415,
      'unsupported_media_type',
    );
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('malformed and deep JSON', () => {
  it.each([
    ['truncated', '{"text": "fire'],
    ['a trailing comma', '{"text": "fire",}'],
    ['single quotes', "{'text': 'fire'}"],
    ['NaN', '{"text": NaN}'],
    ['a bare word', 'fire'],
    ['two documents', '{"text": "a"}{"text": "b"}'],
    ['a control character in a string', '{"text": "a\u0001b"}'],
  ])('400s invalid JSON: %s, without echoing it', async (_what, body) => {
    const res = await sendRaw('/predict', 'application/json', body);
    expectAnswer(res, 400, 'invalid_json');
    expect(res.text).not.toContain('fire');
    await expectServes(live);
  });

  it('400s an empty or whitespace-only JSON body', async () => {
    expectAnswer(await sendRaw('/predict', 'application/json', '   \n\t '), 400, 'empty_body');
    const empty = await post().set('Content-Type', 'application/json').set('Content-Length', '0').send();
    expectAnswer(empty, 400, 'empty_body');
    await expectServes(live);
  });

  it('400s JSON nested deeper than MAX_JSON_DEPTH, even thousands deep, before parsing it', async () => {
    const nine = `{"text": ${'['.repeat(9)}"a"${']'.repeat(9)}}`;
    expectAnswer(await sendRaw('/predict', 'application/json', nine), 400, 'json_too_deep');
    const deep = '['.repeat(4000);
    expectAnswer(await sendRaw('/predict', 'application/json', deep), 400, 'json_too_deep');
    const objects = '{"a":'.repeat(800);
    expectAnswer(await sendRaw('/v2/models/tweets-mini/infer', 'application/json', objects), 400, null);
    await expectServes(live);
  });

  it('does not count brackets inside strings as depth', async () => {
    const res = await post().send({ text: `${'[{'.repeat(50)} fire`, keyword: '\\"[[[[[[[[[[' });
    expectAnswer(res, 200);
    await expectServes(live);
  });

  it('400s deep JSON Lines on /invocations', async () => {
    const lines = `{"text": "fire"}\n${'['.repeat(50)}${']'.repeat(50)}\n`;
    const res = await sendRaw('/invocations', 'application/jsonlines', lines);
    expectAnswer(res, 400, 'json_too_deep');
    expect((res.body as { error: { message: string } }).error.message).toBe(
      'line 2: JSON nesting is deeper than 8 levels (MAX_JSON_DEPTH)',
    );
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('content types and charsets', () => {
  it.each([
    'application/xml',
    'text/html',
    'application/octet-stream',
    'image/png',
    'nonsense',
    'application/x-yaml',
  ])('415s Content-Type %s on /predict', async (type) => {
    expectAnswer(await sendRaw('/predict', type, '{"text": "fire"}'), 415, 'unsupported_media_type');
    await expectServes(live);
  });

  it('415s a body without Content-Type', async () => {
    const res = await rawExchange(live.port, [
      {
        data: 'POST /predict HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{"text": "fire"}',
      },
    ]);
    expect(statusLines(res.received)).toEqual([415]);
    expect(res.received).toContain('"code":"unsupported_media_type"');
    await expectServes(live);
  });

  it.each(['latin1', 'iso-8859-1', 'utf-16', 'utf-16le', 'windows-1252', '"utf-32"'])(
    '415s JSON declared charset=%s',
    async (charset) => {
      expectAnswer(
        await sendRaw('/predict', `application/json; charset=${charset}`, '{"text":"fire"}'),
        415,
        'unsupported_media_type',
      );
      await expectServes(live);
    },
  );

  it('415s a declared non-UTF-8 charset on forms, /invocations JSON and /v2 infer', async () => {
    expectAnswer(
      await sendRaw('/predict', 'application/x-www-form-urlencoded; charset=iso-8859-1', 'text=fire'),
      415,
      'unsupported_media_type',
    );
    expectAnswer(
      await sendRaw('/invocations', 'application/json; charset=utf-16', '{"text":"fire"}'),
      415,
      'unsupported_media_type',
    );
    expectAnswer(
      await sendRaw('/v2/models/tweets-mini/infer', 'application/json; charset=latin1', '{}'),
      415,
      null,
    );
    await expectServes(live);
  });

  it('415s XML and form bodies on the JSON-only protocol routes', async () => {
    expectAnswer(await sendRaw('/invocations', 'application/xml', '<a/>'), 415, 'unsupported_media_type');
    expectAnswer(
      await sendRaw('/v1/models/tweets-mini:predict', 'application/x-www-form-urlencoded', 'text=a'),
      415,
      null,
    );
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('prototype pollution', () => {
  it.each([
    ['__proto__ at the top', '{"text": "fire", "__proto__": {"polluted": true}}'],
    ['constructor.prototype', '{"text": "fire", "constructor": {"prototype": {"polluted": true}}}'],
    [
      '__proto__ inside a batch row',
      '{"instances": [{"text": "a"}, {"text": "b", "__proto__": {"polluted": 1}}]}',
    ],
    [
      'prototype deep in a value',
      '{"text": "fire", "keyword": "x", "x": [[{"a": {"prototype": {"polluted": 1}}}]]}',
    ],
  ])('400s %s on /predict (forbidden_key)', async (_what, body) => {
    const res = await sendRaw('/predict', 'application/json', body);
    expectAnswer(res, 400, 'forbidden_key');
    await expectServes(live);
  });

  it('400s forbidden keys on /invocations (MLflow records) and /v2 infer', async () => {
    const records = '{"dataframe_records": [{"text": "a", "__proto__": {"polluted": 1}}]}';
    expectAnswer(await sendRaw('/invocations', 'application/json', records), 400, 'forbidden_key');
    const infer =
      '{"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": ["a"], "constructor": {"prototype": {"polluted": 1}}}]}';
    expectAnswer(await sendRaw('/v2/models/tweets-mini/infer', 'application/json', infer), 400, null);
    const lines = '{"text": "a", "__proto__": {"polluted": 1}}\n';
    expectAnswer(await sendRaw('/invocations', 'application/jsonlines', lines), 400, 'forbidden_key');
    await expectServes(live);
  });

  it('400s a form field named __proto__ or constructor, urlencoded and multipart', async () => {
    expectAnswer(
      await sendRaw('/predict', 'application/x-www-form-urlencoded', 'text=fire&__proto__=x'),
      400,
      'forbidden_key',
    );
    expectAnswer(
      await sendRaw('/predict', 'application/x-www-form-urlencoded', 'text=fire&constructor=x'),
      400,
      'forbidden_key',
    );
    const form = multipart([
      { name: 'text', value: 'fire' },
      { name: '__proto__', value: 'x' },
    ]);
    expectAnswer(await sendRaw('/predict', form.contentType, form.body), 400, 'forbidden_key');
    await expectServes(live);
  });

  it('ignores bracketed names in forms and query strings: no nesting, nothing reaches a prototype', async () => {
    const form =
      'text=fire&__proto__[polluted]=1&constructor[prototype][polluted]=1&a[__proto__][polluted]=1';
    expectAnswer(await sendRaw('/predict', 'application/x-www-form-urlencoded', form), 200);
    const query = await live
      .http()
      .post('/predict?__proto__[polluted]=1&constructor[prototype][polluted]=1')
      .send({ text: FIRE });
    expectAnswer(query, 200);
    const index = await live.http().get('/index?__proto__[polluted]=1&model[__proto__]=x');
    expectAnswer(index, 200);
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('input fields', () => {
  it.each([
    ['a number', 42, 'a number'],
    ['null', null, 'null'],
    ['an array', ['fire'], 'an array'],
    ['an object', { text: 'fire' }, 'an object'],
    ['a boolean', true, 'a boolean'],
  ])('400s text as %s, naming the field', async (_what, value, described) => {
    const res = await post().send({ text: value });
    expectAnswer(res, 400, 'invalid_input');
    expect((res.body as { error: { message: string } }).error.message).toBe(
      `invalid input: field "text" must be a string, got ${described}`,
    );
    await expectServes(live);
  });

  it('400s a wrong type in an optional field, naming it', async () => {
    const res = await post().send({ text: FIRE, keyword: 7 });
    expectAnswer(res, 400, 'invalid_input');
    expect((res.body as { error: { message: string } }).error.message).toContain(
      'field "keyword" must be a string',
    );
    await expectServes(live);
  });

  it.each([
    ['empty', ''],
    ['spaces', '   '],
    ['tabs and newlines', '\t\r\n\t'],
    ['no-break and ideographic spaces', '\u00a0\u3000\u2003'],
  ])('400s %s text', async (_what, text) => {
    const res = await post().send({ text });
    expectAnswer(res, 400, 'invalid_input');
    expect((res.body as { error: { message: string } }).error.message).toBe(
      'invalid input: field "text" is empty',
    );
    await expectServes(live);
  });

  it('400s text over MAX_TEXT_CHARS, counted in UTF-16 units as documented', async () => {
    const over = await post().send({ text: 'a'.repeat(501) });
    expectAnswer(over, 400, 'invalid_input');
    expect((over.body as { error: { message: string } }).error.message).toContain('MAX_TEXT_CHARS');
    const emoji = await post().send({ text: '🔥'.repeat(251) });
    expectAnswer(emoji, 400, 'invalid_input');
    expectAnswer(await post().send({ text: 'a'.repeat(500) }), 200);
    await expectServes(live);
  });

  it('413s batches over MAX_BATCH on every route', async () => {
    const rows = Array.from({ length: 5 }, () => 'fire');
    expectAnswer(await post().send({ instances: rows }), 413, 'payload_too_large');
    expectAnswer(await post().send(rows), 413, 'payload_too_large');
    expectAnswer(await post('/invocations').send({ instances: rows }), 413, 'payload_too_large');
    expectAnswer(await post('/v1/models/tweets-mini:predict').send({ instances: rows }), 413, null);
    const tensor = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [5], data: rows }] };
    expectAnswer(await post('/v2/models/tweets-mini/infer').send(tensor), 413, null);
    await expectServes(live);
  });

  it('400s a batch with some bad rows, listing exactly those rows', async () => {
    const res = await post().send({ instances: ['fire', { text: 3 }, { text: 'flood' }, '  '] });
    expectAnswer(res, 400, 'invalid_input');
    const details = (
      res.body as { error: { details: { failed: number; rows: { index: number; field: string }[] } } }
    ).error.details;
    expect(details.failed).toBe(2);
    expect(details.rows.map((r) => [r.index, r.field])).toEqual([
      [1, 'text'],
      [3, 'text'],
    ]);
    await expectServes(live);
  });

  it('400s a field the model does not take (a typo cannot silently drop an input)', async () => {
    const res = await post().send({ text: FIRE, keywords: 'fire' });
    expectAnswer(res, 400, 'invalid_input');
    expect((res.body as { error: { message: string } }).error.message).toContain(
      '"keywords" is not an input',
    );
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('odd text: invalid UTF-8, lone surrogates, control characters', () => {
  it('decodes invalid UTF-8 bytes in JSON as U+FFFD and predicts (documented in src/http/body.ts)', async () => {
    const invalid = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80]);
    const body = Buffer.concat([
      Buffer.from('{"text": "fire '),
      invalid,
      Buffer.from(' flood", "explain": true}'),
    ]);
    const res = await sendRaw('/predict', 'application/json', body);
    expectAnswer(res, 200);
    // The same answer as for the text with each bad sequence replaced as the WHATWG decoder does.
    const replaced = `fire ${new TextDecoder('utf-8').decode(invalid)} flood`;
    expect(replaced).toContain('\ufffd');
    const same = await post().send({ text: replaced, explain: true });
    expect(res.body).toEqual(same.body);
    await expectServes(live);
  });

  it('turns lone surrogates from \\ud800 escapes into U+FFFD and predicts', async () => {
    const lone = await sendRaw('/predict', 'application/json', '{"text": "fire \\ud800 \\udfff x\\ud83d"}');
    expectAnswer(lone, 200);
    const replaced = await post().send({ text: 'fire \ufffd \ufffd x\ufffd' });
    expect((lone.body as { probabilities: unknown }).probabilities).toEqual(
      (replaced.body as { probabilities: unknown }).probabilities,
    );
    await expectServes(live);
  });

  it('predicts text made of NUL, bidi overrides, zero-width and combining characters', async () => {
    const res = await post().send({ text: 'fire\u0000\u202e\u200b\u0301\u0301\u0301\ufeff\uffff' });
    expectAnswer(res, 200);
    await expectServes(live);
  });

  it('reads an uploaded CSV that is not UTF-8 as Windows-1252, says so, and predicts', async () => {
    const csv = Buffer.concat([
      Buffer.from('text\n"fire '),
      Buffer.from([0xc0, 0xaf, 0xff]),
      Buffer.from('"\n'),
    ]);
    const form = multipart([{ name: 'file', filename: 'a.csv', content: csv }]);
    const res = await sendRaw('/predict', form.contentType, form.body);
    expectAnswer(res, 200);
    expect(res.headers['x-csv-encoding']).toBe('windows-1252');
    expect(res.headers['x-csv-notice']).toMatch(/line 2 is the first/);
    expect(res.text).not.toContain('\ufffd');
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('XSS: every user or card string is escaped in pages', () => {
  const submitForm = (fields: Record<string, string>) =>
    live.http().post('/predict').type('form').set('Accept', 'text/html').send(fields);

  it('escapes payloads in every field of the result page', async () => {
    const res = await submitForm({ model: 'tweets-mini', text: XSS_TEXT, keyword: XSS[1], location: XSS[2] });
    expectAnswer(res, 200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectNoInjectedMarkup(res.text);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    await expectServes(live);
  });

  it('escapes a hostile model name on the HTML error page (form post, 404)', async () => {
    const res = await submitForm({ model: XSS.join(''), text: FIRE });
    expectAnswer(res, 404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectNoInjectedMarkup(res.text);
    await expectServes(live);
  });

  it('escapes /index?model=<script> (404 page) and fields re-shown by POST /index', async () => {
    const unknown = await live.http().get(`/index?model=${encodeURIComponent(XSS.join(''))}`);
    expectAnswer(unknown, 404);
    expectNoInjectedMarkup(unknown.text);
    const prefilled = await live
      .http()
      .post('/index')
      .type('form')
      .send({ text: XSS.join(' '), keyword: XSS[1], location: XSS[3] });
    expectAnswer(prefilled, 200);
    expectNoInjectedMarkup(prefilled.text);
    expect(prefilled.text).toContain('&lt;/textarea&gt;');
    await expectServes(live);
  });

  it('escapes a hostile model card: title, description, labels, examples and their data attribute', async () => {
    const page = await live.http().get('/index?model=evil-mini&example=0');
    expectAnswer(page, 200);
    expectNoInjectedMarkup(page.text);
    expect(page.text).toContain('Evil &lt;script&gt;alert(1)&lt;/script&gt;');
    const result = await submitForm({ model: 'evil-mini', text: XSS_TEXT, keyword: XSS[0] });
    expectAnswer(result, 200);
    expectNoInjectedMarkup(result.text);
    const other = await live.http().get('/index?model=tweets-mini');
    expectNoInjectedMarkup(other.text);
    await expectServes(live);
  });

  it('escapes <, > and & in JSON answers so they are never read as HTML', async () => {
    const res = await post().send({ model: XSS[0], text: FIRE });
    expectAnswer(res, 404, 'not_found');
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('\\u003cscript\\u003e');
    await expectServes(live);
  });

  it('replaces a hostile X-Request-Id instead of echoing it', async () => {
    const res = await post().set('X-Request-Id', XSS[0]).send({ text: FIRE });
    expectAnswer(res, 200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('CSV output is safe for spreadsheets', () => {
  const FORMULAS = [
    "=cmd|' /C calc'!A0",
    '+1+2',
    '-2+3',
    '@SUM(A1:A9)',
    '\tfire',
    '\rfire',
    '=HYPERLINK("http://x")',
  ];

  async function upload(csv: string, model = 'tweets-mini'): Promise<string[][]> {
    const form = multipart([
      { name: 'model', value: model },
      { name: 'file', filename: 'in.csv', content: csv },
    ]);
    const res = await sendRaw('/predict', form.contentType, form.body, undefined, { Accept: 'text/csv' });
    expectAnswer(res, 200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['cache-control']).toBe('no-store');
    return parseCsv(res.text, { relax_column_count: false }) as string[][];
  }

  it('neutralises cells starting with = + - @ tab or CR, in data and in headers', async () => {
    const header = ['text', '=evil()', 'note'];
    const rows = FORMULAS.slice(0, 3).map((cell, i) => [`fire ${i}`, cell, FORMULAS[i + 3]]);
    const csv = [header, ...rows]
      .map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(','))
      .join('\r\n');
    const out = await upload(csv);
    expect(out[0].slice(0, 3)).toEqual(['text', "'=evil()", 'note']);
    for (const [i, row] of out.slice(1).entries()) {
      expect(row[1]).toBe(`'${FORMULAS[i]}`);
      expect(row[2]).toBe(`'${FORMULAS[i + 3]}`);
    }
    expect(out.slice(1).map((row) => row[0])).toEqual(['fire 0', 'fire 1', 'fire 2']);
    await expectServes(live);
  });

  it('leaves plain numbers alone and neutralises formula class names from a hostile card', async () => {
    const out = await upload('text,score\n"fire",-0.5\n"flood",+3\n', 'evil-mini');
    expect(out.slice(1).map((row) => row[1])).toEqual(['-0.5', '+3']);
    const nameColumn = out[0].indexOf('predicted_label_name');
    for (const row of out.slice(1)) expect(row[nameColumn]).toMatch(/^'[=@]/);
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('path traversal', () => {
  const TRAVERSALS = [
    '/models/..%2F..%2Fetc%2Fpasswd',
    '/models/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/models/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/models/..%5C..%5Cwindows%5Cwin.ini',
    '/models/tweets-mini%00',
    '/models/%00',
    '/models/tweets-mini%00.json',
  ];

  function watchFileAccess(): { touched: (pattern?: RegExp) => string[]; restore: () => void } {
    const seen: string[] = [];
    const record = (target: unknown) => {
      if (typeof target === 'string' || target instanceof URL || Buffer.isBuffer(target))
        seen.push(String(target));
    };
    const spies = [
      jest.spyOn(fs, 'openSync'),
      jest.spyOn(fs, 'open'),
      jest.spyOn(fs, 'readFileSync'),
      jest.spyOn(fs, 'readFile'),
      jest.spyOn(fs, 'createReadStream'),
      jest.spyOn(fs, 'stat'),
      jest.spyOn(fs, 'statSync'),
      jest.spyOn(fs.promises, 'readFile'),
      jest.spyOn(fs.promises, 'open'),
      jest.spyOn(fs.promises, 'stat'),
    ] as jest.SpyInstance[];
    for (const spy of spies) {
      const original = spy.getMockImplementation();
      spy.mockImplementation(function (this: unknown, ...args: unknown[]) {
        record(args[0]);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as never);
    }
    return {
      touched: (pattern = /passwd|win\.ini|\.\./) => seen.filter((p) => pattern.test(p)),
      restore: () => spies.forEach((s) => s.mockRestore()),
    };
  }

  it('sees the files the server does open (the watch itself works)', async () => {
    const watch = watchFileAccess();
    try {
      expectAnswer(await live.http().get('/static/css/site.css'), 200);
      expect(watch.touched(/site\.css$/).length).toBeGreaterThan(0);
    } finally {
      watch.restore();
    }
  });

  it.each(TRAVERSALS)('404s GET %s without opening a file', async (route) => {
    const watch = watchFileAccess();
    try {
      const res = await live.http().get(route);
      expectAnswer(res, 404, 'not_found');
      expect(res.text).not.toMatch(/root:|\[fonts\]/);
      expect(watch.touched()).toEqual([]);
    } finally {
      watch.restore();
    }
    await expectServes(live);
  });

  it('404s traversal in the model of every prediction route', async () => {
    const evil = '..%2F..%2Fetc%2Fpasswd';
    expectAnswer(await post(`/models/${evil}/predict`).send({ text: FIRE }), 404, 'not_found');
    expectAnswer(await post(`/v2/models/${evil}/infer`).send({ inputs: [] }), 404, null);
    expectAnswer(await post(`/v1/models/${evil}:predict`).send({ instances: ['a'] }), 404, null);
    expectAnswer(await live.http().get(`/v2/models/${evil}`), 404, null);
    expectAnswer(await post().send({ model: '../../etc/passwd', text: FIRE }), 404, 'not_found');
    expectAnswer(await live.http().get('/index?model=..%2F..%2Fetc%2Fpasswd'), 404);
    const attributes = await post('/invocations')
      .set('X-Amzn-SageMaker-Custom-Attributes', 'model=../../etc/passwd')
      .send({ text: FIRE });
    expectAnswer(attributes, 404, 'not_found');
    await expectServes(live);
  });

  it.each(['/models/%E0%A4%A', '/models/%', '/v1/models/%zz:predict', '/v2/models/%ff/infer'])(
    '400s a malformed percent-encoding in %s',
    async (route) => {
      const res = await rawRequest(live.port, route.includes('infer') ? 'POST' : 'GET', route, {
        Accept: 'application/json',
      });
      expectAnswer(res, 400, route.startsWith('/v') ? null : 'bad_request');
      await expectServes(live);
    },
  );

  it('404s a very long model name and shortens it in the message', async () => {
    const name = 'a'.repeat(6000);
    const res = await live.http().get(`/models/${name}`);
    expectAnswer(res, 404, 'not_found');
    expect(res.text.length).toBeLessThan(1000);
    await expectServes(live);
  });

  it.each([
    '/static/..%2F..%2Fpackage.json',
    '/static/%2e%2e/%2e%2e/package.json',
    '/static/../../package.json',
    '/static/.env',
  ])('404s static traversal %s (raw request line, not normalised by a client)', async (target) => {
    const res = await rawExchange(live.port, [
      { data: `GET ${target} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n` },
    ]);
    expect(statusLines(res.received)).toEqual([404]);
    expect(res.received).not.toContain('"name": "sift"');
    expectNoLeak(res.received);
    await expectServes(live);
  });

  it('ignores the upload filename: nothing is written anywhere, the download is named after the model', async () => {
    const token = `sift-traversal-${process.pid}-${Date.now()}`;
    const form = multipart([
      { name: 'file', filename: `../../../../../../tmp/${token}.csv`, content: 'text\nfire\n' },
    ]);
    const res = await sendRaw('/predict', form.contentType, form.body, undefined, { Accept: '*/*' });
    expectAnswer(res, 200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="predictions-tweets-mini.csv"');
    for (const dir of [os.tmpdir(), '/tmp', REPO_ROOT, process.cwd(), path.join(REPO_ROOT, 'uploads')]) {
      if (existsSync(dir)) expect(readdirSync(dir).filter((f) => f.includes(token))).toEqual([]);
    }
    expect(existsSync(`/tmp/${token}.csv`)).toBe(false);
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('multipart floods and uploads', () => {
  const sendForm = (parts: Parameters<typeof multipart>[0]) => {
    const form = multipart(parts);
    return sendRaw('/predict', form.contentType, form.body);
  };

  it('413s more fields than MAX_FIELDS', async () => {
    const parts = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, value: 'x' }));
    expectAnswer(await sendForm([{ name: 'text', value: 'fire' }, ...parts]), 413, 'payload_too_large');
    await expectServes(live);
  });

  it('413s more files than MAX_FILES', async () => {
    const file = { name: 'file', filename: 'a.csv', content: 'text\nfire\n' };
    expectAnswer(await sendForm([file, file]), 413, 'payload_too_large');
    await expectServes(live);
  });

  it('413s more parts than MAX_FIELDS + MAX_FILES', async () => {
    const parts = Array.from({ length: 40 }, () => ({ name: 'file', filename: 'a.csv', content: 'x' }));
    expectAnswer(await sendForm(parts), 413, 'payload_too_large');
    await expectServes(live);
  });

  it('413s a field value far beyond MAX_TEXT_CHARS and an upload over MAX_UPLOAD_BYTES', async () => {
    expectAnswer(await sendForm([{ name: 'text', value: 'a'.repeat(2000) }]), 413, 'payload_too_large');
    const big = `text\n${'fire,'.repeat(1000)}\n`;
    expectAnswer(
      await sendForm([{ name: 'file', filename: 'a.csv', content: big }]),
      413,
      'payload_too_large',
    );
    await expectServes(live);
  });

  it('400s a file in another field, a long field name and nested field names', async () => {
    expectAnswer(
      await sendForm([{ name: 'upload', filename: 'a.csv', content: 'text\nfire\n' }]),
      400,
      'bad_request',
    );
    expectAnswer(await sendForm([{ name: 'x'.repeat(200), value: 'fire' }]), 400, 'bad_request');
    expectAnswer(await sendForm([{ name: 'text[a][b]', value: 'fire' }]), 400, 'bad_request');
    await expectServes(live);
  });

  it('400s a truncated multipart body and one without a boundary', async () => {
    const form = multipart([{ name: 'text', value: 'fire' }]);
    const truncated = form.body.subarray(0, form.body.length - 20);
    expectAnswer(await sendRaw('/predict', form.contentType, truncated), 400, 'bad_request');
    expectAnswer(await sendRaw('/predict', 'multipart/form-data', form.body), 400, 'bad_request');
    await expectServes(live);
  });

  it('400s a binary (non-CSV) upload', async () => {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) % 256)),
    ]);
    const res = await sendForm([
      { name: 'file', filename: 'cat.png', content: png, contentType: 'image/png' },
    ]);
    expectAnswer(res, 400);
    expect(['invalid_csv', 'invalid_encoding', 'missing_columns']).toContain(
      (res.body as { error: { code: string } }).error.code,
    );
    await expectServes(live);
  });

  it('400s a JSON file uploaded as the CSV, listing the columns found', async () => {
    const res = await sendForm([{ name: 'file', filename: 'a.json', content: '{"text": "fire"}\n' }]);
    expectAnswer(res, 400);
    // One line reads as a header without data rows (bad_request).
    expect(['invalid_csv', 'missing_columns', 'bad_request']).toContain(
      (res.body as { error: { code: string } }).error.code,
    );
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('CSV bombs', () => {
  const uploadCsv = (csv: string) => {
    const form = multipart([{ name: 'file', filename: 'a.csv', content: csv }]);
    return sendRaw('/predict', form.contentType, form.body);
  };

  it('413s more rows than MAX_CSV_ROWS (upload and text/csv body)', async () => {
    const csv = `text\n${['a', 'b', 'c', 'd'].join('\n')}\n`;
    expectAnswer(await uploadCsv(csv), 413, 'payload_too_large');
    expectAnswer(await sendRaw('/predict', 'text/csv', csv), 413, 'payload_too_large');
    await expectServes(live);
  });

  it('413s a CSV of many empty-looking rows (quoted blanks are rows too)', async () => {
    expectAnswer(await uploadCsv(`text\n${'"x"\n'.repeat(500)}`), 413, 'payload_too_large');
    await expectServes(live);
  });

  it('400s a huge single cell, naming its line', async () => {
    const res = await uploadCsv(`text\nfire\n"${'a'.repeat(1500)}"\n`);
    expectAnswer(res, 400, 'invalid_input');
    expect((res.body as { error: { message: string } }).error.message).toMatch(
      /line 3: field "text" is 1500 characters long/,
    );
    await expectServes(live);
  });

  it('400s unbalanced quotes, naming the line without quoting the cell', async () => {
    const res = await uploadCsv('text\nfire\n"secret cell, never closed\nmore\n');
    expectAnswer(res, 400, 'invalid_csv');
    const error = (res.body as { error: { message: string; details: { line: number } } }).error;
    expect(error.message).toMatch(/^the CSV is malformed: line \d+ opens a quote that is never closed/);
    expect(error.message).not.toContain('secret');
    await expectServes(live);
  });

  it('413s a CSV wider than 512 columns', async () => {
    const header = ['text', ...Array.from({ length: 520 }, (_, i) => `c${i}`)].join(',');
    expectAnswer(await uploadCsv(`${header}\n`), 413, 'payload_too_large');
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('slow and greedy clients (raw sockets)', () => {
  it('408s and closes a client that sends its headers too slowly', async () => {
    const slow = await serverWith({ headersTimeoutMs: 300, requestTimeoutMs: 1000 });
    const res = await rawExchange(slow.port, [
      { data: 'GET /health HTTP/1.1\r\nHost: x\r\n' },
      ...Array.from({ length: 8 }, (_, i) => ({ data: `X-Slow-${i}: 1\r\n`, delayMs: 150 })),
    ]);
    expect(statusLines(res.received)).toEqual([408]);
    expect(res.closedAfterMs).toBeLessThan(2000);
    await expectServes(slow);
  });

  it('408s and closes a client that sends its body too slowly', async () => {
    const slow = await serverWith({ headersTimeoutMs: 300, requestTimeoutMs: 700 });
    const res = await rawExchange(slow.port, [
      {
        data: 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"text":',
      },
      ...Array.from({ length: 12 }, () => ({ data: ' ', delayMs: 150 })),
    ]);
    expect(statusLines(res.received)).toEqual([408]);
    expect(res.closedAfterMs).toBeLessThan(2500);
    await expectServes(slow);
  });

  it('answers a pipelined flood in order on one socket', async () => {
    const count = 40;
    const requests = Array.from({ length: count }, (_, i) =>
      i % 2 === 0
        ? `GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipe-${i}\r\n\r\n`
        : jsonRequest('/predict', JSON.stringify({ text: `fire ${i}` }), `X-Request-Id: pipe-${i}\r\n`),
    ).join('');
    const res = await rawExchange(
      live.port,
      [{ data: `${requests}GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n` }],
      10_000,
    );
    expect(statusLines(res.received)).toEqual(Array.from({ length: count + 1 }, () => 200));
    const ids = [...res.received.matchAll(/X-Request-Id: (pipe-\d+)/gi)].map((m) => m[1]);
    expect(ids).toEqual(Array.from({ length: count }, (_, i) => `pipe-${i}`));
    expect(res.closedAfterMs).toBeLessThan(10_000);
    await expectServes(live);
  });

  it('closes a pipeline at a malformed request with one final 400 (earlier answers may be dropped, never garbled)', async () => {
    const good = jsonRequest('/predict', JSON.stringify({ text: 'fire' }));
    const res = await rawExchange(live.port, [
      { data: `${good}${good}GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n${good}` },
    ]);
    // Node's parser fails the whole connection: requests still queued behind the bad one are not
    // answered (the client sees the close and may retry them); what was sent is whole and in order.
    const statuses = statusLines(res.received);
    expect(statuses.join(',')).toMatch(/^(200,){0,2}400$/);
    expect(res.received.endsWith('\r\n\r\n')).toBe(true);
    expect(res.closedAfterMs).toBeLessThan(5000);
    await expectServes(live);
  });

  it('431s a request line (URL) longer than the header limit', async () => {
    const res = await rawExchange(live.port, [
      { data: `GET /models/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n` },
    ]);
    expect(statusLines(res.received)).toEqual([431]);
    await expectServes(live);
  });

  it('404s a long URL under the header limit without echoing all of it', async () => {
    const res = await rawExchange(live.port, [
      {
        data: `GET /nowhere/${'b'.repeat(8000)} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n`,
      },
    ]);
    expect(statusLines(res.received)).toEqual([404]);
    expect(res.received.length).toBeLessThan(2000);
    await expectServes(live);
  });

  it('431s too many header bytes; parses at most MAX_HEADERS_COUNT headers', async () => {
    const flood = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'v'.repeat(10)}\r\n`).join('');
    const tooMany = await rawExchange(live.port, [
      { data: `GET /health HTTP/1.1\r\nHost: x\r\n${flood}\r\n` },
    ]);
    expect(statusLines(tooMany.received)).toEqual([431]);
    const few = Array.from({ length: 150 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const counted = await rawExchange(live.port, [
      { data: `GET /health HTTP/1.1\r\nHost: x\r\n${few}Connection: close\r\n\r\n` },
    ]);
    expect(statusLines(counted.received)).toEqual([200]);
    await expectServes(live);
  });

  it.each([
    ['two different Content-Length headers', 'Content-Length: 5\r\nContent-Length: 6\r\n'],
    ['Content-Length with Transfer-Encoding: chunked', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'],
    ['a negative Content-Length', 'Content-Length: -1\r\n'],
    ['a non-numeric Content-Length', 'Content-Length: 5x\r\n'],
    ['a space before the colon', 'Content-Length : 5\r\n'],
    ['an unknown Transfer-Encoding', 'Transfer-Encoding: xchunked\r\n'],
    ['a header folded over two lines', 'X-Folded: a\r\n b\r\nContent-Length: 5\r\n'],
  ])('400s request smuggling attempt: %s (Node parser)', async (_what, headers) => {
    const res = await rawExchange(live.port, [
      {
        data: `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n{"te":1}\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n`,
      },
    ]);
    expect(statusLines(res.received)).toEqual([400]);
    expect(res.closedAfterMs).toBeLessThan(5000);
    await expectServes(live);
  });

  it('400s a bad chunk size in a chunked body', async () => {
    const res = await rawExchange(live.port, [
      {
        data: 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      },
    ]);
    expect(statusLines(res.received)).toEqual([400]);
    await expectServes(live);
  });

  it('400s HTTP/1.1 without Host', async () => {
    const res = await rawExchange(live.port, [{ data: 'GET /health HTTP/1.1\r\n\r\n' }]);
    expect(statusLines(res.received)).toEqual([400]);
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('unusual methods', () => {
  it.each([
    ['PROPFIND', '/predict', 405],
    ['TRACE', '/predict', 405],
    ['DELETE', '/models/tweets-mini', 405],
    ['PUT', '/index', 405],
    ['PATCH', '/invocations', 405],
    ['PROPFIND', '/nowhere', 404],
    ['TRACE', '/', 405],
  ])('%s %s → %i, never 500', async (method, route, status) => {
    const res = await rawExchange(live.port, [
      {
        data: `${method} ${route} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n`,
      },
    ]);
    expect(statusLines(res.received)).toEqual([status]);
    if (status === 405) expect(res.received).toMatch(/\r\nAllow: [A-Z, ]+\r\n/i);
    expectNoLeak(res.received);
    await expectServes(live);
  });

  it('answers OPTIONS on a known path with 204 and Allow', async () => {
    const res = await live.http().options('/predict');
    expectAnswer(res, 204);
    expect(res.headers.allow).toContain('POST');
    await expectServes(live);
  });

  it('drops CONNECT (no tunnel handler) without answering and keeps serving', async () => {
    const res = await rawExchange(live.port, [
      { data: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n' },
    ]);
    expect(statusLines(res.received).every((s) => s === 400 || s === 405)).toBe(true);
    expect(res.closedAfterMs).toBeLessThan(5000);
    await expectServes(live);
  });

  it('400s a method Node does not know', async () => {
    const res = await rawExchange(live.port, [{ data: 'BREW /predict HTTP/1.1\r\nHost: x\r\n\r\n' }]);
    expect(statusLines(res.received)).toEqual([400]);
    await expectServes(live);
  });

  it('answers HEAD on pages and APIs with headers only', async () => {
    for (const route of ['/index', '/models', '/health', '/docs']) {
      const res = await live.http().head(route);
      expectAnswer(res, 200);
      expect(res.text ?? '').toBe('');
    }
    const raw = await rawExchange(live.port, [
      { data: 'HEAD /index HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' },
    ]);
    expect(statusLines(raw.received)).toEqual([200]);
    expect(raw.received.split('\r\n\r\n')[1]).toBe('');
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('rate limiting', () => {
  it('429s past RATE_LIMIT_PER_MINUTE; a forged X-Forwarded-For does not reset it when TRUST_PROXY is off', async () => {
    const limited = await serverWith({ rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) {
      expectAnswer(
        await limited.http().post('/predict').set('X-Forwarded-For', `10.0.0.${i}`).send({ text: FIRE }),
        200,
      );
    }
    const blocked = await limited
      .http()
      .post('/predict')
      .set('X-Forwarded-For', '10.9.9.9')
      .send({ text: FIRE });
    expectAnswer(blocked, 429, 'too_many_requests');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Probes stay open for the orchestrator.
    expectAnswer(await limited.http().get('/health'), 200);
    expectAnswer(await limited.http().get('/ready'), 200);
    await expectServes(live);
  });

  it('with TRUST_PROXY=1 keys on the client address from X-Forwarded-For', async () => {
    const proxied = await serverWith({ rateLimitPerMinute: 2, trustProxy: 1 });
    const as = (ip: string) =>
      proxied.http().post('/predict').set('X-Forwarded-For', `203.0.113.77, ${ip}`).send({ text: FIRE });
    expectAnswer(await as('198.51.100.1'), 200);
    expectAnswer(await as('198.51.100.1'), 200);
    expectAnswer(await as('198.51.100.1'), 429, 'too_many_requests');
    expectAnswer(await as('198.51.100.2'), 200);
    await expectServes(live);
  });

  it('is off by default', async () => {
    for (let i = 0; i < 30; i++) expect((await live.http().get('/models')).status).toBe(200);
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('API keys', () => {
  const KEY = 'k-0123456789abcdef-secret';
  let keyed: LiveServer;
  beforeAll(async () => {
    keyed = await serverWith({ apiKeys: [KEY, 'k-another-key-0123456789'] });
  });

  it('401s the JSON API without a key or with a wrong, partial or empty key', async () => {
    const routes = [
      () => keyed.http().post('/predict').send({ text: FIRE }),
      () => keyed.http().post('/invocations').send({ text: FIRE }),
      () => keyed.http().get('/models'),
    ];
    for (const route of routes) {
      const none = await route();
      expectAnswer(none, 401, 'unauthorized');
      expect(none.headers['www-authenticate']).toBe('Bearer realm="Sift"');
    }
    for (const header of [`Bearer ${KEY.slice(0, -1)}`, `Bearer ${KEY}x`, 'Bearer ', `Basic ${KEY}`, KEY]) {
      expectAnswer(
        await keyed.http().post('/predict').set('Authorization', header).send({ text: FIRE }),
        401,
        'unauthorized',
      );
    }
    // Authentication runs before the KServe router, so its 401 has Sift's error shape there too.
    expectAnswer(
      await keyed.http().post('/v2/models/tweets-mini/infer').set('X-API-Key', 'wrong').send({}),
      401,
      'unauthorized',
    );
    await expectServes(live);
  });

  it('200s with Authorization: Bearer and with X-API-Key', async () => {
    expectAnswer(
      await keyed.http().post('/predict').set('Authorization', `Bearer ${KEY}`).send({ text: FIRE }),
      200,
    );
    expectAnswer(await keyed.http().post('/predict').set('X-API-Key', KEY).send({ text: FIRE }), 200);
    expectAnswer(await keyed.http().get('/health'), 200);
    await expectServes(live);
  });

  it('keeps the form public unless PROTECT_FORM, which asks browsers for a key', async () => {
    const form = await keyed
      .http()
      .post('/predict')
      .type('form')
      .set('Accept', 'text/html')
      .send({ text: FIRE });
    expectAnswer(form, 200);
    expectAnswer(await keyed.http().get('/index').set('Accept', 'text/html'), 200);
    const guarded = await serverWith({ apiKeys: [KEY], protectForm: true });
    const page = await guarded.http().get('/index').set('Accept', 'text/html');
    expectAnswer(page, 401);
    expect(page.headers['www-authenticate']).toMatch(/^Basic realm="Sift"/);
    const basic = Buffer.from(`user:${KEY}`).toString('base64');
    expectAnswer(
      await guarded.http().get('/index').set('Accept', 'text/html').set('Authorization', `Basic ${basic}`),
      200,
    );
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('CORS and security headers', () => {
  it('sends no CORS headers by default, whatever the Origin', async () => {
    const res = await post().set('Origin', 'https://evil.example').send({ text: FIRE });
    expectAnswer(res, 200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await live
      .http()
      .options('/predict')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    await expectServes(live);
  });

  it('answers preflights for configured origins only', async () => {
    const cors = await serverWith({ corsOrigins: ['https://app.example'] });
    const preflight = await cors
      .http()
      .options('/predict')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type, authorization');
    expectAnswer(preflight, 204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    const other = await cors
      .http()
      .post('/predict')
      .set('Origin', 'https://evil.example')
      .send({ text: FIRE });
    expectAnswer(other, 200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await expectServes(live);
  });

  it('sends helmet headers with a strict CSP on pages, JSON, CSV and errors', async () => {
    const answers = [
      await live.http().get('/index'),
      await post().send({ text: FIRE }),
      await live.http().get('/nowhere').set('Accept', 'text/html'),
      await post().send('{'),
      await sendRaw('/predict', 'text/csv', 'text\nfire\n'),
    ];
    for (const res of answers) {
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    await expectServes(live);
  });

  it('marks every prediction answer Cache-Control: no-store', async () => {
    const tensor = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [FIRE] }] };
    const answers = [
      await post().send({ text: FIRE }),
      await live.http().post('/predict').type('form').set('Accept', 'text/html').send({ text: FIRE }),
      await sendRaw('/predict', 'text/csv', 'text\nfire\n'),
      await post('/invocations').send({ instances: [FIRE] }),
      await post('/v1/models/tweets-mini:predict').send({ instances: [FIRE] }),
      await post('/v2/models/tweets-mini/infer').send(tensor),
      await post().send({ text: 3 }),
    ];
    for (const res of answers) {
      expect(res.status).toBeLessThan(500);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    await expectServes(live);
  });
});

// ---------------------------------------------------------------------------------------------
describe('error bodies never leak internals', () => {
  it('no stack trace, internal path or module name in any error, JSON or HTML', async () => {
    const bad: (() => Promise<Answer>)[] = [
      () => sendRaw('/predict', 'application/json', '{"text": '),
      () => sendRaw('/predict', 'application/json', '{"text": "a"}', 'gzip'),
      () => sendRaw('/invocations', 'application/json', '[[[['),
      () => sendRaw('/invocations', 'text/csv', '"a\n'),
      () => sendRaw('/invocations', 'application/jsonlines', '{]\n'),
      () => sendRaw('/v2/models/tweets-mini/infer', 'application/json', '{"inputs": 5}'),
      () => sendRaw('/v1/models/tweets-mini:predict', 'application/json', '{"instances": {}}'),
      () => sendRaw('/predict', 'multipart/form-data; boundary=x', '--x\r\nbroken'),
      () => live.http().post('/predict').type('form').set('Accept', 'text/html').send('text='),
      () => live.http().get('/models/nope').set('Accept', 'text/html'),
      () => live.http().get('/v2/models/nope/versions/1'),
      () => post('/invocations').set('Accept', 'application/xml').send({ text: FIRE }),
    ];
    for (const request of bad) {
      const res = await request();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectNoLeak(res.text);
      expect(res.text).not.toMatch(/SyntaxError|TypeError|RangeError|MulterError|ZodError|CsvError/);
    }
    await expectServes(live);
  });
});
