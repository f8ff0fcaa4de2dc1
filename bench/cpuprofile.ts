/**
 * Pure: summarise a V8 .cpuprofile (node --cpu-prof) — self and inclusive time per function and
 * per area of the code (Sift's folders, npm packages, Node core, GC), over a time window.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  /** src/... for Sift's code, the package for npm code, node:... for Node core. */
  where: string;
  area: string;
  selfMs: number;
  totalMs: number;
  /** Shares of the busy (non-idle) time in the window. */
  selfShare: number;
  totalShare: number;
}

export interface AreaCost {
  area: string;
  selfMs: number;
  share: number;
}

/** A named slice of the work, recognised by a frame on the stack (checked from the leaf up). */
export interface PhaseRule {
  phase: string;
  matches(frame: { functionName: string; url: string }): boolean;
  /**
   * Only when no other rule matches anywhere on the stack (Node core: a setHeader called by a
   * middleware is that middleware's cost; only parser callbacks and socket writes stay Node's).
   */
  fallback?: boolean;
}

export interface PhaseCost {
  phase: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  samples: number;
  areas: AreaCost[];
  /** Each sample goes to the first rule matched walking from its leaf frame to the root. */
  phases: PhaseCost[];
  bySelf: FunctionCost[];
  byTotal: FunctionCost[];
}

/** Where a frame's code lives, in the reader's terms. */
export function locate(url: string, functionName: string): { where: string; area: string } {
  if (url === '') {
    if (functionName === '(garbage collector)') return { where: '', area: 'V8: garbage collector' };
    if (functionName === '(program)') return { where: '', area: 'V8/native: (program)' };
    if (functionName === '(idle)') return { where: '', area: '(idle)' };
    if (functionName === '(root)') return { where: '', area: '(root)' };
    return { where: '', area: 'native (no script)' };
  }
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return { where: `${pkg}/${rest.slice(pkg.split('/').length).join('/')}`, area: `npm: ${pkg}` };
  }
  if (path.startsWith('node:')) {
    const module = path.slice('node:'.length);
    const family = module.replace(/^internal\//, '').split('/')[0];
    return { where: path, area: `node core: ${family.replace(/^_/, '')}` };
  }
  const dist = path.lastIndexOf('/dist/');
  if (dist >= 0) {
    const source = `src/${path.slice(dist + '/dist/'.length).replace(/\.js$/, '.ts')}`;
    const folder = source.split('/').length > 2 ? source.split('/').slice(0, 2).join('/') : source;
    return { where: source, area: `sift: ${folder}` };
  }
  return { where: path, area: 'other scripts' };
}

/**
 * `fromMicros`/`toMicros`: the window in the profile's clock (CLOCK_MONOTONIC µs on Linux, the
 * same clock as process.hrtime); omitted, the whole profile.
 */
