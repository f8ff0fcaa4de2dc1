/**
 * `npm run bench -- --profile`: where does Sift's time go under load? Starts Sift with one worker
 * under `node --cpu-prof`, drives one scenario at a time (single text, single text with
 * explanations, batches of 1,000), stops it (SIGTERM: the profile is written on exit), and
 * summarises the samples taken while the load ran. The .cpuprofile files stay in
 * bench/results/profiles/ (open them in Chrome DevTools → Performance, or speedscope).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generatedRows, mixRows, slice } from './corpus';
import { renderProfileMarkdown, summariseProfile, type CpuProfile } from './cpuprofile';
import { chooseLoadGenerator } from './loadgen';
import { measure } from './measure';
import type { BenchOptions } from './options';
import { freePort, startServer } from './processes';
import { siftServer, snapshotBuild } from './servers';

const log = (message: string) => process.stderr.write(`[bench:profile] ${message}\n`);

interface Scenario {
  name: string;
  path: string;
  batch: number;
  connections: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'single-text', path: '/predict', batch: 1, connections: 32 },
  { name: 'single-text-explain', path: '/predict?explain=true', batch: 1, connections: 32 },
  { name: 'batch-1000', path: '/predict', batch: 1000, connections: 4 },
];

const micros = () => Number(process.hrtime.bigint() / 1000n);

export async function runProfile(options: BenchOptions, root: string): Promise<void> {
  const outDir = resolve(root, options.outDir);
  const profilesDir = join(outDir, 'profiles');
  mkdirSync(profilesDir, { recursive: true });
  const generator = chooseLoadGenerator(options.loadGenerator);
  const build = snapshotBuild(root);
  // Generated rows only: the profile must not depend on what data happens to be present.
  const pool = mixRows(generatedRows(2000), []);
  const duration = options.quick ? 2 : Math.max(options.durationSeconds, 8);
  const sections: string[] = [
    '# Where Sift spends its time under load',
    '',
    `One worker (WEB_CONCURRENCY=1), node ${process.version} --cpu-prof, model \`${options.model}\`, ` +
      `${generator.name} ${generator.version}, ${duration} s of load per scenario after warm-up; only samples ` +
      'taken during the measured load are counted. "self" = time in the function itself, "total" = including callees.',
    '',
  ];

  for (const scenario of SCENARIOS) {
    const dir = join(profilesDir, scenario.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const server = await startServer(
      siftServer({
        root,
        serverJs: build.serverJs,
        port: await freePort(),
        artifactsDir: options.artifactsDir,
        model: options.model,
        workers: 1,
        name: `sift (1 worker, ${scenario.name})`,
        nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'],
      }),
    );
    const bodies =
      scenario.batch === 1
        ? pool.map((row) => JSON.stringify(row))
        : Array.from({ length: 4 }, (_, k) =>
            JSON.stringify({ instances: slice(pool, k * scenario.batch, scenario.batch) }),
          );
    let from: number;
    let to: number;
    try {
      // measure() warms up first; the window starts after the warm-up.
      await generator.run({
        url: server.url(scenario.path),
        bodies,
        connections: scenario.connections,
        durationSeconds: options.quick ? 1 : 3,
        timeoutSeconds: 30,
      });
      from = micros();
      const m = await measure(generator, server, {
        scenario: scenario.batch === 1 ? 'single' : 'batch',
        path: scenario.path,
        bodies,
        connections: scenario.connections,
        batch: scenario.batch,
        explain: scenario.path.includes('explain'),
        durationSeconds: duration,
        warmupSeconds: 0,
      });
      to = micros();
      log(
        `${scenario.name}: ${m.load.requestsPerSecond.toFixed(0)} req/s, ${m.textsPerSecond.toFixed(0)} texts/s under the profiler`,
      );
      sections.push(
        `## ${scenario.name}: ${m.load.requestsPerSecond.toFixed(0)} req/s, ${m.textsPerSecond.toFixed(0)} texts/s at ${scenario.connections} connections (with the profiler on)`,
      );
      sections.push('');
    } finally {
      await server.stop();
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (files.length === 0) {
      sections.push('No profile was written (did the server exit on SIGTERM without process.exit?).', '');
      continue;
    }
    const profile = JSON.parse(readFileSync(files[0], 'utf8')) as CpuProfile;
    let summary = summariseProfile(profile, { fromMicros: from, toMicros: to });
    if (summary.samples === 0) {
      log('no samples in the load window (clock mismatch?): summarising the whole profile');
      summary = summariseProfile(profile);
    }
    sections.push(renderProfileMarkdown(`${scenario.name} — ${files[0].slice(outDir.length + 1)}`, summary));
  }
  generator.close();
  build.remove();
  const markdown = sections.join('\n');
  writeFileSync(join(outDir, 'profile.md'), markdown);
  process.stdout.write(markdown + '\n');
  log(
    `wrote ${join(options.outDir, 'profile.md')} and the .cpuprofile files in ${join(options.outDir, 'profiles')}`,
  );
}
