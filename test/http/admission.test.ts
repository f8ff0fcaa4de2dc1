/**
 * Admission and load shedding: memory reservations against a budget, a bounded FIFO queue, 503 +
 * Retry-After beyond it, 413 for what can never fit, the cgroup limit; over HTTP, probes answer
 * while predictions hold every slot.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app';
import { defaultConfig } from '../../src/config';
import { HttpError } from '../../src/errors';
import {
  Admission,
  cgroupMemoryLimit,
  csvWorkBytes,
  memoryBudget,
  residentBytesKept,
} from '../../src/http/admission';
import type { SiftRegistry } from '../../src/model/registry';
import { exposedCollector } from '../../src/ops/idle-compaction';
import { createMetrics } from '../../src/ops/metrics';
import { createHttpServer } from '../../src/server';
import request from 'supertest';
import { captureLogger, loadFixtureRegistry } from '../helpers/app';
import { v8Gc } from '../helpers/gc';

const MB = 1024 * 1024;

describe('Admission', () => {
  const limits = { budgetBytes: 10 * MB, maxInFlight: 2, maxQueued: 2, queueTimeoutMs: 200 };

  it('admits within the budget and the slots, queues the rest first come first served', async () => {
    const admission = new Admission(limits);
    const a = await admission.acquire(6 * MB);
    const order: string[] = [];
    const big = admission.acquire(6 * MB).then((release) => (order.push('big'), release));
    const small = admission.acquire(1 * MB).then((release) => (order.push('small'), release));
    expect(admission.stats()).toMatchObject({ inFlight: 1, queued: 2, reservedBytes: 6 * MB });
    a();
    (await big)();
    (await small)();
    expect(order).toEqual(['big', 'small']);
    expect(admission.stats()).toMatchObject({ inFlight: 0, queued: 0, reservedBytes: 0 });
  });

  it('refuses with 503 + Retry-After when the queue is full or the wait runs out', async () => {
    const admission = new Admission(limits);
    const held = [await admission.acquire(MB), await admission.acquire(MB)];
    const waiting = [admission.acquire(MB), admission.acquire(MB)];
    const full = (await admission.acquire(MB).catch((e: unknown) => e)) as HttpError;
    expect(full).toBeInstanceOf(HttpError);
    expect(full).toMatchObject({ status: 503, code: 'overloaded', headers: { 'Retry-After': '1' } });
    const timedOut = (await waiting[0].catch((e: unknown) => e)) as HttpError;
    expect(timedOut).toMatchObject({ status: 503, code: 'overloaded' });
    expect(timedOut.message).toContain('200 ms');
    await waiting[1].catch(() => undefined);
    held.forEach((release) => release());
    expect(admission.stats()).toMatchObject({ inFlight: 0, queued: 0, rejected: 3 });
  });

  it('answers 413 for a request larger than the whole budget', async () => {
    const error = (await new Admission(limits).acquire(11 * MB).catch((e: unknown) => e)) as HttpError;
    expect(error).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(error.message).toMatch(/~11 MB .* 10 MB/);
  });

  it('grows a reservation once a CSV body shows its cells: 413 past the budget, 503 when not now', async () => {
    const admission = new Admission(limits);
    const ticket = await admission.admit(2 * MB);
    const other = await admission.acquire(6 * MB);
    expect(() => ticket.grow(9 * MB)).toThrow(expect.objectContaining({ status: 413 }));
    expect(() => ticket.grow(3 * MB)).toThrow(expect.objectContaining({ status: 503, code: 'overloaded' }));
    ticket.grow(MB);
    expect(admission.stats().reservedBytes).toBe(9 * MB);
    ticket.release();
    other();
    expect(admission.stats().reservedBytes).toBe(0);
    // Cells and rows, not bytes: 512 empty columns cost far more than one long text per row.
    const wide = `${'a,'.repeat(511)}a\n`.repeat(100);
    const long = `${'word '.repeat(200)}\n`.repeat(100);
    expect(csvWorkBytes(Buffer.from(wide))).toBeGreaterThan(10 * csvWorkBytes(Buffer.from(long)));
  });

  it('reads the memory limit from cgroup v2 or v1, else none', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sift-cgroup-'));
    try {
      const self = path.join(root, 'self');
      writeFileSync(self, '0::/\n');
      expect(cgroupMemoryLimit(root, self)).toBeUndefined();
      mkdirSync(path.join(root, 'memory'));
      writeFileSync(path.join(root, 'memory', 'memory.limit_in_bytes'), '9223372036854771712\n');
      expect(cgroupMemoryLimit(root, self)).toBeUndefined();
      writeFileSync(path.join(root, 'memory', 'memory.limit_in_bytes'), '268435456\n');
      expect(cgroupMemoryLimit(root, self)).toBe(256 * MB);
      writeFileSync(path.join(root, 'memory.max'), 'max\n');
      expect(cgroupMemoryLimit(root, self)).toBe(256 * MB); // 'max' in v2: the v1 controller (hybrid hosts) decides
      writeFileSync(path.join(root, 'memory.max'), '536870912\n');
      expect(cgroupMemoryLimit(root, self)).toBe(512 * MB);
      // A process in a child cgroup (systemd-run, a host's slice) reads its own limit.
      mkdirSync(path.join(root, 'memory', 'sift'));
      writeFileSync(path.join(root, 'memory', 'sift', 'memory.limit_in_bytes'), '134217728\n');
      writeFileSync(self, '4:memory:/sift\n');
      rmSync(path.join(root, 'memory.max'));
      expect(cgroupMemoryLimit(root, self)).toBe(128 * MB);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('gives each worker its share of the limit less what it already uses', () => {
    const config = defaultConfig({ memoryLimitBytes: 256 * MB });
    expect(memoryBudget(config, 150 * MB)).toBe(Math.floor(256 * MB * 0.85 - 150 * MB));
    expect(memoryBudget(defaultConfig({ memoryLimitBytes: 256 * MB, webConcurrency: 2 }), 150 * MB)).toBe(
      16 * MB,
    );
  });

  it("sizes the budget from what the process keeps: garbage is collected first (V8's own gc)", () => {
    const holder = globalThis as { gc?: unknown };
    const original = holder.gc;
    holder.gc = v8Gc();
    try {
      const collect = exposedCollector();
      expect(collect).toBeDefined();
      // ~100 MB of small objects that become garbage at once, as a model's parsed JSON does.
      let loading: { i: number; s: string }[] | undefined = Array.from({ length: 1_000_000 }, (_, i) => ({
        i,
        s: `term ${i}`,
      }));
      expect(loading.length).toBe(1_000_000);
      loading = undefined;
      const before = process.memoryUsage.rss();
      const kept = residentBytesKept(collect);
      expect(before - kept).toBeGreaterThan(32 * MB);
      const config = defaultConfig({ memoryLimitBytes: 4096 * MB });
      expect(memoryBudget(config, kept) - memoryBudget(config, before)).toBeGreaterThan(32 * MB);
    } finally {
      if (original === undefined) delete holder.gc;
      else holder.gc = original;
    }
  });
});

describe('load shedding over HTTP', () => {
  const metrics = createMetrics({ processMetrics: false });
  let registry: SiftRegistry;
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    registry = await loadFixtureRegistry();
    const config = defaultConfig({ defaultModel: 'tweets-mini' });
    const admission = new Admission({
      budgetBytes: 64 * MB,
      maxInFlight: 1,
      maxQueued: 1,
      queueTimeoutMs: 300,
    });
    const app = createApp({
      config,
      registry,
      logger: captureLogger('silent').logger,
      metrics,
      admission,
    });
    server = createHttpServer(config, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await registry.close();
  });

  const predict = () =>
    fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'flood warning' }),
    });

  it('sheds predictions past the slots and the queue with 503 + Retry-After, and keeps answering probes', async () => {
    // A client that sent its headers and is slow with its body holds the only slot.
    const body = JSON.stringify({ text: 'fire near the station' });
    const slow = net.connect(port, '127.0.0.1');
    let slowAnswer = '';
    slow.on('data', (chunk) => (slowAnswer += chunk.toString()));
    await new Promise((r) => slow.once('connect', r));
    slow.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((r) => setTimeout(r, 100));

    const queued = predict();
    await new Promise((r) => setTimeout(r, 50));
    const shed = await predict();
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(await shed.json()).toMatchObject({ error: { status: 503, code: 'overloaded' } });
    for (const probe of ['/health', '/ready', '/ping']) {
      expect((await fetch(`http://127.0.0.1:${port}${probe}`)).status).toBe(200);
    }
    // The queued one waits its QUEUE_TIMEOUT_MS, then is refused the same way.
    expect((await queued).status).toBe(503);

    slow.write(body.slice(5));
    await new Promise((r) => slow.once('end', r));
    expect(slowAnswer).toMatch(/^HTTP\/1\.1 200/);
    expect((await predict()).status).toBe(200);

    // /metrics tells each refusal by reason, and the waits: two admitted at once, one queued 300 ms (a full queue is not waited in).
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('sift_admission_rejections_total{reason="queue_full"} 1');
    expect(text).toContain('sift_admission_rejections_total{reason="queue_timeout"} 1');
    expect(text).toContain('sift_admission_rejections_total{reason="too_large"} 0');
    expect(text).toContain('sift_admission_queue_wait_seconds_count 3');
    expect(text).toContain('sift_admission_queue_wait_seconds_bucket{le="0.1"} 2');
    expect(text).toMatch(/^sift_admission_in_flight 0$/m);
    expect(text).toMatch(/^sift_admission_queued 0$/m);
    expect(text).toMatch(/^sift_admission_budget_bytes 67108864$/m);
  });
});

describe('admission in /metrics', () => {
  let registry: SiftRegistry;
  beforeAll(async () => {
    registry = await loadFixtureRegistry();
  });
  afterAll(async () => {
    await registry.close();
  });

  it('counts a request too large for the budget (413) under its reason, and shows the reservations', async () => {
    const admission = new Admission({ budgetBytes: MB, maxInFlight: 4, maxQueued: 4, queueTimeoutMs: 1000 });
    const app = createApp({
      config: defaultConfig({ defaultModel: 'tweets-mini' }),
      registry,
      logger: captureLogger('silent').logger,
      metrics: createMetrics({ processMetrics: false }),
      admission,
    });
    const scrape = async () => (await request(app).get('/metrics')).text;
    expect(await scrape()).toContain('sift_admission_rejections_total{reason="too_large"} 0');
    // 20 KB of JSON may need ~1.1 MB of working memory: more than the whole budget.
    const refused = await request(app)
      .post('/predict')
      .send({ instances: Array.from({ length: 40 }, () => 'x'.repeat(500)) });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: { code: 'payload_too_large' } });
    const text = await scrape();
    expect(text).toContain('sift_admission_rejections_total{reason="too_large"} 1');
    expect(text).toContain('sift_admission_rejections_total{reason="queue_full"} 0');
    // Held while a request is in flight, given back after.
    const held = await admission.acquire(MB / 4);
    expect(await scrape()).toMatch(/^sift_admission_reserved_bytes 262144$/m);
    expect(await scrape()).toMatch(/^sift_admission_in_flight 1$/m);
    held();
    expect(await scrape()).toMatch(/^sift_admission_reserved_bytes 0$/m);
  });
});
