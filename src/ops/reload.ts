/**
 * What triggers a model reload and who hears of it: SIGHUP, the admin routes, WATCH_ARTIFACTS
 * (fs.watch, debounced), and in cluster mode the primary, which forwards SIGHUP and every worker's
 * admin call to all workers and tells each one what versions the others serve (/ready: workers,
 * workers_agree). The reload itself is the registry's (src/model/registry.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { watch, type FSWatcher } from 'node:fs';
import type pino from 'pino';
import type { ReloadReport, SiftRegistry } from '../model/registry';
import type { ModelControl } from './admin';
import { servedVersions, type WorkerVersions } from './health';

type Action = { action: 'reload' } | { action: 'default'; name: string; version: string };

interface ReloadMessage {
  type: 'sift:reload';
  request: Action;
  /** The worker whose admin call this was (it already reloaded). */
  origin?: number;
}

interface VersionsMessage {
  type: 'sift:versions';
  generation: number;
  versions: Record<string, string>;
}

interface ClusterVersionsMessage {
  type: 'sift:cluster-versions';
  workers: WorkerVersions[];
}

const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

/** How long WATCH_ARTIFACTS waits after the last change before reloading (a copy takes a while). */
export const WATCH_DEBOUNCE_MS = 1000;

export function logReload(logger: pino.Logger, trigger: string, report: ReloadReport): void {
  const fields = {
    trigger,
    generation: report.generation,
    ms: report.ms,
    loaded: report.loaded,
    unchanged: report.unchanged,
    rejected: report.rejected,
    removed: report.removed,
  };
  if (report.ok) logger.info(fields, `models reloaded (${trigger})`);
  else logger.error(fields, `reload (${trigger}) refused some bundles; the running versions keep serving`);
}

/** This process's control over its registry; in a cluster worker it also tells the primary. */
export interface ProcessModels {
  control: ModelControl;
  /** Cluster mode: every worker's versions, as the primary last reported them. */
  workers: () => WorkerVersions[] | undefined;
  stop(): void;
}

export function controlModels(
  registry: SiftRegistry,
  logger: pino.Logger,
  options: { artifactsDir: string; watch: boolean },
): ProcessModels {
  const worker = cluster.isWorker ? cluster.worker : undefined;
  let known: WorkerVersions[] | undefined;
  const announce = () => {
    if (worker === undefined) return;
    const message: VersionsMessage = {
      type: 'sift:versions',
      generation: registry.lastReload?.generation ?? 0,
      versions: servedVersions(registry),
    };
    process.send?.(message);
  };
  const run = async (request: Action, trigger: string): Promise<ReloadReport> => {
    const report =
      request.action === 'reload'
        ? await registry.reload()
        : await registry.setDefaultVersion(request.name, request.version);
    logReload(logger, trigger, report);
    announce();
    return report;
  };
  const runLogged = (request: Action, trigger: string) => {
    run(request, trigger).catch((error: unknown) => logger.error({ err: error, trigger }, 'reload failed'));
  };
  /** Admin calls: this process now, the other workers through the primary. */
  const everywhere = (request: Action): Promise<ReloadReport> => {
    if (worker !== undefined) {
      const message: ReloadMessage = { type: 'sift:reload', request, origin: worker.id };
      process.send?.(message);
    }
    return run(request, 'admin');
  };
  const onSighup = () => runLogged({ action: 'reload' }, 'SIGHUP');
  process.on('SIGHUP', onSighup);
  const onMessage = (message: unknown) => {
    if (isMessage<ReloadMessage>(message, 'sift:reload')) runLogged(message.request, 'primary');
    else if (isMessage<ClusterVersionsMessage>(message, 'sift:cluster-versions')) known = message.workers;
  };
  if (worker !== undefined) process.on('message', onMessage);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (options.watch) {
    watcher = watch(options.artifactsDir, { recursive: true, persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => runLogged({ action: 'reload' }, 'WATCH_ARTIFACTS'), WATCH_DEBOUNCE_MS);
      timer.unref();
    });
    watcher.on('error', (error) => logger.error({ err: error }, 'WATCH_ARTIFACTS: watching stopped'));
  }
  announce();
  return {
    control: {
      reload: () => everywhere({ action: 'reload' }),
      setDefaultVersion: (name, version) => everywhere({ action: 'default', name, version }),
    },
    workers: () => known,
    stop: () => {
      process.off('SIGHUP', onSighup);
      process.off('message', onMessage);
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

/**
 * In the primary: SIGHUP and a worker's admin call go to every worker; each worker's versions go
 * to all of them. Call once, before forking.
 */
export function relayReloads(logger: pino.Logger): void {
  const versions = new Map<number, WorkerVersions>();
  // A worker can die between the check and the write: the error goes to the callback, not to an
  // 'error' event nobody listens to (which would end the primary).
  const send = (w: Worker, message: object) => {
    if (w.isConnected()) w.send(message, () => undefined);
  };
  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const share = () => {
    const message: ClusterVersionsMessage = {
      type: 'sift:cluster-versions',
      workers: [...versions.values()].sort((a, b) => a.worker - b.worker),
    };
    for (const w of workers()) send(w, message);
  };
  const forward = (request: Action, origin?: number) => {
    const message: ReloadMessage = { type: 'sift:reload', request };
    for (const w of workers()) if (w.id !== origin) send(w, message);
  };
  process.on('SIGHUP', () => {
    logger.info({ workers: workers().length }, 'SIGHUP: reloading the models in every worker');
    forward({ action: 'reload' });
  });
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (isMessage<ReloadMessage>(message, 'sift:reload')) forward(message.request, worker.id);
    else if (isMessage<VersionsMessage>(message, 'sift:versions')) {
      versions.set(worker.id, {
        worker: worker.id,
        generation: message.generation,
        versions: message.versions,
      });
      share();
    }
  });
  cluster.on('exit', (worker: Worker) => {
    if (versions.delete(worker.id)) share();
  });
}
