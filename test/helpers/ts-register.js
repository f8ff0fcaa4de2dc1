/**
 * Lets a child `node` process run the TypeScript sources directly (server tests spawn the real
 * entry point to send it real signals): each .ts file is transpiled on require, without type
 * checking (tsc does that), with the project's module settings. Output is cached by content hash
 * in node_modules/.cache so only changed files are transpiled again (and `typescript` itself is
 * loaded only when something changed).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const CACHE_DIR = path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'sift-ts-register');
let ts;

function transpile(source, filename) {
  ts ??= require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      resolveJsonModule: true,
      inlineSourceMap: true,
    },
  }).outputText;
}

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      const temporary = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, output);
      fs.renameSync(temporary, cached);
    } catch {
      // A read-only tree still works, just without the cache.
    }
  }
  module._compile(output, filename);
};
