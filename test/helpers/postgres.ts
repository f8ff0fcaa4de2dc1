/**
 * A throwaway PostgreSQL cluster for tests: Debian's `postgresql` binaries (initdb, pg_ctl) in a
 * temporary folder, on a free port and a private socket folder, fsync off; one cluster per test
 * file (start it in beforeAll). As root the server runs as the `postgres` user (initdb refuses
 * root). Without the binaries the tests are skipped with a message, unless SIFT_REQUIRE_POSTGRES=1
 * (set by .ci/run), where their absence fails the run.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** The bin folder holding initdb and pg_ctl (PG_BIN, else the newest /usr/lib/postgresql/N/bin). */
export function postgresBinaries(): string | undefined {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : [];
  return candidates.find(
    (dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')),
  );
}

/** `describe` when PostgreSQL can be started here; otherwise skipped with a note, or failed in CI. */
export function describePostgres(name: string, fn: () => void): void {
  if (postgresBinaries() !== undefined) return describe(name, fn);
  const required = process.env.SIFT_REQUIRE_POSTGRES === '1' || process.env.SIFT_REQUIRE_POSTGRES === 'true';
  if (required) {
    describe(name, () => {
      it('needs PostgreSQL (SIFT_REQUIRE_POSTGRES is set)', () => {
        throw new Error('PostgreSQL binaries not found: apt-get install postgresql, or set PG_BIN');
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: no PostgreSQL binaries; apt-get install postgresql or set PG_BIN)`, fn);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  /** Connection URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** A new empty database; resolves with its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and deletes everything. */
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinaries();
  if (bin === undefined) throw new Error('PostgreSQL binaries not found');
  const root = mkdtempSync(path.join(os.tmpdir(), 'sift-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot)
    chownSync(
      root,
      Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
      Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
    );
  const as = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args])
      : run(path.join(bin, command), args);
  const data = path.join(root, 'data');
  const port = await freePort();
  await as('initdb', [
    '-D',
    data,
    '-U',
    'sift',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const start = async () => {
    await as('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(root, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]);
  };
  const stop = async () => {
    await as('pg_ctl', ['-D', data, '-w', '-t', '30', '-m', 'fast', 'stop']);
  };
  await start();
  const url = (db: string) => `postgres://sift@127.0.0.1:${port}/${db}`;
  return {
    url: url('postgres'),
    port,
    async createDatabase(name) {
      const client = new Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop,
    start,
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
