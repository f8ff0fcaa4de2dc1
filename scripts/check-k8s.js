#!/usr/bin/env node
/**
 * CI check of the Kubernetes manifests in deploy/:
 *  1. structure: every file parses; the Deployment's selector, the Service and the PDB select the
 *     pod template; ports resolve; the HPA targets the Deployment and has the requests it scales on;
 *     probes are /health (liveness, startup) and /ready (readiness) at the port the server listens
 *     on; resources, non-root, read-only root filesystem, no privilege escalation; env values are
 *     strings; WEB_CONCURRENCY is 1; the grace period covers preStop + the server's drain; the
 *     kustomization lists every manifest.
 *  2. routes (unless --structure-only): starts the built server (dist/server.js) with the
 *     container's environment on a free loopback port, requires every probe path to answer 200,
 *     then sends SIGTERM and requires a clean exit 0 inside the grace period.
 *
 * Usage: node scripts/check-k8s.js [--dir deploy] [--structure-only] [--artifacts DIR]
 * Exit status 0 when everything holds, 1 with one line per problem otherwise.
 */
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const YAML = require('yaml');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_SERVER_PORT = 3000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 8000;
const DEFAULT_GRACE_SECONDS = 30;
const PROBE_PATHS = { livenessProbe: '/health', startupProbe: '/health', readinessProbe: '/ready' };

