import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUNDLES = join(__dirname, '..', 'fixtures', 'bundles');
export const CORE = join(__dirname, '..', 'fixtures', 'core');

/** A scratch folder removed by the returned cleanup. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sift-core-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies a fixture bundle to `target` and lets `edit` change its JSON files. */
export function copyBundle(
  source: string,
  target: string,
  edit: Partial<
    Record<'card' | 'vectorizer' | 'unicode' | 'classifier', (json: Record<string, unknown>) => void>
  > = {},
): string {
  cpSync(source, target, { recursive: true });
  for (const [name, change] of Object.entries(edit)) {
    const file = join(target, `${name}.json`);
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    change?.(json);
    writeFileSync(file, JSON.stringify(json));
  }
  return target;
}
