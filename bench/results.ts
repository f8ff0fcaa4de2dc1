/** The shape of bench/results/latest.json: everything one run measured, side by side. */
import type { LoadResult } from './loadgen';

export interface Environment {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  node: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  /** 1-minute load average before and after: other work on the shared machine shows here. */
  loadAverageStart: number;
  loadAverageEnd: number;
  /** How servers and the load generator share the cores. */
  cpuSharing: string;
  loadGenerator: { name: string; version: string };
  python?: string;
  sklearn?: string;
  gitCommit?: string;
  gitDirty?: boolean;
  artifactsDir: string;
  model: string;
  pool: { rows: number; generated: number; fromSharedData: number; source: string };
  durationSeconds: number;
  warmupSeconds: number;
  seedsTrainedOn: string;
}

export type Scenario = 'single' | 'explain' | 'batch' | 'light';

export interface Measurement {
  server: string;
  scenario: Scenario;
  connections: number;
  /** Rows per request (1 for single-text). */
  batch: number;
  explain: boolean;
  load: LoadResult;
  textsPerSecond: number;
  /** CPU seconds the server's processes used during the measurement. */
  serverCpuSeconds: number;
  /** Server CPU per answered request, microseconds: efficiency independent of the load generator. */
  serverCpuMicrosPerRequest: number;
  /** Share of the whole machine (all cores) busy during the measurement, 0–1. */
  machineBusy: number;
  /**
   * Average cores busy during the measurement: the server's processes, the load generator, and
   * everything else on the machine (other users' work: noise).
   */
  coresUsed: { server: number; loadGenerator: number; other: number };
}

export interface MemorySample {
  server: string;
  /** idle: before any load; after load: 1 s after the last measurement; settled: --settle s later. */
  phase: 'idle' | 'after load' | 'settled';
  totalBytes: number;
  largestBytes: number;
  processes: number;
}

export interface StartupSample {
  server: string;
  runsMs: number[];
  medianMs: number;
}

export interface InProcessSample {
  engine: 'sift' | 'scikit-learn';
  batch: number;
  explain: boolean;
  textsPerSecond: number;
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run (quick mode, a server that failed). */
  pass: boolean | null;
}

export interface BenchResults {
  environment: Environment;
  single: Measurement[];
  explain: Measurement[];
  batch: Measurement[];
  /**
   * Single text on the light pipeline (word 1–2 TF-IDF + LR), one process each: Sift, bare Express,
   * raw node:http, Flask + scikit-learn. Older saved runs have none.
   */
  light?: Measurement[];
  /**
   * Extra interleaved rounds of the default model's one-process pair (Sift and bare Express, single
   * text, 32 connections) beside section 1's own measurement; the CPU target takes each one's lowest.
   */
  cpuRounds?: Measurement[];
  /** The light model's own cost in process (vectorize + classify one text), µs. */
  lightModelMicros?: number | null;
  lightModel?: string;
  inProcess: InProcessSample[];
  memory: MemorySample[];
  startup: StartupSample[];
  dockerImageBytes: number | null;
  dockerImageNote: string;
  /** Share of pool rows where Sift and the seeds' model predict the same label. */
  labelAgreement: number | null;
  targets: TargetCheck[];
  notes: string[];
}
