/**
 * All models of an artifacts folder, by name. A bundle that fails to load stays registered under
 * its name as a failed model (503 with the reason, never another model in its place: the default
 * stays the default); models whose self-test fails are kept but report not ready. The registry
 * refuses to start only when no bundle loads at all, or DEFAULT_MODEL / REQUIRED_MODELS name a
 * model no folder provides.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILES, BundleError } from './bundle';
import type { ModelOptions } from './classifier';
import { loadServedModel, type ServedModel } from './load';
import { MODEL_NAME_PATTERN } from './schema';
import type { OnnxThreadOptions } from './session';
import type { FailedModel, ModelRegistry } from './types';

export const FALLBACK_DEFAULT_MODEL = 'disaster-tweets';

export interface RegistryOptions extends Omit<ModelOptions, 'onnxThreads'> {
  /** The model served at the bare routes (DEFAULT_MODEL); must be one of the loaded models. */
  defaultModel?: string;
  /** Models that must be registered (REQUIRED_MODELS); readiness waits for them. */
  requiredModels?: readonly string[];
  onnxThreads?: OnnxThreadOptions;
}

export interface SkippedBundle {
  folder: string;
  reason: string;
}

export interface SiftRegistry extends ModelRegistry {
  list(): readonly ServedModel[];
  get(name: string): ServedModel | undefined;
  /** Bundle folders that are not served (failed to load, or a duplicate name), and why. */
  readonly skipped: readonly SkippedBundle[];
  readonly failed: readonly FailedModel[];
}

/** The name a broken bundle would have served under: its card's, when that much is readable. */
async function intendedName(dir: string, folder: string): Promise<string> {
  try {
    const card = JSON.parse(await readFile(join(dir, BUNDLE_FILES.card), 'utf8')) as { name?: unknown };
    if (typeof card.name === 'string' && MODEL_NAME_PATTERN.test(card.name)) return card.name;
  } catch {
    // Unreadable card: the folder names the model.
  }
  return folder;
}

/** The problems without the bundle's absolute path (the reason is shown on open probes). */
function loadFailure(error: unknown, dir: string, folder: string): string {
  const message =
    error instanceof BundleError
      ? error.problems.join('; ')
      : error instanceof Error
        ? error.message
        : String(error);
  return message.split(dir).join(folder);
}

export async function loadRegistry(
  artifactsDir: string,
  options: RegistryOptions = {},
): Promise<SiftRegistry> {
  let entries;
  try {
    entries = await readdir(artifactsDir, { withFileTypes: true });
  } catch (error) {
    throw new Error(`cannot read the artifacts folder ${artifactsDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const models = new Map<string, ServedModel>();
  const broken: FailedModel[] = [];
  const skipped: SkippedBundle[] = [];
  // One at a time: loading parses large JSON files and runs the self-test; start-up memory stays flat.
  for (const folder of folders) {
    const dir = join(artifactsDir, folder);
    try {
      const model = await loadServedModel(dir, options);
      const existing = models.get(model.name);
      if (existing !== undefined) {
        await model.close();
        skipped.push({ folder, reason: `card name '${model.name}' is already served from ${existing.dir}` });
        continue;
      }
      models.set(model.name, model);
    } catch (error) {
      skipped.push({ folder, reason: (error as Error).message });
      broken.push({ name: await intendedName(dir, folder), folder, reason: loadFailure(error, dir, folder) });
    }
  }
  // A loaded model wins its name over a broken folder claiming it; the first broken claim wins otherwise.
  const failedByName = new Map<string, FailedModel>();
  for (const entry of broken) {
    if (!models.has(entry.name) && !failedByName.has(entry.name)) failedByName.set(entry.name, entry);
  }
  const failed = [...failedByName.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (models.size === 0) {
    const details = skipped.map((s) => `- ${s.folder}: ${s.reason}`).join('\n');
    throw new Error(
      folders.length === 0
        ? `no model bundles in ${artifactsDir} (expected folders with card.json, vectorizer.json, unicode.json, classifier.json, model.onnx)`
        : `no usable model bundle in ${artifactsDir}:\n${details}`,
    );
  }
  const names = [...models.keys()].sort();
  // Registered names, loaded or not: which model is the default never depends on which bundles loaded.
  const registered = [...names, ...failedByName.keys()].sort();
  const unknown = [
    ...(options.defaultModel ? [['default model', options.defaultModel]] : []),
    ...(options.requiredModels ?? []).map((name) => ['required model', name]),
  ].filter(([, name]) => !models.has(name) && !failedByName.has(name));
  if (unknown.length > 0) {
    await Promise.all([...models.values()].map((m) => m.close()));
    const [what, name] = unknown[0];
    throw new Error(`the ${what} '${name}' is not in ${artifactsDir} (models: ${registered.join(', ')})`);
  }
  const defaultModel =
    options.defaultModel ||
    (registered.includes(FALLBACK_DEFAULT_MODEL) ? FALLBACK_DEFAULT_MODEL : registered[0]);

  const ordered = names.map((n) => models.get(n) as ServedModel);
  return {
    defaultModel,
    skipped,
    failed,
    list: () => ordered,
    get: (name) => models.get(name),
    close: async () => {
      await Promise.all(ordered.map((m) => m.close()));
    },
  };
}