function parseArgs(argv) {
  const options = { dir: path.join(ROOT, 'deploy'), structureOnly: false, artifactsDir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--structure-only') options.structureOnly = true;
    else if (arg === '--dir') options.dir = path.resolve(argv[++i] ?? '');
    else if (arg === '--artifacts') options.artifactsDir = path.resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${arg} (use --dir DIR, --structure-only, --artifacts DIR)`);
  }
  return options;
}

// ---- Kubernetes quantities ------------------------------------------------------------------------

const BINARY_SUFFIXES = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL_SUFFIXES = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** "250m" → 0.25, "256Mi" → 268435456, 1 → 1; undefined when it is not a quantity. */
function parseQuantity(value) {
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|m|k|M|G|T)?$/.exec(String(value ?? '').trim());
  if (!match) return undefined;
  const factor = BINARY_SUFFIXES[match[2]] ?? DECIMAL_SUFFIXES[match[2] ?? ''];
  return Number(match[1]) * factor;
}

// ---- loading --------------------------------------------------------------------------------------

/** Every manifest document of the folder, with the file it came from. */
function loadManifests(dir, problems) {
  const documents = [];
  let kustomization;
  const files = fs
    .readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  if (files.length === 0) problems.push(`${dir}: no YAML manifests`);
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const parsed = YAML.parseAllDocuments(text);
    for (const doc of Array.isArray(parsed) ? parsed : [parsed]) {
      for (const error of doc.errors) problems.push(`${file}: ${error.message.split('\n')[0]}`);
      if (doc.errors.length > 0) continue;
      const object = doc.toJS();
      if (object === null || object === undefined) continue;
      if (/^kustomization\.ya?ml$/.test(file)) {
        kustomization = { file, object };
        continue;
      }
      const where = `${file}: ${object.kind ?? '?'}/${object.metadata?.name ?? '?'}`;
      if (
        typeof object.apiVersion !== 'string' ||
        typeof object.kind !== 'string' ||
        !object.metadata?.name
      ) {
        problems.push(`${where}: apiVersion, kind and metadata.name are required`);
        continue;
      }
      documents.push({ file, where, object });
    }
  }
  return { documents, kustomization, files };
}

// ---- structure ------------------------------------------------------------------------------------

const matchesLabels = (selector, labels) =>
  Object.keys(selector ?? {}).length > 0 &&
  Object.entries(selector).every(([key, value]) => (labels ?? {})[key] === value);

/** The env a container sets with plain values (valueFrom entries are left to the cluster). */
function plainEnv(container) {
  const env = {};
  for (const entry of container.env ?? []) if (typeof entry.value === 'string') env[entry.name] = entry.value;
  return env;
}

/** A probe's or Service's port (number or name) → the container port number, or undefined. */
function resolvePort(container, port) {
  for (const declared of container.ports ?? []) {
    if (port === declared.containerPort || (typeof port === 'string' && port === declared.name)) {
      return declared.containerPort;
    }
  }
  return undefined;
}

function preStopSleepSeconds(container) {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep?.seconds !== undefined) return Number(preStop.sleep.seconds);
  const command = preStop?.exec?.command ?? [];
  return command[0] === 'sleep' && Number.isFinite(Number(command[1])) ? Number(command[1]) : 0;
}

function checkContainer(where, pod, container, problems) {
  const at = `${where}: container ${container.name ?? '?'}`;
  if (!container.name) problems.push(`${at}: has no name`);
  if (!container.image) problems.push(`${at}: has no image`);

  for (const entry of container.env ?? []) {
    if (entry.value !== undefined && typeof entry.value !== 'string') {
      problems.push(
        `${at}: env ${entry.name} must be a string (quote it), got ${JSON.stringify(entry.value)}`,
      );
    }
  }
  const env = plainEnv(container);
  if (env.WEB_CONCURRENCY !== '1') {
    problems.push(`${at}: WEB_CONCURRENCY must be '1' (one process per pod; scale with replicas)`);
  }
  const listenPort = Number(env.PORT ?? DEFAULT_SERVER_PORT);
  const ports = (container.ports ?? []).map((p) => p.containerPort);
  if (!ports.includes(listenPort)) {
    problems.push(
      `${at}: the server listens on ${listenPort} (PORT) but containerPorts are [${ports.join(', ')}]`,
    );
  }

  const resources = container.resources ?? {};
  for (const [section, names] of [
    ['requests', ['cpu', 'memory']],
    ['limits', ['memory']],
  ]) {
    for (const name of names) {
      const value = resources[section]?.[name];
      if (value === undefined) problems.push(`${at}: resources.${section}.${name} is required`);
      else if (parseQuantity(value) === undefined)
        problems.push(`${at}: resources.${section}.${name} "${value}" is not a quantity`);
    }
  }
  for (const name of ['cpu', 'memory']) {
    const request = parseQuantity(resources.requests?.[name]);
    const limit = parseQuantity(resources.limits?.[name]);
    if (request !== undefined && limit !== undefined && request > limit) {
      problems.push(`${at}: resources.requests.${name} exceeds resources.limits.${name}`);
    }
  }

  const security = container.securityContext ?? {};
  const podSecurity = pod.securityContext ?? {};
  if (security.readOnlyRootFilesystem !== true)
    problems.push(`${at}: securityContext.readOnlyRootFilesystem must be true`);
  if (security.allowPrivilegeEscalation !== false) {
    problems.push(`${at}: securityContext.allowPrivilegeEscalation must be false`);
  }
  if (!(security.capabilities?.drop ?? []).includes('ALL'))
    problems.push(`${at}: securityContext.capabilities.drop must include ALL`);
  if (security.privileged === true) problems.push(`${at}: must not be privileged`);
  if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true)
    problems.push(`${at}: runAsNonRoot must be true`);
  if ((security.runAsUser ?? podSecurity.runAsUser) === 0) problems.push(`${at}: runAsUser must not be 0`);

  for (const [probeName, expectedPath] of Object.entries(PROBE_PATHS)) {
    const probe = container[probeName];
    if (probe === undefined) {
      if (probeName !== 'startupProbe') problems.push(`${at}: ${probeName} is required`);
      continue;
    }
    if (!probe.httpGet) {
      problems.push(`${at}: ${probeName} must be an httpGet probe`);
      continue;
    }
    if (probe.httpGet.path !== expectedPath) {
      problems.push(`${at}: ${probeName} must GET ${expectedPath}, not ${probe.httpGet.path}`);
    }
    const port = resolvePort(container, probe.httpGet.port);
    if (port === undefined)
      problems.push(`${at}: ${probeName} port ${probe.httpGet.port} is not a container port`);
    else if (port !== listenPort)
      problems.push(`${at}: ${probeName} probes port ${port}; the server listens on ${listenPort}`);
  }

  const drainSeconds = Number(env.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SHUTDOWN_TIMEOUT_MS) / 1000;
  const needed = preStopSleepSeconds(container) + drainSeconds;
  const grace = pod.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  if (grace <= needed) {
    problems.push(
      `${at}: terminationGracePeriodSeconds ${grace} must exceed preStop sleep + SHUTDOWN_TIMEOUT_MS (${needed} s)`,
    );
  }
}

function checkStructure({ documents, kustomization, files }, problems) {
  const byKind = (kind) => documents.filter((d) => d.object.kind === kind);
  const deployments = byKind('Deployment');
  for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler']) {
    if (byKind(kind).length === 0) problems.push(`no ${kind} in deploy/`);
  }

  for (const { where, object } of deployments) {
    if (object.apiVersion !== 'apps/v1') problems.push(`${where}: apiVersion must be apps/v1`);
    const template = object.spec?.template ?? {};
    const podLabels = template.metadata?.labels;
    if (!matchesLabels(object.spec?.selector?.matchLabels, podLabels)) {
      problems.push(
        `${where}: spec.selector.matchLabels must be non-empty and match the pod template's labels`,
      );
    }
    const containers = template.spec?.containers ?? [];
    if (containers.length === 0) problems.push(`${where}: the pod template has no containers`);
    for (const container of containers) checkContainer(where, template.spec ?? {}, container, problems);
  }

  const podsSelectedBy = (selector) =>
    deployments.filter((d) => matchesLabels(selector, d.object.spec?.template?.metadata?.labels));

  for (const { where, object } of byKind('Service')) {
    const targets = podsSelectedBy(object.spec?.selector);
    if (targets.length === 0) {
      problems.push(`${where}: spec.selector matches no Deployment's pods`);
      continue;
    }
    for (const port of object.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const deployment of targets) {
        const containers = deployment.object.spec.template.spec?.containers ?? [];
        if (!containers.some((c) => resolvePort(c, target) !== undefined)) {
          problems.push(`${where}: targetPort ${target} is not a port of ${deployment.where}`);
        }
      }
    }
  }

  for (const { where, object } of byKind('HorizontalPodAutoscaler')) {
    if (object.apiVersion !== 'autoscaling/v2') problems.push(`${where}: apiVersion must be autoscaling/v2`);
    const ref = object.spec?.scaleTargetRef ?? {};
    const target = deployments.find((d) => ref.kind === 'Deployment' && d.object.metadata.name === ref.name);
    if (!target || ref.apiVersion !== 'apps/v1') {
      problems.push(
        `${where}: scaleTargetRef must name an apps/v1 Deployment of deploy/ (got ${ref.kind}/${ref.name})`,
      );
    }
    const min = object.spec?.minReplicas ?? 1;
    const max = object.spec?.maxReplicas;
    if (!Number.isInteger(max) || min < 1 || min > max)
      problems.push(`${where}: need 1 <= minReplicas <= maxReplicas`);
    if ((object.spec?.metrics ?? []).length === 0) problems.push(`${where}: spec.metrics is empty`);
    for (const metric of object.spec?.metrics ?? []) {
      const resource = metric.resource?.name;
      if (metric.type !== 'Resource' || metric.resource?.target?.type !== 'Utilization' || !target) continue;
      for (const container of target.object.spec.template.spec?.containers ?? []) {
        if (container.resources?.requests?.[resource] === undefined) {
          problems.push(
            `${where}: scales on ${resource} utilization but ${container.name} has no ${resource} request`,
          );
        }
      }
    }
    for (const pdb of byKind('PodDisruptionBudget')) {
      const minAvailable = pdb.object.spec?.minAvailable;
      if (Number.isInteger(minAvailable) && minAvailable >= min) {
        problems.push(
          `${pdb.where}: minAvailable ${minAvailable} must stay below the HPA's minReplicas ${min}`,
        );
      }
    }
  }

  for (const { where, object } of byKind('PodDisruptionBudget')) {
    if (podsSelectedBy(object.spec?.selector?.matchLabels).length === 0) {
      problems.push(`${where}: spec.selector matches no Deployment's pods`);
    }
  }

  if (kustomization) {
    const listed = kustomization.object.resources ?? [];
    for (const resource of listed) {
      if (!files.includes(resource))
        problems.push(`${kustomization.file}: resource ${resource} does not exist`);
    }
    for (const file of files) {
      if (!/^kustomization\.ya?ml$/.test(file) && !listed.includes(file)) {
        problems.push(`${kustomization.file}: ${file} is not listed in resources`);
      }
    }
  }
  return deployments;
}

