/**
 * What the bench reads from /proc (Linux): resident memory and CPU time of a process tree, and the
 * whole machine's busy time, so each measurement can say how much CPU the server itself used.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux the bench targets. */
const CLOCK_TICKS_PER_SECOND = 100;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** Fields of /proc/PID/stat after the parenthesised command name (which may contain spaces). */
function statFields(pid: number): string[] | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}

/** `pid` and all its descendants (cluster workers, gunicorn workers). */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields !== undefined) parentOf.set(Number(entry), Number(fields[1]));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i += 1) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/** VmRSS in bytes, 0 when the process is gone. */
export function residentBytes(pid: number): number {
  const status = readText(`/proc/${pid}/status`);
  const match = status?.match(/^VmRSS:\s+(\d+)\s+kB/m);
  return match ? Number(match[1]) * 1024 : 0;
}

export interface TreeMemory {
  /** Sum over the tree (what the host pays). */
  totalBytes: number;
  /** The largest single process (one worker). */
  largestBytes: number;
  processes: number;
}

export function treeMemory(pid: number): TreeMemory {
  const sizes = processTree(pid).map(residentBytes);
  return {
    totalBytes: sizes.reduce((a, b) => a + b, 0),
    largestBytes: Math.max(0, ...sizes),
    processes: sizes.length,
  };
}

/** User + system CPU seconds used so far by the tree's live processes. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const fields = statFields(p);
    // After the command name: state(0) ppid(1) ... utime(11) stime(12).
    if (fields !== undefined) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds of this process plus its reaped children (cutime/cstime): around one wrk run this is
 * the load generator's CPU (autocannon runs in this process, wrk is a child that has exited).
 */
export function selfAndChildrenCpuSeconds(): number {
  const fields = statFields(process.pid) ?? [];
  // utime(11) stime(12) cutime(13) cstime(14), counted after the command name.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) / CLOCK_TICKS_PER_SECOND;
}

export interface MachineCpu {
  busySeconds: number;
  totalSeconds: number;
}

/** The machine's aggregate CPU counters (all cores) from /proc/stat. */
export function machineCpu(): MachineCpu {
  const line = (readText('/proc/stat') ?? '').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already in user.
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return {
    busySeconds: (total - idle) / CLOCK_TICKS_PER_SECOND,
    totalSeconds: total / CLOCK_TICKS_PER_SECOND,
  };
}
