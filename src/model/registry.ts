/**
 * All models of an artifacts folder, by name. A bundle that fails to load stays registered under
 * its name as a failed model (503 with the reason, never another model in its place: the default
 * stays the default); models whose self-test fails are kept but report not ready. The registry
 * refuses to start only when no bundle loads at all, or DEFAULT_MODEL / REQUIRED_MODELS name a
 * model no folder provides.
 *
 * Two layouts side by side (docs/bundle-format.md): `artifacts/NAME/` is one bundle; a folder
 * without card.json whose subfolders are bundles is one model's versions, `artifacts/NAME/VERSION/`,
 * served at /models/NAME/versions/VERSION/… with the default one (the `default` file, an admin
 * call, else the last in sort order) at the model's own routes.
 *
 * reload() reads the folder again while the old models keep serving: unchanged bundles (same content
 * hash) are kept, new and changed ones are loaded and self-tested beside the running ones, and the
 * whole view is swapped in one assignment. A changed bundle that fails to load or its self-test is
 * not swapped in: the old one keeps serving and the reload reports it. Replaced models are closed
 * once the requests using them have finished (ServedModelLifetime).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILES, BundleError, bundleHash } from './bundle';
import type { ModelOptions } from './classifier';
import { loadServedModel, type ServedModel } from './load';
import { MODEL_NAME_PATTERN } from './schema';
import type { OnnxThreadOptions } from './session';
import type { FailedModel, ModelRegistry, VersionInfo } from './types';

export type { VersionInfo } from './types';

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

/** What one reload did, bundle by bundle. */
export interface ReloadReport {
  /** Every new or changed bundle was swapped in and nothing was refused. */
  ok: boolean;
  /** Counts the views swapped in since start (0: the start-up one). */
  generation: number;
  at: string;
  ms: number;
  loaded: { name: string; version: string; folder: string }[];
  unchanged: number;
  /** New or changed bundles not swapped in (the old one, if any, keeps serving). */
  rejected: { folder: string; reason: string }[];
  removed: { name: string; version: string }[];
}

export type ReloadOutcome = 'loaded' | 'unchanged' | 'rejected' | 'removed';

export interface SiftRegistry extends ModelRegistry {
  list(): readonly ServedModel[];
  get(name: string): ServedModel | undefined;
  getVersion(name: string, version: string): ServedModel | undefined;
  /** Every loaded version of a model, the served one marked default; [] for an unknown name. */
  versions(name: string): VersionInfo[];
  /** Bundle folders that are not served (failed to load, or a duplicate name), and why. */
  readonly skipped: readonly SkippedBundle[];
  readonly failed: readonly FailedModel[];
  /** Reads the artifacts folder again and swaps in what changed; reloads run one at a time. */
  reload(): Promise<ReloadReport>;
  /**
   * Serves `version` (hash or label) of a versioned model at its own routes from now on (rollback),
   * until the model's `default` file changes or another call. Throws RegistryError when that is no
   * loaded, ready version of it.
   */
  setDefaultVersion(name: string, version: string): Promise<ReloadReport>;
  /** The last reload's report; undefined before the first. */
  readonly lastReload: ReloadReport | undefined;
  /** Bundles per reload outcome since start (for /metrics). */
  readonly reloadCounts: Readonly<Record<ReloadOutcome, number>>;
  /** Reloads since start that were fully ok / refused something. */
  readonly reloadRuns: Readonly<{ ok: number; rejected: number }>;
}

/** A refusal of an admin request (unknown model or version): the caller's 4xx. */
export class RegistryError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** The file in a versioned model's folder naming its default version (one line). */
export const DEFAULT_VERSION_FILE = 'default';

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

/** One bundle folder: `NAME` (flat) or `NAME/VERSION` (a versioned model's). */
interface Candidate {
  folder: string;
  dir: string;
  /** Versioned layout: the model's name (its folder) and this version's folder name. */
  group?: string;
  label?: string;
}

