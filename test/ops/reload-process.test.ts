/**
 * Reload in the real process: SIGHUP to a single server, and in cluster mode SIGHUP to the primary
 * (forwarded to every worker) and the admin call (relayed to the others), with /ready listing each
 * worker's versions until they agree.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleHash } from '../../src/model/bundle';
import { BUNDLES_DIR } from '../helpers/app';
import { listeningUrl, spawnServer } from '../helpers/process';

const TOKEN = 'admin-token-0123456789abcdef';

function describeBundle(dir: string, description: string): void {
  const cardPath = path.join(dir, 'card.json');
  const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(cardPath, JSON.stringify({ ...card, description }));
}

interface Ready {
  models: { name: string; version?: string }[];
  workers?: { worker: number; versions: Record<string, string> }[];
  workers_agree?: boolean;
  reload?: { ok: boolean };
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sift-reload-process-'));
  cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), path.join(root, 'tweets'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

it('reloads on SIGHUP', async () => {
  const server = spawnServer({ ARTIFACTS_DIR: root });
  try {
    const url = listeningUrl(await server.waitFor(/sift listening on/));
    describeBundle(path.join(root, 'tweets'), 'after SIGHUP');
    const version = await bundleHash(path.join(root, 'tweets'));
    server.child.kill('SIGHUP');
    await server.waitFor(/models reloaded \(SIGHUP\)/);
    const answer = (await (await fetch(`${url}/predict`, { method: 'POST', body: 'text=fire' })).json()) as {
      model_version: string;
    };
    expect(answer.model_version).toBe(version);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}, 60_000);

it('in cluster mode, every worker swaps on SIGHUP and on the admin call, and /ready says when they agree', async () => {
  const server = spawnServer({ ARTIFACTS_DIR: root, WEB_CONCURRENCY: '2', ADMIN_TOKEN: TOKEN });
  try {
    const url = listeningUrl(await server.waitFor(/sift listening on/, 80_000));
    const ready = async () => (await (await fetch(`${url}/ready`)).json()) as Ready;
    const agreeOn = (version: string) =>
      until(async () => {
        const r = await ready();
        return (
          r.workers?.length === 2 &&
          r.workers_agree === true &&
          r.workers.every((w) => w.versions['tweets-mini'] === version)
        );
      });
    await agreeOn(await bundleHash(path.join(root, 'tweets')));

    describeBundle(path.join(root, 'tweets'), 'after SIGHUP');
    server.child.kill('SIGHUP');
    await agreeOn(await bundleHash(path.join(root, 'tweets')));

    describeBundle(path.join(root, 'tweets'), 'after the admin call');
    const version = await bundleHash(path.join(root, 'tweets'));
    const res = await fetch(`${url}/admin/models/reload`, {
      method: 'POST',
      headers: { 'X-Admin-Token': TOKEN },
    });
    expect(res.status).toBe(200);
    await agreeOn(version);
    for (let i = 0; i < 4; i++) {
      const answer = (await (
        await fetch(`${url}/predict`, { method: 'POST', body: 'text=fire' })
      ).json()) as {
        model_version: string;
      };
      expect(answer.model_version).toBe(version);
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}, 120_000);