export function summariseProfile(
  profile: CpuProfile,
  window: { fromMicros?: number; toMicros?: number } = {},
  top = 25,
  rules: readonly PhaseRule[] = [],
): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const keyOf = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'}\u0000${node.callFrame.url}\u0000${node.callFrame.lineNumber}`;

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const frames = new Map<string, CallFrame>();
  const areas = new Map<string, number>();
  const phases = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let counted = 0;
  const from = window.fromMicros ?? Number.NEGATIVE_INFINITY;
  const to = window.toMicros ?? Number.POSITIVE_INFINITY;

  let timestamp = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    timestamp += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const duration = profile.timeDeltas[i + 1] ?? 0;
    if (timestamp < from || timestamp > to || duration <= 0) continue;
    const node = byId.get(profile.samples[i]);
    if (node === undefined) continue;
    counted += 1;
    const { area } = locate(node.callFrame.url, node.callFrame.functionName);
    if (area === '(idle)') {
      idle += duration;
      continue;
    }
    busy += duration;
    areas.set(area, (areas.get(area) ?? 0) + duration);
    const key = keyOf(node);
    frames.set(key, node.callFrame);
    self.set(key, (self.get(key) ?? 0) + duration);
    let phase: string | undefined;
    let fallbackPhase: string | undefined;
    for (let current: ProfileNode | undefined = node; current !== undefined;) {
      const frame = current.callFrame;
      const rule = rules.find((r) => r.matches(frame));
      if (rule !== undefined && rule.fallback !== true) {
        phase = rule.phase;
        break;
      }
      if (rule !== undefined) fallbackPhase ??= rule.phase;
      const up = parent.get(current.id);
      current = up === undefined ? undefined : byId.get(up);
    }
    phase ??= fallbackPhase ?? 'other';
    phases.set(phase, (phases.get(phase) ?? 0) + duration);
    const seen = new Set<string>();
    for (let current: ProfileNode | undefined = node; current !== undefined;) {
      const k = keyOf(current);
      if (!seen.has(k) && current.callFrame.functionName !== '(root)') {
        seen.add(k);
        frames.set(k, current.callFrame);
        total.set(k, (total.get(k) ?? 0) + duration);
      }
      const up = parent.get(current.id);
      current = up === undefined ? undefined : byId.get(up);
    }
  }

  const cost = (key: string): FunctionCost => {
    const frame = frames.get(key) as CallFrame;
    const { where, area } = locate(frame.url, frame.functionName);
    const selfMicros = self.get(key) ?? 0;
    const totalMicros = total.get(key) ?? 0;
    return {
      name: frame.functionName || '(anonymous)',
      // Lines of Sift's code are lines of the compiled dist/*.js: name the source file only.
      where: where === '' ? '' : area.startsWith('sift:') ? where : `${where}:${frame.lineNumber + 1}`,
      area,
      selfMs: selfMicros / 1000,
      totalMs: totalMicros / 1000,
      selfShare: busy > 0 ? selfMicros / busy : 0,
      totalShare: busy > 0 ? totalMicros / busy : 0,
    };
  };
  const ranked = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key]) => cost(key));

  return {
    windowMs: (busy + idle) / 1000,
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    samples: counted,
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, micros]) => ({ area, selfMs: micros / 1000, share: busy > 0 ? micros / busy : 0 })),
    phases: [...phases.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([phase, micros]) => ({ phase, ms: micros / 1000, share: busy > 0 ? micros / busy : 0 })),
    bySelf: ranked(self),
    byTotal: ranked(total),
  };
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** `requests`: answered during the window, to show each phase's cost per request. */
export function renderProfileMarkdown(title: string, summary: ProfileSummary, requests?: number): string {
  const lines: string[] = [];
  lines.push(`### ${title}`);
  lines.push('');
  lines.push(
    `${summary.samples} samples over ${(summary.windowMs / 1000).toFixed(1)} s of the main thread: ` +
      `${pct(summary.busyMs / Math.max(1, summary.windowMs))} busy. Shares below are of the busy time.`,
  );
  lines.push('');
  if (summary.phases.length > 0) {
    const perRequest = requests !== undefined && requests > 0;
    lines.push(
      `| phase (each sample → the innermost phase on its stack) | ms | share |${perRequest ? ' µs/request |' : ''}`,
    );
    lines.push(`|---|---:|---:|${perRequest ? '---:|' : ''}`);
    for (const p of summary.phases) {
      const micros = perRequest ? ` ${((p.ms * 1000) / requests).toFixed(0)} |` : '';
      lines.push(`| ${p.phase} | ${p.ms.toFixed(0)} | ${pct(p.share)} |${micros}`);
    }
    if (perRequest) {
      lines.push(
        `| **busy time per request** | | | **${((summary.busyMs * 1000) / requests).toFixed(0)}** |`,
      );
    }
    lines.push('');
  }
  lines.push('| area (self time) | ms | share |');
  lines.push('|---|---:|---:|');
  for (const a of summary.areas.slice(0, 15))
    lines.push(`| ${a.area} | ${a.selfMs.toFixed(0)} | ${pct(a.share)} |`);
  lines.push('');
  lines.push('| function (self time) | where | self | total |');
  lines.push('|---|---|---:|---:|');
  for (const f of summary.bySelf) {
    lines.push(`| \`${f.name}\` | ${f.where || f.area} | ${pct(f.selfShare)} | ${pct(f.totalShare)} |`);
  }
  lines.push('');
  lines.push('| function (inclusive time) | where | total | self |');
  lines.push('|---|---|---:|---:|');
  for (const f of summary.byTotal) {
    lines.push(`| \`${f.name}\` | ${f.where || f.area} | ${pct(f.totalShare)} | ${pct(f.selfShare)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
