/**
 * Reloading models while serving (src/model/registry.ts reload, src/ops/admin.ts): changed bundles
 * are swapped in, broken ones refused while the old version keeps serving, replaced models closed
 * only after their requests finish; versioned folders, the default file and rollback by admin call.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { BUNDLES_DIR, buildTestApp } from '../helpers/app';

const TOKEN = 'admin-token-0123456789abcdef';

/** A copy of the tweets-mini fixture with another description: valid, with a new content hash. */
function writeBundle(dir: string, description: string): void {
  cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), dir, { recursive: true });
  const cardPath = path.join(dir, 'card.json');
  const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(cardPath, JSON.stringify({ ...card, description }));
}

/** Breaks a bundle two ways: an ONNX file that does not load, or golden values its model misses. */
function breakBundle(dir: string, how: 'onnx' | 'golden'): void {
  if (how === 'onnx') {
    writeFileSync(path.join(dir, 'model.onnx'), 'not an onnx graph');
    return;
  }
  const cardPath = path.join(dir, 'card.json');
  const card = JSON.parse(readFileSync(cardPath, 'utf8')) as { golden: { values: number[] }[] };
  card.golden[0].values = card.golden[0].values.map((v, i) => (i === 0 ? 1 - v : v));
  writeFileSync(cardPath, JSON.stringify(card));
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sift-reload-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('reload', () => {
  it('swaps in a changed bundle, refuses a broken one (the old keeps serving), keeps unchanged ones', async () => {
    writeBundle(path.join(root, 'tweets'), 'first');
    const registry = await loadRegistry(root);
    try {
      const first = registry.get('tweets-mini')!;
      expect(first.version).toMatch(/^[0-9a-f]{12}$/);
      const unchanged = await registry.reload();
      expect(unchanged).toMatchObject({ ok: true, unchanged: 1, loaded: [], rejected: [] });
      expect(registry.get('tweets-mini')).toBe(first);

      writeBundle(path.join(root, 'tweets'), 'second');
      const swapped = await registry.reload();
      const second = registry.get('tweets-mini')!;
      expect(swapped.ok).toBe(true);
      expect(swapped.loaded).toEqual([{ name: 'tweets-mini', version: second.version, folder: 'tweets' }]);
      expect(second.version).not.toBe(first.version);
      expect(second.card.description).toBe('second');
      // Nobody held the first one: it is closed once the swap is done.
      await new Promise((r) => setImmediate(r));
      expect(first.status()).toEqual({ ready: false, reason: 'closed' });

      for (const how of ['onnx', 'golden'] as const) {
        writeBundle(path.join(root, 'tweets'), `broken ${how}`);
        breakBundle(path.join(root, 'tweets'), how);
        const refused = await registry.reload();
        expect(refused.ok).toBe(false);
        expect(refused.rejected).toEqual([{ folder: 'tweets', reason: expect.any(String) }]);
        expect(registry.get('tweets-mini')).toBe(second);
        expect(second.status().ready).toBe(true);
      }
      expect(registry.reloadRuns).toEqual({ ok: 2, rejected: 2 });
      expect(registry.reloadCounts).toMatchObject({ loaded: 1, rejected: 2 });
    } finally {
      await registry.close();
    }
  });

  it('closes a replaced model only after the requests using it have finished', async () => {
    writeBundle(path.join(root, 'tweets'), 'first');
    const registry = await loadRegistry(root);
    try {
      const first = registry.get('tweets-mini')!;
      const release = first.retain();
      writeBundle(path.join(root, 'tweets'), 'second');
      await registry.reload();
      expect(registry.get('tweets-mini')).not.toBe(first);
      await new Promise((r) => setTimeout(r, 20));
      // Still in use: it still answers.
      expect(first.status().ready).toBe(true);
      await expect(first.predict([{ text: 'forest fire' }])).resolves.toHaveLength(1);
      release();
      await new Promise((r) => setImmediate(r));
      expect(first.status()).toEqual({ ready: false, reason: 'closed' });
    } finally {
      await registry.close();
    }
  });

  it('adds new bundles, registers a new broken one as failed, and removes a deleted one', async () => {
    writeBundle(path.join(root, 'tweets'), 'first');
    const registry = await loadRegistry(root);
    try {
      cpSync(path.join(BUNDLES_DIR, 'sentiment-mini'), path.join(root, 'sentiment'), { recursive: true });
      cpSync(path.join(BUNDLES_DIR, 'toxic-mini'), path.join(root, 'toxic'), { recursive: true });
      breakBundle(path.join(root, 'toxic'), 'onnx');
      const added = await registry.reload();
      expect(added.loaded.map((l) => l.name)).toEqual(['sentiment-mini']);
      expect(registry.failed.map((f) => f.name)).toEqual(['toxic-mini']);
      rmSync(path.join(root, 'sentiment'), { recursive: true });
      const removed = await registry.reload();
      expect(removed.removed.map((r) => r.name)).toEqual(['sentiment-mini']);
      expect(registry.get('sentiment-mini')).toBeUndefined();
    } finally {
      await registry.close();
    }
  });
});

describe('versions side by side', () => {
  async function versioned(): Promise<SiftRegistry> {
    writeBundle(path.join(root, 'tweets-mini', 'v1'), 'version one');
    writeBundle(path.join(root, 'tweets-mini', 'v2'), 'version two');
    cpSync(path.join(BUNDLES_DIR, 'sentiment-mini'), path.join(root, 'sentiment-mini'), { recursive: true });
    return loadRegistry(root, { defaultModel: 'tweets-mini' });
  }

  it('serves the last version by default, every version by its own route, and the flat layout beside them', async () => {
    const registry = await versioned();
    try {
      const { app, log } = buildTestApp(registry);
      const versions = (await request(app).get('/models/tweets-mini/versions')).body as {
        versions: { version: string; label: string; default: boolean }[];
      };
      expect(versions.versions.map((v) => [v.label, v.default])).toEqual([
        ['v1', false],
        ['v2', true],
      ]);
      const bare = await request(app).post('/predict').send({ text: 'forest fire' });
      expect(bare.status).toBe(200);
      expect(bare.body.model_version).toBe(versions.versions[1].version);
      expect(bare.headers['x-model-version']).toBe(versions.versions[1].version);
      expect(bare.headers['x-model-version-label']).toBe('v2');
      for (const id of ['v1', versions.versions[0].version]) {
        const one = await request(app)
          .post(`/models/tweets-mini/versions/${id}/predict`)
          .send({ text: 'fire' });
        expect([one.status, one.body.model_version]).toEqual([200, versions.versions[0].version]);
      }
      const missing = await request(app)
        .post('/models/tweets-mini/versions/v9/predict')
        .send({ text: 'fire' });
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toMatch(/has no version "v9"/);
      const metadata = await request(app).get('/v2/models/tweets-mini');
      expect(metadata.body.versions).toEqual([versions.versions[1].version, versions.versions[0].version]);
      const infer = await request(app)
        .post('/v2/models/tweets-mini/infer')
        .send({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['fire'] }] });
      expect(infer.body.model_version).toBe(versions.versions[1].version);
      expect(log.lines().find((l) => l.path === '/v2/models/tweets-mini/infer')?.modelVersion).toBe(
        versions.versions[1].version,
      );
      const flat = await request(app).post('/models/sentiment-mini/predict').send({ text: 'great' });
      expect(flat.status).toBe(200);
      expect(flat.body.model_version).toBe(registry.get('sentiment-mini')!.version);
    } finally {
      await registry.close();
    }
  });

  it('rolls back by the default file, or by the admin call (token required)', async () => {
    const registry = await versioned();
    try {
      writeFileSync(path.join(root, 'tweets-mini', 'default'), 'v1\n');
      await registry.reload();
      expect(registry.get('tweets-mini')!.versionLabel).toBe('v1');
      writeFileSync(path.join(root, 'tweets-mini', 'default'), 'v2\n');
      await registry.reload();
      expect(registry.get('tweets-mini')!.versionLabel).toBe('v2');

      const off = buildTestApp(registry).app;
      expect((await request(off).post('/admin/models/reload')).status).toBe(403);
      const { app, metrics } = buildTestApp(registry, { adminToken: TOKEN });
      const noToken = await request(app).post('/admin/models/tweets-mini/versions/v1/default');
      expect([noToken.status, noToken.body.error.code]).toEqual([401, 'admin_token_required']);
      const wrong = await request(app)
        .post('/admin/models/tweets-mini/versions/v1/default')
        .set('X-Admin-Token', `${TOKEN.slice(0, -1)}X`);
      expect(wrong.status).toBe(401);
      const rollback = await request(app)
        .post('/admin/models/tweets-mini/versions/v1/default')
        .set('X-Admin-Token', TOKEN);
      expect(rollback.status).toBe(200);
      expect(registry.get('tweets-mini')!.versionLabel).toBe('v1');
      const ready = await request(app).get('/ready');
      expect(ready.body.models.find((m: { name: string }) => m.name === 'tweets-mini')).toMatchObject({
        version_label: 'v1',
      });
      expect(ready.body.reload).toMatchObject({ ok: true });
      // A later reload keeps the admin's choice until the default file changes.
      await registry.reload();
      expect(registry.get('tweets-mini')!.versionLabel).toBe('v1');
      const unknown = await request(app)
        .post('/admin/models/tweets-mini/versions/v7/default')
        .set('X-Admin-Token', TOKEN);
      expect(unknown.status).toBe(404);

      breakBundle(path.join(root, 'tweets-mini', 'v2'), 'onnx');
      const refused = await request(app).post('/admin/models/reload').set('X-Admin-Token', TOKEN);
      expect([refused.status, refused.body.error.code]).toEqual([409, 'reload_rejected']);
      expect(refused.body.error.details.rejected).toEqual([
        { folder: 'tweets-mini/v2', reason: expect.any(String) },
      ]);
      const scrape = await metrics.scrape();
      expect(scrape).toMatch(/sift_model_reloads_total\{result="rejected"\} [1-9]/);
      expect(scrape).toMatch(
        /sift_model_info\{model="tweets-mini",[^}]*version="[0-9a-f]{12}",ready="true"\} 1/,
      );
    } finally {
      await registry.close();
    }
  });
});
