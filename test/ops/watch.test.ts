/**
 * WATCH_ARTIFACTS: a change under ARTIFACTS_DIR reloads the models once the writes settle
 * (src/ops/reload.ts, debounced fs.watch), and the outcome is logged.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRegistry } from '../../src/model/registry';
import { controlModels } from '../../src/ops/reload';
import { BUNDLES_DIR, captureLogger } from '../helpers/app';

it('reloads when a bundle under ARTIFACTS_DIR changes', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sift-watch-'));
  cpSync(path.join(BUNDLES_DIR, 'tweets-mini'), path.join(root, 'tweets'), { recursive: true });
  const registry = await loadRegistry(root);
  const log = captureLogger();
  const models = controlModels(registry, log.logger, { artifactsDir: root, watch: true });
  try {
    const before = registry.get('tweets-mini')!.version;
    const cardPath = path.join(root, 'tweets', 'card.json');
    const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cardPath, JSON.stringify({ ...card, description: 'watched' }));
    const deadline = Date.now() + 15_000;
    while (registry.get('tweets-mini')!.version === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(registry.get('tweets-mini')!.card.description).toBe('watched');
    await new Promise((r) => setTimeout(r, 50));
    expect(log.lines().some((l) => l.msg === 'models reloaded (WATCH_ARTIFACTS)')).toBe(true);
  } finally {
    models.stop();
    await registry.close();
    rmSync(root, { recursive: true, force: true });
  }
}, 30_000);