/** Everything requests see, replaced as a whole by a reload. */
interface View {
  /** The served version of each name. */
  served: Map<string, ServedModel>;
  /** Every loaded version of each name, by content hash. */
  versions: Map<string, ServedModel[]>;
  failed: FailedModel[];
  skipped: SkippedBundle[];
  defaultModel: string;
  /** Loaded models by bundle folder: what the next reload can keep when its hash is unchanged. */
  byDir: Map<string, ServedModel>;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** The bundle folders of an artifacts folder, in sort order; `defaults` gets each versioned model's file. */
async function scan(artifactsDir: string, defaults: Map<string, string>): Promise<Candidate[]> {
  let folders: string[];
  try {
    folders = await subfolders(artifactsDir);
  } catch (error) {
    throw new Error(`cannot read the artifacts folder ${artifactsDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const candidates: Candidate[] = [];
  for (const folder of folders) {
    const dir = join(artifactsDir, folder);
    if (!(await isFile(join(dir, BUNDLE_FILES.card)))) {
      const versions: string[] = [];
      for (const sub of await subfolders(dir).catch(() => [])) {
        if (await isFile(join(dir, sub, BUNDLE_FILES.card))) versions.push(sub);
      }
      if (versions.length > 0) {
        const named = await readFile(join(dir, DEFAULT_VERSION_FILE), 'utf8').catch(() => undefined);
        if (named !== undefined) defaults.set(folder, named.trim());
        for (const label of versions) {
          candidates.push({ folder: `${folder}/${label}`, dir: join(dir, label), group: folder, label });
        }
        continue;
      }
    }
    // A flat bundle, or a folder that is neither (it fails to load and says what is missing).
    candidates.push({ folder, dir });
  }
  return candidates;
}

const EMPTY_COUNTS: Record<ReloadOutcome, number> = { loaded: 0, unchanged: 0, rejected: 0, removed: 0 };

class Registry implements SiftRegistry {
  private view!: View;
  private pins = new Map<string, { version: string; file: string | undefined }>();
  private running: Promise<unknown> = Promise.resolve();
  private queued: Promise<ReloadReport> | undefined;
  private generation = 0;
  private closed = false;
  lastReload: ReloadReport | undefined;
  readonly reloadCounts: Record<ReloadOutcome, number> = { ...EMPTY_COUNTS };
  readonly reloadRuns = { ok: 0, rejected: 0 };

  constructor(
    private readonly artifactsDir: string,
    private readonly options: RegistryOptions,
  ) {}

  get defaultModel(): string {
    return this.view.defaultModel;
  }
  get failed(): readonly FailedModel[] {
    return this.view.failed;
  }
  get skipped(): readonly SkippedBundle[] {
    return this.view.skipped;
  }
  list(): readonly ServedModel[] {
    return [...this.view.served.values()];
  }
  get(name: string): ServedModel | undefined {
    return this.view.served.get(name);
  }
  getVersion(name: string, version: string): ServedModel | undefined {
    const all = this.view.versions.get(name) ?? [];
    return all.find((m) => m.version === version) ?? all.find((m) => m.versionLabel === version);
  }
  versions(name: string): VersionInfo[] {
    const served = this.view.served.get(name);
    return (this.view.versions.get(name) ?? []).map((m) => ({
      version: m.version,
      ...(m.versionLabel !== undefined ? { label: m.versionLabel } : {}),
      folder: m.dir.slice(this.artifactsDir.length).replace(/^[/\\]+/, ''),
      ready: m.status().ready,
      default: m === served,
    }));
  }

  /** The first view; throws as start-up must (nothing loads, an unknown default or required model). */
  async start(): Promise<void> {
    const { view, problems } = await this.build(undefined);
    if (problems.length > 0) {
      await Promise.all([...view.byDir.values()].map((m) => m.close()));
      throw new Error(problems[0]);
    }
    this.view = view;
  }

  reload(): Promise<ReloadReport> {
    // One reload at a time; calls while one runs share the next one (it sees every change so far).
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.reloadNow();
    });
    this.running = this.queued.catch(() => undefined);
    return this.queued;
  }

  async setDefaultVersion(name: string, version: string): Promise<ReloadReport> {
    const model = this.getVersion(name, version);
    if (!this.view.versions.has(name)) throw new RegistryError(404, `unknown model "${name.slice(0, 80)}"`);
    if (
      model === undefined ||
      model.versionLabel === undefined ||
      !model.dir.startsWith(join(this.artifactsDir, name))
    ) {
      const known = this.versions(name)
        .map((v) => v.label ?? v.version)
        .join(', ');
      throw new RegistryError(
        404,
        `model "${name}" has no version "${version.slice(0, 80)}" (versions: ${known})`,
      );
    }
    if (!model.status().ready) {
      throw new RegistryError(
        409,
        `version "${version}" of "${name}" is not ready: ${model.status().reason}`,
      );
    }
    const file = await readFile(join(this.artifactsDir, name, DEFAULT_VERSION_FILE), 'utf8').catch(
      () => undefined,
    );
    this.pins.set(name, { version: model.versionLabel, file: file?.trim() });
    return this.reload();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await Promise.all([...this.view.byDir.values()].map((m) => m.close()));
  }

  private async reloadNow(): Promise<ReloadReport> {
    const started = Date.now();
    const old = this.view;
    const { view, problems, report } = await this.build(old);
    const swapped = problems.length === 0 && !this.closed;
    if (swapped) {
      this.view = view;
      this.generation++;
    }
    const keep = new Set(swapped ? view.byDir.values() : old.byDir.values());
    const retired = [...(swapped ? old : view).byDir.values()].filter((m) => !keep.has(m));
    // In the background: a replaced model closes when its last request finishes.
    for (const model of retired) void model.retire();
    const result: ReloadReport = {
      ok: swapped && report.rejected.length === 0,
      generation: this.generation,
      at: new Date(started).toISOString(),
      ms: Date.now() - started,
      ...report,
      rejected: swapped
        ? report.rejected
        : [...report.rejected, ...problems.map((reason) => ({ folder: '.', reason }))],
      loaded: swapped ? report.loaded : [],
      removed: swapped ? report.removed : [],
    };
    this.reloadCounts.loaded += result.loaded.length;
    this.reloadCounts.unchanged += result.unchanged;
    this.reloadCounts.rejected += result.rejected.length;
    this.reloadCounts.removed += result.removed.length;
    if (result.ok) this.reloadRuns.ok++;
    else this.reloadRuns.rejected++;
    this.lastReload = result;
    return result;
  }

  /**
   * A view of the folder as it is now, keeping the models of `old` whose bundle did not change and
   * those whose replacement fails. `problems` are reasons the view must not be used at all.
   */
  private async build(old: View | undefined): Promise<{
    view: View;
    problems: string[];
    report: Omit<ReloadReport, 'ok' | 'generation' | 'at' | 'ms'>;
  }> {
    const { artifactsDir, options } = this;
    const defaults = new Map<string, string>();
    const candidates = await scan(artifactsDir, defaults);
    const report = {
      loaded: [] as ReloadReport['loaded'],
      unchanged: 0,
      rejected: [] as ReloadReport['rejected'],
      removed: [] as ReloadReport['removed'],
    };
    const byDir = new Map<string, ServedModel>();
    const served = new Map<string, ServedModel>();
    const versions = new Map<string, ServedModel[]>();
    const broken: FailedModel[] = [];
    const skipped: SkippedBundle[] = [];
    const groups = new Map<string, ServedModel[]>();
    /** Who serves a name: one flat folder, or a versioned model's folder. */
    const owners = new Map<string, string>();
    // One at a time: loading parses large JSON files and runs the self-test; memory stays flat.
    for (const candidate of candidates) {
      const { folder, dir } = candidate;
      const previous = old?.byDir.get(dir);
      let model: ServedModel | undefined;
      if (previous !== undefined) {
        const hash = await bundleHash(dir).catch(() => undefined);
        if (hash === previous.version) {
          model = previous;
          report.unchanged++;
        }
      }
      if (model === undefined) {
        try {
          const fresh = await loadServedModel(dir, options);
          if (candidate.label !== undefined) fresh.versionLabel = candidate.label;
          if (candidate.group !== undefined && fresh.name !== candidate.group) {
            await fresh.close();
            throw new Error(
              `card.json: name: is '${fresh.name}', the model's folder is '${candidate.group}'`,
            );
          }
          const status = fresh.status();
          if (previous !== undefined && !status.ready) {
            await fresh.close();
            throw new Error(`self-test failed: ${status.reason}`);
          }
          model = fresh;
          if (old !== undefined) report.loaded.push({ name: fresh.name, version: fresh.version, folder });
        } catch (error) {
          if (previous !== undefined) {
            // The running version keeps serving; the reload says why the new one was refused.
            report.rejected.push({ folder, reason: loadFailure(error, dir, folder) });
            model = previous;
          } else {
            if (old !== undefined) report.rejected.push({ folder, reason: loadFailure(error, dir, folder) });
            skipped.push({ folder, reason: (error as Error).message });
            const name = candidate.group ?? (await intendedName(dir, folder));
            broken.push({ name, folder, reason: loadFailure(error, dir, folder) });
            continue;
          }
        }
      }
      const name = candidate.group ?? model.name;
      const mine = candidate.group === undefined ? `flat:${dir}` : 'versions';
      const owner = owners.get(name);
      if (owner !== undefined && owner !== mine) {
        if (model !== previous) await model.close();
        const where = served.get(name)?.dir ?? join(artifactsDir, name);
        skipped.push({ folder, reason: `card name '${model.name}' is already served from ${where}` });
        continue;
      }
      owners.set(name, mine);
      byDir.set(dir, model);
      if (candidate.group === undefined) {
        served.set(name, model);
        versions.set(name, [model]);
      } else groups.set(name, [...(groups.get(name) ?? []), model]);
    }
    // Each versioned model serves its pinned version, else its `default` file's, else its last one.
    const failedVersions = new Map<string, FailedModel>();
    for (const entry of broken) if (entry.folder.includes('/')) failedVersions.set(entry.folder, entry);
    for (const [name, models] of groups) {
      versions.set(name, models);
      const file = defaults.get(name);
      const pin = this.pins.get(name);
      if (pin !== undefined && pin.file !== file) this.pins.delete(name);
      const wanted =
        this.pins.get(name)?.version ??
        file ??
        candidates
          .filter((c) => c.group === name)
          .map((c) => c.label as string)
          .pop();
      const chosen = models.find((m) => m.versionLabel === wanted);
      if (chosen !== undefined) served.set(name, chosen);
      else {
        const failure = failedVersions.get(`${name}/${wanted}`);
        broken.push({
          name,
          folder: name,
          reason:
            failure !== undefined
              ? `default version ${wanted}: ${failure.reason}`
              : `default version '${wanted}' is not one of its versions`,
        });
      }
    }
    // A broken versioned model whose every version failed is registered once, under its folder.
    for (const candidate of candidates) {
      if (candidate.group !== undefined && !groups.has(candidate.group) && !served.has(candidate.group)) {
        if (!broken.some((b) => b.name === candidate.group && b.folder === candidate.group)) {
          const first = broken.find((b) => b.folder === candidate.folder);
          broken.push({
            name: candidate.group,
            folder: candidate.group,
            reason: first?.reason ?? 'no version loads',
          });
        }
      }
    }
    // A loaded model wins its name over a broken folder claiming it; the first broken claim wins otherwise.
    const failedByName = new Map<string, FailedModel>();
    for (const entry of broken) {
      if (entry.folder.includes('/')) continue;
      if (!served.has(entry.name) && !failedByName.has(entry.name)) failedByName.set(entry.name, entry);
    }
    const problems: string[] = [];
    // A reload never drops a model readiness depends on: if its folder went, the old one stays.
    const kept = [options.defaultModel, ...(options.requiredModels ?? []), old?.defaultModel].filter(
      (n): n is string => n !== undefined && n !== '',
    );
    if (old !== undefined) {
      for (const name of kept) {
        const before = old.served.get(name);
        if (!served.has(name) && !failedByName.has(name) && before !== undefined) {
          served.set(name, before);
          versions.set(name, old.versions.get(name) ?? [before]);
          for (const m of old.versions.get(name) ?? [before]) byDir.set(m.dir, m);
          report.rejected.push({
            folder: name,
            reason: 'its folder is gone; a required or default model stays served',
          });
        }
      }
      for (const m of old.byDir.values()) {
        if (![...byDir.values()].includes(m)) report.removed.push({ name: m.name, version: m.version });
      }
    }
    const failed = [...failedByName.values()].sort((a, b) => a.name.localeCompare(b.name));
    const names = [...served.keys()].sort();
    const registered = [...new Set([...names, ...failedByName.keys()])].sort();
    if (served.size === 0) {
      const details = skipped.map((s) => `- ${s.folder}: ${s.reason}`).join('\n');
      problems.push(
        candidates.length === 0
          ? `no model bundles in ${artifactsDir} (expected folders with card.json, vectorizer.json, unicode.json, classifier.json, model.onnx)`
          : `no usable model bundle in ${artifactsDir}:\n${details}`,
      );
    }
    const unknown = [
      ...(options.defaultModel ? [['default model', options.defaultModel]] : []),
      ...(options.requiredModels ?? []).map((name) => ['required model', name]),
    ].filter(([, name]) => !served.has(name) && !failedByName.has(name));
    if (problems.length === 0 && unknown.length > 0) {
      const [what, name] = unknown[0];
      problems.push(`the ${what} '${name}' is not in ${artifactsDir} (models: ${registered.join(', ')})`);
    }
    const defaultModel =
      options.defaultModel ||
      old?.defaultModel ||
      (registered.includes(FALLBACK_DEFAULT_MODEL) ? FALLBACK_DEFAULT_MODEL : (registered[0] ?? ''));
    const ordered = new Map(names.map((n) => [n, served.get(n) as ServedModel]));
    return { view: { served: ordered, versions, failed, skipped, defaultModel, byDir }, problems, report };
  }
}

export async function loadRegistry(
  artifactsDir: string,
  options: RegistryOptions = {},
): Promise<SiftRegistry> {
  const registry = new Registry(artifactsDir, options);
  await registry.start();
  return registry;
}