// ---- routes: the real server answers the probes -----------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A folder with at least one bundle: the shipped artifacts, else the test fixture bundles. */
function findArtifactsDir(explicit) {
  const hasBundle = (dir) =>
    fs.existsSync(dir) &&
    fs
      .readdirSync(dir, { withFileTypes: true })
      .some((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'card.json')));
  const candidates = explicit
    ? [explicit]
    : [path.join(ROOT, 'artifacts'), path.join(ROOT, 'test', 'fixtures', 'bundles')];
  return candidates.find(hasBundle);
}

/** GET until 200; 404/405 means the route does not exist. Returns the last status or the error. */
async function waitFor200(url, deadline, exited) {
  let last = 'no answer';
  while (Date.now() < deadline && !exited()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return { ok: true };
      last = `HTTP ${response.status}`;
      if (response.status === 404 || response.status === 405)
        return { ok: false, last: `${last}: no such route` };
    } catch (error) {
      last = error instanceof Error ? (error.cause?.code ?? error.message) : String(error);
    }
    await sleep(200);
  }
  return { ok: false, last: exited() ? `the server exited (${last})` : `${last} after the deadline` };
}

async function checkRoutes(deployments, artifactsDir, problems) {
  const serverEntry = path.join(ROOT, 'dist', 'server.js');
  if (!fs.existsSync(serverEntry)) {
    problems.push(
      `${path.relative(ROOT, serverEntry)} is missing: run \`npm run build\` first (or pass --structure-only)`,
    );
    return;
  }
  if (!artifactsDir) {
    problems.push('no model bundle in artifacts/ or test/fixtures/bundles (pass --artifacts DIR)');
    return;
  }
  for (const { where, object } of deployments) {
    const pod = object.spec.template.spec ?? {};
    for (const container of pod.containers ?? []) {
      const at = `${where}: container ${container.name}`;
      const problemsBefore = problems.length;
      const port = await freePort();
      const env = {
        ...process.env,
        ...plainEnv(container),
        PORT: String(port),
        HOST: '127.0.0.1',
        ARTIFACTS_DIR: artifactsDir,
        LOG_LEVEL: 'warn',
      };
      const child = spawn(process.execPath, [serverEntry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (chunk) => {
        output = (output + chunk.toString()).slice(-4000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      let exit;
      const exited = new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          exit = { code, signal };
          resolve(exit);
        }),
      );
      try {
        const deadline = Date.now() + 60_000;
        for (const probeName of Object.keys(PROBE_PATHS)) {
          const probePath = container[probeName]?.httpGet?.path;
          if (!probePath) continue;
          const result = await waitFor200(
            `http://127.0.0.1:${port}${probePath}`,
            deadline,
            () => exit !== undefined,
          );
          if (result.ok) console.log(`  ${probeName} GET ${probePath} → 200 on the built server`);
          else problems.push(`${at}: ${probeName} GET ${probePath} did not answer 200 (${result.last})`);
        }
        if (exit === undefined) {
          const graceMs = (pod.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
          const started = Date.now();
          child.kill('SIGTERM');
          let timer;
          const timedOut = new Promise((resolve) => {
            timer = setTimeout(() => resolve(undefined), graceMs);
          });
          const result = await Promise.race([exited, timedOut]);
          clearTimeout(timer);
          if (!result)
            problems.push(
              `${at}: the server did not exit within the ${graceMs / 1000} s grace period after SIGTERM`,
            );
          else if (result.code !== 0)
            problems.push(
              `${at}: after SIGTERM the server exited with ${result.code ?? result.signal}, not 0`,
            );
          else console.log(`  SIGTERM → exit 0 in ${Date.now() - started} ms`);
        }
      } finally {
        if (exit === undefined) child.kill('SIGKILL');
        await exited;
      }
      if (problems.length > problemsBefore && output.trim())
        console.error(`server output (last lines):\n${output.trim()}`);
    }
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const problems = [];
  const manifests = loadManifests(options.dir, problems);
  const deployments = checkStructure(manifests, problems);
  console.log(
    `structure: ${manifests.documents.length} objects in ${manifests.files.length} files of ${path.relative(ROOT, options.dir) || '.'}`,
  );
  if (!options.structureOnly && problems.length === 0) {
    await checkRoutes(deployments, findArtifactsDir(options.artifactsDir), problems);
  }
  if (problems.length > 0) {
    console.error(`check-k8s: ${problems.length} problem(s):`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exitCode = 1;
    return;
  }
  console.log(`check-k8s: OK${options.structureOnly ? ' (structure only)' : ''}`);
}

main().catch((error) => {
  console.error(`check-k8s: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
