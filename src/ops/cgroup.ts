/**
 * What the container gives this process, read from its cgroup: the memory limit (admission's budget,
 * the default WEB_CONCURRENCY) and the CPU. The CPU is the cgroup's quota (v2
 * `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`) and the CPUs this process may run on
 * (os.availableParallelism(): the affinity mask, i.e. a cpuset or `docker run --cpuset-cpus`).
 * `docker run --cpus 1.5` sets a quota and leaves every host CPU in the mask; Kubernetes' CPU limit
 * is the same quota. The files are read through `read` so tests can hand in any layout.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** A file's text, or undefined when it cannot be read. */
export type ReadText = (path: string) => string | undefined;

export const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** `/a/b/c` → [`/a/b/c`, `/a/b`, `/a`, ``]: a cgroup and its ancestors, each limiting what is below. */
function selfAndAncestors(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '');
  return parts.map((_, i) => `/${parts.slice(0, parts.length - i).join('/')}`).concat('');
}

function quotaOf(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0
    ? quota / period
    : undefined;
}

/** v2: `cpu.max` holds "max 100000" (no quota) or "150000 100000" (1.5 CPUs). */
function cpuMaxQuota(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  return quota === undefined || quota === 'max' ? undefined : quotaOf(Number(quota), Number(period));
}

/**
 * The CPU quota of this process's cgroup in CPUs (1.5 for `--cpus 1.5`), or undefined when none is
 * set. The smallest along the hierarchy counts: a parent's quota caps its children. cgroup v2 first
 * (`0::/path` in /proc/self/cgroup), then v1 (`N:cpu,cpuacct:/path`); inside a container the
 * process's own cgroup is usually the mount's root, which is tried as well.
 */
export function cgroupCpuQuota(
  root = '/sys/fs/cgroup',
  self = '/proc/self/cgroup',
  read: ReadText = readText,
): number | undefined {
  const membership = read(self) ?? '';
  const quotas: number[] = [];
  const keep = (quota: number | undefined) => {
    if (quota !== undefined) quotas.push(quota);
  };
  const v2 = /^0::(\/.*)$/m.exec(membership)?.[1] ?? '/';
  for (const dir of selfAndAncestors(v2)) keep(cpuMaxQuota(read(`${root}${dir}/cpu.max`)));
  if (quotas.length === 0) {
    const v1 = /^\d+:((?:[^:]*,)?cpu(?:,[^:]*)?):(\/.*)$/m.exec(membership);
    const mounts = [...new Set([v1?.[1] ?? 'cpu', 'cpu', 'cpu,cpuacct'])];
    for (const mount of mounts) {
      for (const dir of selfAndAncestors(v1?.[2] ?? '/')) {
        const base = `${root}/${mount}${dir}`;
        keep(quotaOf(Number(read(`${base}/cpu.cfs_quota_us`)), Number(read(`${base}/cpu.cfs_period_us`))));
      }
    }
  }
  return quotas.length === 0 ? undefined : Math.min(...quotas);
}

/**
 * Whole CPUs this process can use: the affinity mask's count, lowered to the quota rounded down
 * (at least 1): a worker per fractional CPU would only be throttled.
 */
export function usableCpus(quota: number | undefined, parallelism: number): number {
  const cpus = Math.max(1, Math.floor(parallelism));
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.floor(quota)));
}

/** cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages). */
const UNLIMITED = 2 ** 60;

/**
 * The memory limit of this process's cgroup in bytes, or undefined when none is set: cgroup v2
 * (`0::/path` in /proc/self/cgroup → memory.max), then v1 (`N:memory:/path` →
 * memory.limit_in_bytes); in a container the own cgroup is the mount's root.
 */
export function cgroupMemoryLimit(
  root = '/sys/fs/cgroup',
  self = '/proc/self/cgroup',
  read: ReadText = readText,
): number | undefined {
  const membership = read(self) ?? '';
  const v2 = /^0::(\/.*)$/m.exec(membership)?.[1];
  const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(\/.*)$/m.exec(membership)?.[1];
  const candidates = [
    ...(v2 !== undefined ? [`${root}${v2 === '/' ? '' : v2}/memory.max`] : []),
    `${root}/memory.max`,
    ...(v1 !== undefined ? [`${root}/memory${v1 === '/' ? '' : v1}/memory.limit_in_bytes`] : []),
    `${root}/memory/memory.limit_in_bytes`,
  ];
  for (const file of candidates) {
    const text = read(file)?.trim();
    if (text === undefined) continue;
    const value = Number(text);
    if (text !== 'max' && Number.isFinite(value) && value > 0 && value < UNLIMITED) return value;
  }
  return undefined;
}

/** What the default WEB_CONCURRENCY is decided from. */
export interface HostResources {
  /** Whole CPUs this process can use (usableCpus). */
  readonly cpus: number;
  /** The container's memory limit, else the machine's RAM. */
  readonly memoryBytes: number;
}

/** This machine or container, read when it is asked (never at import). */
export function detectHost(read: ReadText = readText): HostResources {
  return {
    cpus: usableCpus(cgroupCpuQuota(undefined, undefined, read), os.availableParallelism()),
    memoryBytes: cgroupMemoryLimit(undefined, undefined, read) ?? os.totalmem(),
  };
}

/**
 * Memory to plan per worker with both shipped models: ~140 MB idle and up to ~185 MB after bursts
 * of 1,000-row batches (npm run bench; docs/deploy.md), plus the cluster primary's share.
 */
export const MEMORY_PER_WORKER_BYTES = 200 * 1024 * 1024;

/**
 * The default WEB_CONCURRENCY: one worker per usable CPU, as many as the memory holds (at least
 * one). One CPU gets a single process: a second would only share the core and double the memory.
 */
export function defaultWebConcurrency(host: HostResources): number {
  const byMemory = Math.floor(host.memoryBytes / MEMORY_PER_WORKER_BYTES);
  return Math.max(1, Math.min(host.cpus, byMemory));
}
