import {
  cgroupCpuQuota,
  cgroupMemoryLimit,
  defaultWebConcurrency,
  detectHost,
  MEMORY_PER_WORKER_BYTES,
  readText,
  usableCpus,
  type ReadText,
} from '../../src/ops/cgroup';

const MB = 1024 * 1024;
const ROOT = '/sys/fs/cgroup';
const SELF = '/proc/self/cgroup';

/** A file system of the given files only. */
const files =
  (entries: Record<string, string>): ReadText =>
  (path) =>
    entries[path];

describe('cgroupCpuQuota', () => {
  it('reads cgroup v2 cpu.max in the process own cgroup', () => {
    const read = files({
      [SELF]: '0::/kubepods/pod1/c1\n',
      [`${ROOT}/kubepods/pod1/c1/cpu.max`]: '150000 100000\n',
    });
    expect(cgroupCpuQuota(ROOT, SELF, read)).toBe(1.5);
  });

  it('takes the smallest quota along the hierarchy (a parent caps its children)', () => {
    const read = files({
      [SELF]: '0::/a/b\n',
      [`${ROOT}/a/b/cpu.max`]: 'max 100000\n',
      [`${ROOT}/a/cpu.max`]: '200000 100000\n',
      [`${ROOT}/cpu.max`]: 'max 100000\n',
    });
    expect(cgroupCpuQuota(ROOT, SELF, read)).toBe(2);
  });

  it('inside a container: the namespace root is the own cgroup ("0::/")', () => {
    expect(
      cgroupCpuQuota(ROOT, SELF, files({ [SELF]: '0::/\n', [`${ROOT}/cpu.max`]: '100000 100000' })),
    ).toBe(1);
  });

  it('is undefined when no quota is set (v2 "max") or nothing can be read', () => {
    expect(
      cgroupCpuQuota(ROOT, SELF, files({ [SELF]: '0::/\n', [`${ROOT}/cpu.max`]: 'max 100000' })),
    ).toBeUndefined();
    expect(cgroupCpuQuota(ROOT, SELF, files({}))).toBeUndefined();
  });

  it('reads cgroup v1 cfs_quota_us / cfs_period_us (-1: no quota)', () => {
    const v1 = (quota: string) =>
      files({
        [SELF]: '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n3:cpuset:/docker/abc\n',
        [`${ROOT}/cpu,cpuacct/docker/abc/cpu.cfs_quota_us`]: `${quota}\n`,
        [`${ROOT}/cpu,cpuacct/docker/abc/cpu.cfs_period_us`]: '100000\n',
      });
    expect(cgroupCpuQuota(ROOT, SELF, v1('50000'))).toBe(0.5);
    expect(cgroupCpuQuota(ROOT, SELF, v1('-1'))).toBeUndefined();
    // The container's own view: the cpu controller mounted at its root.
    const inside = files({
      [SELF]: '4:cpu,cpuacct:/\n',
      [`${ROOT}/cpu/cpu.cfs_quota_us`]: '300000',
      [`${ROOT}/cpu/cpu.cfs_period_us`]: '100000',
    });
    expect(cgroupCpuQuota(ROOT, SELF, inside)).toBe(3);
  });

  it('on a hybrid host uses v1 when the v2 hierarchy has no cpu controller', () => {
    const read = files({
      [SELF]: '0::/user.slice\n4:cpu,cpuacct:/user.slice\n',
      [`${ROOT}/cpu,cpuacct/user.slice/cpu.cfs_quota_us`]: '200000',
      [`${ROOT}/cpu,cpuacct/user.slice/cpu.cfs_period_us`]: '100000',
    });
    expect(cgroupCpuQuota(ROOT, SELF, read)).toBe(2);
  });
});

describe('cgroupMemoryLimit', () => {
  it('reads v2 memory.max, then v1 memory.limit_in_bytes; "max" and v1 "unlimited" are no limit', () => {
    expect(
      cgroupMemoryLimit(ROOT, SELF, files({ [SELF]: '0::/\n', [`${ROOT}/memory.max`]: `${256 * MB}\n` })),
    ).toBe(256 * MB);
    expect(
      cgroupMemoryLimit(ROOT, SELF, files({ [SELF]: '0::/\n', [`${ROOT}/memory.max`]: 'max\n' })),
    ).toBeUndefined();
    const v1 = (bytes: string) =>
      files({ [SELF]: '9:memory:/\n', [`${ROOT}/memory/memory.limit_in_bytes`]: bytes });
    expect(cgroupMemoryLimit(ROOT, SELF, v1(String(512 * MB)))).toBe(512 * MB);
    expect(cgroupMemoryLimit(ROOT, SELF, v1('9223372036854771712'))).toBeUndefined();
  });
});

describe('usableCpus', () => {
  it('is the CPUs the process may run on, lowered to the quota rounded down, at least 1', () => {
    expect(usableCpus(undefined, 8)).toBe(8);
    expect(usableCpus(2, 8)).toBe(2);
    expect(usableCpus(1.5, 8)).toBe(1);
    expect(usableCpus(0.5, 8)).toBe(1);
    expect(usableCpus(16, 4)).toBe(4); // a cpuset smaller than the quota
  });
});

describe('defaultWebConcurrency', () => {
  it('one worker per usable CPU, as many as the memory holds, at least one', () => {
    expect(defaultWebConcurrency({ cpus: 1, memoryBytes: 64 * 1024 * MB })).toBe(1);
    expect(defaultWebConcurrency({ cpus: 2, memoryBytes: 64 * 1024 * MB })).toBe(2);
    expect(defaultWebConcurrency({ cpus: 4, memoryBytes: 256 * MB })).toBe(1); // docker run -m 256m
    expect(defaultWebConcurrency({ cpus: 4, memoryBytes: 2 * MEMORY_PER_WORKER_BYTES })).toBe(2);
    expect(defaultWebConcurrency({ cpus: 4, memoryBytes: 64 * MB })).toBe(1);
  });
});

describe('on this machine', () => {
  it('detectHost reads real files and answers plausible numbers', () => {
    const host = detectHost();
    expect(host.cpus).toBeGreaterThanOrEqual(1);
    expect(host.memoryBytes).toBeGreaterThan(64 * MB);
    expect(readText('/definitely/not/here')).toBeUndefined();
  });
});
