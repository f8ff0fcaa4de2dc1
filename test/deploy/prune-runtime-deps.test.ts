/**
 * scripts/prune-runtime-deps.js (the Docker image's node_modules trim) on a small synthetic
 * install: it removes exactly what nothing reaches, keeps what something still needs, and refuses
 * when it cannot prove what a file loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'prune-runtime-deps.js');
const HERE = `${process.platform}/${process.arch}`;
const ELSEWHERE = process.platform === 'darwin' ? 'linux/x64' : 'darwin/arm64';

type Tree = Record<string, string>;

const manifest = (name: string, dependencies: Record<string, string> = {}, main = 'index.js'): string =>
  JSON.stringify({ name, version: '1.0.0', main, dependencies });

/** An app folder shaped like `npm ci --omit=dev` output, plus a compiled dist/. */
function baseTree(): Tree {
  return {
    'package.json': JSON.stringify({
      name: 'app',
      dependencies: { natural: '1', 'onnxruntime-node': '1', 'keep-me': '1' },
    }),
    'dist/server.js': 'const porter = require("natural/lib/natural/stemmers/porter_stemmer");\n',
    'node_modules/keep-me/package.json': manifest('keep-me', { shared: '1' }),
    'node_modules/keep-me/index.js': 'module.exports = require("shared");\n',
    'node_modules/keep-me/index.d.ts': 'export {};\n',
    'node_modules/keep-me/README.md': '# keep-me\n',
    'node_modules/keep-me/LICENSE.md': 'MIT\n',
    'node_modules/shared/package.json': manifest('shared'),
    'node_modules/shared/index.js': 'module.exports = 1;\n',
    'node_modules/natural/package.json': manifest(
      'natural',
      { mongoose: '1', shared: '1' },
      'lib/natural/index.js',
    ),
    'node_modules/natural/LICENSE.txt': 'MIT\n',
    'node_modules/natural/lib/natural/index.js':
      'require("mongoose"); require("./stemmers/porter_stemmer");\n',
    'node_modules/natural/lib/natural/stemmers/porter_stemmer.js': 'module.exports = require("./stemmer");\n',
    'node_modules/natural/lib/natural/stemmers/lancaster_stemmer.js':
      'const s = require("./stemmer"); const r = require("./lancaster_rules"); module.exports = s;\n',
    'node_modules/natural/lib/natural/stemmers/lancaster_rules.js': 'module.exports = {};\n',
    'node_modules/natural/lib/natural/stemmers/stemmer.js':
      'const path = require("node:path"); const stop = require("../util/stopwords"); module.exports = {};\n',
    'node_modules/natural/lib/natural/util/stopwords.js': 'module.exports = [];\n',
    'node_modules/natural/lib/natural/sentiment/big.json': '{}\n',
    'node_modules/mongoose/package.json': manifest('mongoose', { 'only-mongoose': '1' }),
    'node_modules/mongoose/index.js': 'require("only-mongoose");\n',
    'node_modules/only-mongoose/package.json': manifest('only-mongoose'),
    'node_modules/only-mongoose/index.js': '\n',
    'node_modules/onnxruntime-node/package.json': manifest(
      'onnxruntime-node',
      { 'onnxruntime-common': '1', 'global-agent': '1' },
      'dist/index.js',
    ),
    'node_modules/onnxruntime-node/dist/index.js':
      'require("onnxruntime-common");\nrequire(`../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`);\n',
    'node_modules/onnxruntime-node/script/install.js': 'require("global-agent");\n',
    [`node_modules/onnxruntime-node/bin/napi-v6/${HERE}/onnxruntime_binding.node`]: 'binary',
    [`node_modules/onnxruntime-node/bin/napi-v6/${ELSEWHERE}/onnxruntime_binding.node`]: 'binary',
    'node_modules/onnxruntime-common/package.json': manifest('onnxruntime-common'),
    'node_modules/onnxruntime-common/index.js': '\n',
    'node_modules/global-agent/package.json': manifest('global-agent'),
    'node_modules/global-agent/index.js': '\n',
    'node_modules/.bin/tsc': '#!/bin/sh\n',
  };
}

