/**
 * scripts/check-k8s.js on the shipped manifests and on copies broken one way at a time: each
 * mistake must be caught with a message naming it. Structure only (CI runs the route check against
 * the built server after `npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const CHECKER = join(ROOT, 'scripts', 'check-k8s.js');
const DEPLOY = join(ROOT, 'deploy');

interface CheckResult {
  status: number | null;
  output: string;
}

function runChecker(dir: string): CheckResult {
  const result = spawnSync(process.execPath, [CHECKER, '--dir', dir, '--structure-only'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A copy of deploy/ with `find` replaced by `replace` in one file (which must contain it). */
function brokenCopy(file: string, find: string | RegExp, replace: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sift-k8s-'));
  cpSync(DEPLOY, dir, { recursive: true });
  const path = join(dir, file);
  const original = readFileSync(path, 'utf8');
  const changed = original.replace(find, replace);
  if (changed === original) throw new Error(`${file} has no ${String(find)} to break`);
  writeFileSync(path, changed);
  return dir;
}

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

test('the shipped manifests pass', () => {
  const result = runChecker(DEPLOY);
  expect(result.output).toContain('check-k8s: OK');
  expect(result.status).toBe(0);
});

const BREAKAGES: [string, string, string | RegExp, string, string][] = [
  [
    'a readiness probe on a route that does not exist',
    'deployment.yaml',
    'path: /ready',
    'path: /readyz',
    'readinessProbe must GET /ready',
  ],
  [
    'a liveness probe on another port',
    'deployment.yaml',
    /(livenessProbe:\s+httpGet:\s+path: \/health\s+port: )http/,
    '$18080',
    'livenessProbe port 8080 is not a container port',
  ],
  [
    'a Service targeting a missing port',
    'service.yaml',
    'targetPort: http',
    'targetPort: web',
    'targetPort web is not a port',
  ],
  [
    'a Service selecting no pod',
    'service.yaml',
    /selector:\n {4}app\.kubernetes\.io\/name: sift/,
    'selector:\n    app.kubernetes.io/name: other',
    'spec.selector matches no Deployment',
  ],
  [
    'several cluster workers per pod',
    'deployment.yaml',
    /(name: WEB_CONCURRENCY\s+value: )'1'/,
    "$1'4'",
    "WEB_CONCURRENCY must be '1'",
  ],
  [
    'an unquoted number in env',
    'deployment.yaml',
    "value: '3000'",
    'value: 3000',
    'env PORT must be a string',
  ],
  [
    'a writable root filesystem',
    'deployment.yaml',
    'readOnlyRootFilesystem: true',
    'readOnlyRootFilesystem: false',
    'readOnlyRootFilesystem must be true',
  ],
  ['running as root', 'deployment.yaml', 'runAsUser: 1000', 'runAsUser: 0', 'runAsUser must not be 0'],
  ['no memory limit', 'deployment.yaml', /\n {14}memory: 256Mi/, '', 'resources.limits.memory is required'],
  [
    'an HPA aimed at another Deployment',
    'hpa.yaml',
    'name: sift\n  minReplicas',
    'name: other\n  minReplicas',
    'scaleTargetRef must name',
  ],
  [
    'a grace period shorter than the drain',
    'deployment.yaml',
    'terminationGracePeriodSeconds: 20',
    'terminationGracePeriodSeconds: 10',
    'must exceed preStop sleep + SHUTDOWN_TIMEOUT_MS',
  ],
  [
    'a manifest the kustomization leaves out',
    'kustomization.yaml',
    '  - pdb.yaml\n',
    '',
    'pdb.yaml is not listed in resources',
  ],
  ['invalid YAML', 'hpa.yaml', 'minReplicas: 2', 'minReplicas: [2', 'hpa.yaml:'],
];

test.each(BREAKAGES)('catches %s', (_title, file, find, replace, message) => {
  const dir = brokenCopy(file, find, replace);
  copies.push(dir);
  const result = runChecker(dir);
  expect(result.status).toBe(1);
  expect(result.output).toContain(message);
});
