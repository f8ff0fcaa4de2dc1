/**
 * The proof for issue 13: a server on loopback answers 200 requests/s for 20 s while the bundle is
 * reloaded every 2 s, alternating a good new version and a broken one. No request fails, every
 * answer names a version that was fully loaded and self-tested (never a broken one), and every
 * replaced model is closed once its requests are done, with memory back near where it started.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadRegistry } from '../../src/model/registry';
import type { ServedModel } from '../../src/model/load';
import { BUNDLES_DIR, buildTestApp } from '../helpers/app';

const RATE = 200;
const SECONDS = 20;
const RELOAD_EVERY_MS = 2000;

function writeBundle(dir: string, description: string, broken: boolean): void {
  cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), dir, { recursive: true });
  const cardPath = path.join(dir, 'card.json');
  const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(cardPath, JSON.stringify({ ...card, description }));
  if (broken) writeFileSync(path.join(dir, 'model.onnx'), 'not an onnx graph');
}

jest.setTimeout((SECONDS + 30) * 1000);

it(`reloads every ${RELOAD_EVERY_MS / 1000} s under ${RATE} req/s for ${SECONDS} s without failing a request`, async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sift-reload-load-'));
  const bundle = path.join(root, 'tweets');
  writeBundle(bundle, 'generation 0', false);
  const registry = await loadRegistry(root);
  const { app } = buildTestApp(registry, { logLevel: 'warn' });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const body = JSON.stringify({ text: 'Forest fire near La Ronge Sask. Canada' });
  const post = () =>
    new Promise<{ status: number; version: string }>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/predict',
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            let version = '';
            try {
              version = (JSON.parse(text) as { model_version?: string }).model_version ?? '';
            } catch {
              // A non-JSON answer counts as a failure below (no version).
            }
            resolve({ status: res.statusCode ?? 0, version });
          });
        },
      );
      req.on('error', () => resolve({ status: 0, version: '' }));
      req.end(body);
    });

  try {
    // Warm-up, then the baseline memory.
    for (let i = 0; i < 200; i++) await post();
    const baseline = process.memoryUsage().rss;
    const served = new Set<ServedModel>([registry.get('tweets-mini')!]);
    const good = new Set<string>([registry.get('tweets-mini')!.version]);
    const results: Promise<{ status: number; version: string }>[] = [];
    const reports: { ok: boolean }[] = [];
    let generation = 0;
    const reloads = setInterval(() => {
      generation++;
      const broken = generation % 2 === 0;
      writeBundle(bundle, `generation ${generation}`, broken);
      void registry.reload().then((report) => {
        reports.push(report);
        const model = registry.get('tweets-mini')!;
        served.add(model);
        if (report.ok) good.add(model.version);
      });
    }, RELOAD_EVERY_MS);
    const started = Date.now();
    await new Promise<void>((resolve) => {
      let sent = 0;
      const tick = setInterval(() => {
        // Catch up on the schedule: RATE requests per second whatever the timer's jitter.
        const due = Math.floor(((Date.now() - started) / 1000) * RATE);
        while (sent < due && sent < RATE * SECONDS) {
          results.push(post());
          sent++;
        }
        if (sent >= RATE * SECONDS) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    clearInterval(reloads);
    const answers = await Promise.all(results);
    await registry.reload().then((r) => reports.push(r));

    const failed = answers.filter((a) => a.status !== 200);
    expect(failed).toEqual([]);
    expect(answers).toHaveLength(RATE * SECONDS);
    // Every answer came from a version that loaded and passed its self-test.
    expect(answers.filter((a) => !good.has(a.version))).toEqual([]);
    const versionsSeen = new Set(answers.map((a) => a.version));
    expect(versionsSeen.size).toBeGreaterThanOrEqual(3);
    expect(reports.filter((r) => !r.ok).length).toBeGreaterThanOrEqual(4);
    expect(reports.filter((r) => r.ok).length).toBeGreaterThanOrEqual(4);

    // Replaced models are released once their requests are done; only the served one stays open.
    await new Promise((r) => setTimeout(r, 200));
    const current = registry.get('tweets-mini')!;
    for (const model of served) {
      if (model !== current)
        expect([model.version, model.status().reason]).toEqual([model.version, 'closed']);
      expect(model.inUse).toBe(0);
    }
    const after = process.memoryUsage().rss;
    // Loaded bundles never pile up (every replaced model is closed, asserted above); RSS is a loose
    // guard only: a jest process on a shared machine moves by tens of MB (+36 to +67 MB measured).
    expect((after - baseline) / 2 ** 20).toBeLessThan(96);
    console.log(
      `reload under load: ${answers.length} requests, 0 failed, ${reports.length} reloads ` +
        `(${reports.filter((r) => r.ok).length} swapped, ${reports.filter((r) => !r.ok).length} refused), ` +
        `${versionsSeen.size} versions answered, RSS ${Math.round(baseline / 2 ** 20)} → ${Math.round(after / 2 ** 20)} MB`,
    );
  } finally {
    agent.destroy();
    await new Promise((r) => server.close(r));
    await registry.close();
    rmSync(root, { recursive: true, force: true });
  }
});