const apps: string[] = [];
afterAll(() => {
  for (const dir of apps) rmSync(dir, { recursive: true, force: true });
});

function writeTree(tree: Tree): string {
  const dir = mkdtempSync(join(tmpdir(), 'sift-prune-'));
  apps.push(dir);
  for (const [file, content] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

function prune(app: string, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [SCRIPT, '--app', app, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('removes what nothing reaches and keeps what something still needs', () => {
  const app = writeTree(baseTree());
  const result = prune(app);
  expect(result.output).toContain('node_modules after');
  expect(result.status).toBe(0);
  const has = (file: string) => existsSync(join(app, 'node_modules', file));

  // natural: the stemmers' require-closure stays, the rest goes, and so do its now-unused packages.
  for (const kept of ['porter_stemmer', 'lancaster_stemmer', 'lancaster_rules', 'stemmer']) {
    expect(has(`natural/lib/natural/stemmers/${kept}.js`)).toBe(true);
  }
  expect(has('natural/lib/natural/util/stopwords.js')).toBe(true);
  expect(has('natural/package.json')).toBe(true);
  expect(has('natural/LICENSE.txt')).toBe(true);
  expect(has('natural/lib/natural/index.js')).toBe(false);
  expect(has('natural/lib/natural/sentiment')).toBe(false);
  expect(has('mongoose')).toBe(false);
  expect(has('only-mongoose')).toBe(false);
  // `shared` was also natural's dependency, but keep-me still needs it.
  expect(has('shared/index.js')).toBe(true);

  // onnxruntime-node: this platform's binding only; the install script and what only it used go.
  expect(has(`onnxruntime-node/bin/napi-v6/${HERE}/onnxruntime_binding.node`)).toBe(true);
  expect(has(`onnxruntime-node/bin/napi-v6/${ELSEWHERE}`)).toBe(false);
  expect(has('onnxruntime-node/script')).toBe(false);
  expect(has('onnxruntime-common/index.js')).toBe(true);
  expect(has('global-agent')).toBe(false);

  // Never executed: declarations and docs; licences stay. npm's bin links go.
  expect(has('keep-me/index.d.ts')).toBe(false);
  expect(has('keep-me/README.md')).toBe(false);
  expect(has('keep-me/LICENSE.md')).toBe(true);
  expect(has('.bin')).toBe(false);
});

test('a dry run reports and deletes nothing', () => {
  const app = writeTree(baseTree());
  const result = prune(app, '--dry-run');
  expect(result.status).toBe(0);
  expect(result.output).toMatch(/removed: global-agent mongoose only-mongoose/);
  expect(existsSync(join(app, 'node_modules', 'mongoose', 'index.js'))).toBe(true);
});

test.each([
  [
    'the app requires natural as a whole',
    { 'dist/server.js': 'require("natural");\n' },
    "requires 'natural' as a whole",
  ],
  [
    'a stemmer file computes what it requires',
    { 'node_modules/natural/lib/natural/util/stopwords.js': 'const name = "x"; require("./" + name);\n' },
    'is computed; cannot prove what it loads',
  ],
  [
    'onnxruntime-node has no binding for this platform',
    { [`node_modules/onnxruntime-node/bin/napi-v6/${HERE}/onnxruntime_binding.node`]: undefined },
    `has no binding for ${HERE}`,
  ],
  [
    'a needed package is missing',
    { 'node_modules/shared/package.json': undefined, 'node_modules/shared/index.js': undefined },
    'shared (needed by node_modules/keep-me) is not installed',
  ],
])('refuses when %s', (_title, changes: Record<string, string | undefined>, message) => {
  const tree = baseTree();
  for (const [file, content] of Object.entries(changes)) {
    if (content === undefined) delete tree[file];
    else tree[file] = content;
  }
  const app = writeTree(tree);
  const result = prune(app);
  expect(result.status).toBe(1);
  expect(result.output).toContain(message);
  // Every cut is planned before any is made: a refusal leaves the install as it was.
  expect(existsSync(join(app, 'node_modules', 'mongoose'))).toBe(true);
  expect(existsSync(join(app, 'node_modules', 'onnxruntime-node', 'script'))).toBe(true);
});
