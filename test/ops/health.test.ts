import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadRegistry, type SiftRegistry } from '../../src/model/registry';
import { BUNDLES_DIR, buildTestApp, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;
beforeAll(async () => {
  registry = await loadFixtureRegistry();
});
afterAll(async () => {
  await registry.close();
});

describe('GET /health', () => {
  it('answers while the process runs', async () => {
    const res = await request(buildTestApp(registry).app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(typeof res.body.uptime_seconds).toBe('number');
  });
});

describe('GET /ready', () => {
  it('is 200 when every model passed its self-test', async () => {
    const res = await request(buildTestApp(registry).app).get('/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      models: [
        { name: 'sentiment-mini', ready: true },
        { name: 'tweets-mini', ready: true },
        { name: 'toxic-mini', ready: true },
      ].sort((a, b) => a.name.localeCompare(b.name)),
      reasons: [],
    });
  });

  it('is 503 naming the model when one is not ready', async () => {
    const own = await loadFixtureRegistry();
    try {
      await own.get('toxic-mini')!.close();
      const res = await request(buildTestApp(own).app).get('/ready');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not_ready');
      expect(res.body.models).toContainEqual({ name: 'toxic-mini', ready: false, reason: 'closed' });
      expect(res.body.reasons).toEqual(['model "toxic-mini" is not ready: closed']);
    } finally {
      await own.close();
    }
  });
});

describe('GET /ready with a broken bundle', () => {
  it('stays ready with the models that loaded and names the skipped folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sift-ready-'));
    try {
      cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), path.join(dir, 'tweets-mini'), { recursive: true });
      cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), path.join(dir, 'broken'), { recursive: true });
      writeFileSync(path.join(dir, 'broken', 'card.json'), '{"format_version": 1');
      const own = await loadRegistry(dir);
      try {
        const res = await request(buildTestApp(own).app).get('/ready');
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          status: 'ready',
          models: [{ name: 'tweets-mini', ready: true }],
          reasons: [],
          skipped: ['broken'],
        });
      } finally {
        await own.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
