/**
 * All models of an artifacts folder, by name. Broken bundles are skipped with the reason (and the
 * registry refuses to start when none is left); models whose self-test fails are kept but report
 * not ready, so readiness can say why.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, type ModelOptions, type SiftModel } from './classifier';
import type { OnnxThreadOptions } from './session';
import type { ModelRegistry } from './types';

export const FALLBACK_DEFAULT_MODEL = 'disaster-tweets';

export interface RegistryOptions extends Omit<ModelOptions, 'onnxThreads'> {
  /** The model served at the bare routes (DEFAULT_MODEL); must be one of the loaded models. */
  defaultModel?: string;
  onnxThreads?: OnnxThreadOptions;
}

export interface SkippedBundle {
  folder: string;
  reason: string;
}

export interface SiftRegistry extends ModelRegistry {
  list(): readonly SiftModel[];
  get(name: string): SiftModel | undefined;
  /** Bundle folders that could not be loaded, and why. */
  readonly skipped: readonly SkippedBundle[];
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
  const models = new Map<string, SiftModel>();
  const skipped: SkippedBundle[] = [];
  // One at a time: loading parses large JSON files and runs the self-test; start-up memory stays flat.
  for (const folder of folders) {
    try {
      const model = await loadModel(join(artifactsDir, folder), options);
      const existing = models.get(model.name);
      if (existing !== undefined) {
        await model.close();
        skipped.push({ folder, reason: `card name '${model.name}' is already served from ${existing.dir}` });
        continue;
      }
      models.set(model.name, model);
    } catch (error) {
      skipped.push({ folder, reason: (error as Error).message });
    }
  }
  if (models.size === 0) {
    const details = skipped.map((s) => `- ${s.folder}: ${s.reason}`).join('\n');
    throw new Error(
      folders.length === 0
        ? `no model bundles in ${artifactsDir} (expected folders with card.json, vectorizer.json, unicode.json, classifier.json, model.onnx)`
        : `no usable model bundle in ${artifactsDir}:\n${details}`,
    );
  }
  const names = [...models.keys()].sort();
  let defaultModel: string;
  if (options.defaultModel !== undefined && options.defaultModel !== '') {
    if (!models.has(options.defaultModel)) {
      await Promise.all([...models.values()].map((m) => m.close()));
      const why = skipped.find((s) => s.folder === options.defaultModel);
      throw new Error(
        `the default model '${options.defaultModel}' is not loaded (loaded: ${names.join(', ')})` +
          (why ? `: ${why.reason}` : ''),
      );
    }
    defaultModel = options.defaultModel;
  } else defaultModel = models.has(FALLBACK_DEFAULT_MODEL) ? FALLBACK_DEFAULT_MODEL : names[0];

  const ordered = names.map((n) => models.get(n) as SiftModel);
  return {
    defaultModel,
    skipped,
    list: () => ordered,
    get: (name) => models.get(name),
    close: async () => {
      await Promise.all(ordered.map((m) => m.close()));
    },
  };
}
