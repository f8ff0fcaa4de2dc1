/**
 * The process around the app: HTTP server limits for slow and greedy clients (in-process, real
 * sockets), and the real entry point as a child process: ready line, graceful SIGTERM, `serve`,
 * start-up failures, crashes, cluster mode.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { createApp } from '../src/app';
import { defaultConfig, type Config } from '../src/config';
import type { SiftRegistry } from '../src/model/registry';
import { createMetrics } from '../src/ops/metrics';
import { createHttpServer, startServer } from '../src/server';
import { BUNDLES_DIR, captureLogger, loadFixtureRegistry } from './helpers/app';
import { listeningUrl, spawnServer } from './helpers/process';

/** Everything a raw socket receives until the server closes it (or `timeoutMs` passes). */
function rawExchange(
  port: number,
  chunks: { data: string; delayMs?: number }[],
  timeoutMs = 5000,
): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closedAfterMs: Number.POSITIVE_INFINITY });
    }, timeoutMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (chunk.delayMs !== undefined) await new Promise((r) => setTimeout(r, chunk.delayMs));
        if (socket.destroyed) return;
        socket.write(chunk.data);
      }
    });
  });
}

/** Like rawExchange, but reports a reset instead of hiding it. */
function exchange(
  port: number,
  chunks: { data: string; delayMs?: number }[],
): Promise<{ received: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let error: string | undefined;
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ received, error }));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (chunk.delayMs !== undefined) await new Promise((r) => setTimeout(r, chunk.delayMs));
        if (socket.destroyed) return;
        socket.write(chunk.data);
      }
    });
  });
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('HTTP server limits', () => {
  let registry: SiftRegistry;
  beforeAll(async () => {
    registry = await loadFixtureRegistry();
  });
  afterAll(async () => {
    await registry.close();
  });

  async function serverWith(overrides: Partial<Config>): Promise<{ server: http.Server; port: number }> {
    const config = defaultConfig(overrides);
    const app = createApp({
      config,
      registry,
      logger: captureLogger('silent').logger,
      metrics: createMetrics({ processMetrics: false }),
    });
    const server = createHttpServer(config, app);
    return { server, port: await listen(server) };
  }

  it('drops a client that sends its headers too slowly (408)', async () => {
    const { server, port } = await serverWith({ headersTimeoutMs: 300, requestTimeoutMs: 1000 });
    try {
      const { received, closedAfterMs } = await rawExchange(port, [
        { data: 'GET /health HTTP/1.1\r\nHost: x\r\n' },
        { data: 'X-Slow: 1\r\n', delayMs: 200 },
        { data: 'X-Slow: 2\r\n', delayMs: 200 },
        { data: 'X-Slow: 3\r\n', delayMs: 200 },
        { data: 'X-Slow: 4\r\n', delayMs: 200 },
      ]);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
      expect(closedAfterMs).toBeLessThan(2000);
    } finally {
      server.close();
    }
  });

  it('drops a client that sends its body too slowly (408)', async () => {
    const { server, port } = await serverWith({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    try {
      const head =
        'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
      const { received, closedAfterMs } = await rawExchange(port, [
        { data: head },
        ...Array.from({ length: 10 }, () => ({ data: ' ', delayMs: 200 })),
      ]);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
      expect(closedAfterMs).toBeLessThan(2500);
    } finally {
      server.close();
    }
  });

  it('closes idle keep-alive connections after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { server, port } = await serverWith({ keepAliveTimeoutMs: 300 });
    try {
      const { received, closedAfterMs } = await rawExchange(port, [
        { data: 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' },
      ]);
      expect(received).toMatch(/^HTTP\/1\.1 200/);
      expect(received).toMatch(/Keep-Alive: timeout=/i);
      expect(closedAfterMs).toBeGreaterThanOrEqual(250);
      expect(closedAfterMs).toBeLessThan(2000);
    } finally {
      server.close();
    }
  });

  it('answers 431 to oversized headers and refuses connections past MAX_CONNECTIONS', async () => {
    const { server, port } = await serverWith({ maxConnections: 1 });
    try {
      const huge = await rawExchange(port, [
        { data: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n` },
      ]);
      expect(huge.received).toMatch(/^HTTP\/1\.1 431/);

      const holder = net.connect(port, '127.0.0.1');
      await new Promise((r) => holder.once('connect', r));
      await new Promise((r) => setTimeout(r, 50));
      const refused = await rawExchange(port, [{ data: 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' }], 2000);
      expect(refused.received).toBe('');
      expect(refused.closedAfterMs).toBeLessThan(2000);
      holder.destroy();
    } finally {
      server.close();
    }
  });

  it('keeps room for new clients: near MAX_CONNECTIONS the longest idle connections are closed', async () => {
    const { server, port } = await serverWith({ maxConnections: 32 });
    const sockets: net.Socket[] = [];
    try {
      // As many silent connections as the cap allows, most of them idle for a while.
      for (let i = 0; i < 32; i++) {
        if (i === 28) await new Promise((r) => setTimeout(r, 600));
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise((r) => socket.once('connect', r));
        sockets.push(socket);
      }
      await new Promise((r) => setTimeout(r, 50));
      const answers = [];
      for (let i = 0; i < 5; i++) {
        answers.push(
          (await fetch(`http://127.0.0.1:${port}/health`, { headers: { Connection: 'close' } })).status,
        );
      }
      expect(answers).toEqual([200, 200, 200, 200, 200]);
      expect(sockets.filter((s) => s.destroyed || s.readableEnded).length).toBeGreaterThan(0);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('400s a request without a Host header', async () => {
    const { server, port } = await serverWith({});
    try {
      const { received } = await rawExchange(port, [{ data: 'GET /health HTTP/1.1\r\n\r\n' }]);
      expect(received).toMatch(/^HTTP\/1\.1 400/);
    } finally {
      server.close();
    }
  });
});

describe('startServer and shutdown', () => {
  it('finishes an in-flight request, then stops and releases the models (exit code 0)', async () => {
    const log = captureLogger('info');
    const running = await startServer(
      defaultConfig({ artifactsDir: BUNDLES_DIR, defaultModel: 'tweets-mini', port: 0, host: '127.0.0.1' }),
      log.logger,
    );
    const port = Number(new URL(running.url).port);
    const body = JSON.stringify({ text: 'Forest fire near La Ronge' });
    const inFlight = rawExchange(port, [
      {
        data: `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      },
      { data: body.slice(10), delayMs: 300 },
    ]);
    await new Promise((r) => setTimeout(r, 100));
    const code = running.shutdown('test');
    const { received } = await inFlight;
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(received).toMatch(/Connection: close/i);
    expect(received).toContain('"model":"tweets-mini"');
    expect(await code).toBe(0);
    expect(running.registry.list().every((m) => !m.status().ready)).toBe(true);
    expect(log.lines().map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutting down: draining in-flight requests', 'stopped']),
    );
  });

  it('answers all of 50 in-flight slow clients and uploads, resets none, closes idle keep-alive ones', async () => {
    const running = await startServer(
      defaultConfig({ artifactsDir: BUNDLES_DIR, defaultModel: 'tweets-mini', port: 0, host: '127.0.0.1' }),
      captureLogger('silent').logger,
    );
    const port = Number(new URL(running.url).port);
    const json = JSON.stringify({ text: 'Forest fire near La Ronge' });
    const csv = 'id,text\r\n1,Forest fire near La Ronge\r\n2,What a lovely day\r\n';
    const multipart = `--b\r\nContent-Disposition: form-data; name="file"; filename="t.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--b--\r\n`;
    const requests = Array.from({ length: 50 }, (_, i) => {
      const upload = i % 2 === 1;
      const body = upload ? multipart : json;
      const head = upload
        ? `POST /predict HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n`
        : `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
      return exchange(port, [
        { data: head + body.slice(0, 20) },
        { data: body.slice(20, 60), delayMs: 300 },
        { data: body.slice(60), delayMs: 300 },
      ]);
    });
    // Keep-alive clients that were answered before the shutdown and now sit idle.
    const idle = Array.from({ length: 5 }, () =>
      exchange(port, [{ data: 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' }]),
    );
    await new Promise((r) => setTimeout(r, 150));
    // Connected as the shutdown starts: still in the listen backlog when it begins.
    const late = Array.from({ length: 10 }, () =>
      exchange(port, [
        {
          data: `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
        },
      ]),
    );
    const started = Date.now();
    const code = running.shutdown('test');
    const answers = [...(await Promise.all(requests)), ...(await Promise.all(late))];
    expect(answers.filter((a) => a.error !== undefined)).toEqual([]);
    expect(answers.map((a) => a.received.slice(0, 12))).toEqual(Array(60).fill('HTTP/1.1 200'));
    expect(answers.every((a) => /Connection: close/i.test(a.received))).toBe(true);
    expect((await Promise.all(idle)).map((a) => a.error)).toEqual(Array(5).fill(undefined));
    expect(await code).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('cuts connections still open after SHUTDOWN_TIMEOUT_MS (exit code 1)', async () => {
    const running = await startServer(
      defaultConfig({ artifactsDir: BUNDLES_DIR, port: 0, host: '127.0.0.1', shutdownTimeoutMs: 300 }),
      captureLogger('silent').logger,
    );
    const port = Number(new URL(running.url).port);
    const stuck = rawExchange(port, [
      {
        data: 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      },
    ]);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    expect(await running.shutdown('test')).toBe(1);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await stuck).closedAfterMs).toBeLessThan(Number.POSITIVE_INFINITY);
  });
});

describe('the server process', () => {
  it('started with serve: one ready line, SageMaker port, serves, exits 0 on SIGTERM finishing the request in flight', async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)),
    );
    await new Promise((r) => probe.close(r));
    const server = spawnServer(
      {
        ARTIFACTS_DIR: 'test/fixtures/bundles',
        DEFAULT_MODEL: 'tweets-mini',
        SAGEMAKER_BIND_TO_PORT: String(port),
      },
      ['serve'],
    );
    try {
      const line = await server.waitFor(/sift listening on/);
      expect(JSON.parse(line)).toMatchObject({
        level: 'info',
        msg: `sift listening on http://127.0.0.1:${port} (models: sentiment-mini, toxic-mini, tweets-mini (default))`,
      });
      expect(
        server
          .stdout()
          .split('\n')
          .filter((l) => l.includes('sift listening on')),
      ).toHaveLength(1);
      const url = listeningUrl(line);
      expect((await fetch(`${url}/ping`)).status).toBe(200);
      expect((await fetch(`${url}/health`)).status).toBe(200);

      const body = JSON.stringify({ text: 'flood warning' });
      const inFlight = rawExchange(port, [
        {
          data: `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n{`,
        },
        { data: body.slice(1), delayMs: 400 },
      ]);
      await new Promise((r) => setTimeout(r, 150));
      server.child.kill('SIGTERM');
      const { received } = await inFlight;
      expect(received).toMatch(/^HTTP\/1\.1 200/);
      expect(received).toMatch(/Connection: close/i);
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.stdout()).toContain('"msg":"stopped"');
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses to start without a usable model, saying why', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'sift-empty-'));
    try {
      const server = spawnServer({ ARTIFACTS_DIR: empty });
      expect((await server.exited).code).toBe(1);
      expect(server.stderr()).toBe(
        `sift: cannot start: no model bundles in ${empty} (expected folders with card.json, vectorizer.json, unicode.json, classifier.json, model.onnx)\n`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to start with bad settings, listing each', async () => {
    const server = spawnServer({ PORT: 'http', MAX_BATCH: '-1' });
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toContain('sift: cannot start: Invalid configuration:');
    expect(server.stderr()).toContain('  - PORT: expected a whole number, got "http"');
    expect(server.stderr()).toContain('  - MAX_BATCH: expected a whole number, got "-1"');
  }, 60_000);

  it('in cluster mode, stops the early worker when the settings are bad', async () => {
    const server = spawnServer({ WEB_CONCURRENCY: '2', PORT: 'http' });
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toContain('  - PORT: expected a whole number, got "http"');
    expect(server.stdout()).not.toContain('sift listening on');
  }, 60_000);

  it('in cluster mode, exits 1 when the first worker cannot load a model', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'sift-empty-'));
    try {
      const server = spawnServer({ ARTIFACTS_DIR: empty, WEB_CONCURRENCY: '2' });
      expect((await server.exited).code).toBe(1);
      expect(server.stderr()).toContain(`sift: cannot start: no model bundles in ${empty}`);
      expect(server.stdout()).toContain('a worker failed to start; stopping');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);

  it('logs an uncaught exception and exits 1', async () => {
    const server = spawnServer(
      { ARTIFACTS_DIR: 'test/fixtures/bundles' },
      [],
      'test/helpers/crash-server.ts',
    );
    expect((await server.exited).code).toBe(1);
    const fatal = server
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"level":"fatal"'))
      .map((l) => JSON.parse(l) as { msg: string; err: { message: string } });
    expect(fatal).toHaveLength(1);
    expect(fatal[0].msg).toBe('uncaught exception; exiting for a clean restart');
    expect(fatal[0].err.message).toBe('a bug nobody caught');
  }, 60_000);

  it('runs WEB_CONCURRENCY workers behind one port and stops them all on SIGTERM', async () => {
    const server = spawnServer({ ARTIFACTS_DIR: 'test/fixtures/bundles', WEB_CONCURRENCY: '2' });
    try {
      const line = await server.waitFor(/sift listening on/, 80_000);
      expect(line).toContain('; 2 workers)');
      const url = listeningUrl(line);
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          fetch(`${url}/predict`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ text: 'fire' }),
          }).then((r) => r.status),
        ),
      );
      expect(answers).toEqual([200, 200, 200, 200]);
      // Whichever worker answers the scrape, it reports the sum over both.
      for (let i = 0; i < 2; i++) {
        const scrape = await (await fetch(`${url}/metrics`)).text();
        expect(scrape).toContain('sift_http_requests_total{method="POST",route="/predict",status="200"} 4');
        expect(scrape).toMatch(/sift_model_info\{model="tweets-mini",[^}]*ready="true"\} 1\n/);
      }
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      expect(server.stdout()).toContain('all workers stopped');
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 90_000);

  it('in cluster mode, restarts workers that were all killed and serves again', async () => {
    // A fixed port: with PORT=0 the workers forked after all others died would get a new one.
    const server = spawnServer({
      ARTIFACTS_DIR: 'test/fixtures/bundles',
      WEB_CONCURRENCY: '2',
      PORT: String(await freePort()),
    });
    try {
      const url = listeningUrl(await server.waitFor(/sift listening on/, 80_000));
      const workers = childPids(server.child.pid as number);
      expect(workers).toHaveLength(2);
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 90_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = await fetch(`${url}/predict`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Connection: 'close' },
          body: JSON.stringify({ text: 'fire' }),
          signal: AbortSignal.timeout(2000),
        }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200 && server.stdout().includes('"serving":2,"msg":"restarted worker serving"')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
      expect(server.child.exitCode).toBeNull();
      const fresh = childPids(server.child.pid as number);
      expect(fresh).toHaveLength(2);
      expect(fresh.some((pid) => workers.includes(pid))).toBe(false);
      expect(server.stdout()).toContain('worker died; restarting it');
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 200_000);
});

describe('the cluster primary gives up on workers that keep dying', () => {
  it('restarts them with growing delays, then exits 1 after the deaths in a row it tolerates', async () => {
    // Workers that serve, then die 200 ms later, under a restart policy of 50 ms doubling to 400 ms.
    const server = spawnServer({ FLAKY_MAX_FAILURES: '4' }, [], 'test/helpers/flaky-cluster.ts');
    try {
      const { code } = await server.exited;
      expect(code).toBe(1);
      const lines = server
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; failures?: number; restartInMs?: number });
      const restarts = lines.filter((l) => l.msg === 'worker died; restarting it');
      expect(restarts.map((l) => [l.failures, l.restartInMs])).toEqual([
        [1, 50],
        [2, 100],
        [3, 200],
        [4, 400],
      ]);
      expect(lines.some((l) => l.msg === 'workers died 5 times in a row; stopping')).toBe(true);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 90_000);
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await new Promise<number>((resolve) =>
    probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)),
  );
  await new Promise((r) => probe.close(r));
  return port;
}

describe('the rate limit in cluster mode', () => {
  it('counts across workers: RATE_LIMIT_PER_MINUTE requests pass in all, whichever worker answers', async () => {
    const server = spawnServer({
      ARTIFACTS_DIR: 'test/fixtures/bundles',
      WEB_CONCURRENCY: '2',
      RATE_LIMIT_PER_MINUTE: '6',
    });
    try {
      const url = listeningUrl(await server.waitFor(/sift listening on/, 80_000));
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        // A new connection each time, so the kernel spreads them over both workers.
        const response = await fetch(`${url}/models`, { headers: { Connection: 'close' } });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
      expect(statuses.filter((s) => s === 429)).toHaveLength(6);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 90_000);
});

/** The process ids of `pid`'s children (cluster workers). */
function childPids(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}
