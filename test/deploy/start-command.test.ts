/**
 * `npm start`, the image's ENTRYPOINT and the bench start the server with the same node flags, so
 * what the bench measures is what users run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverStartCommand } from '../../bench/servers';

const root = join(__dirname, '..', '..');

describe('the server start command', () => {
  const startScript = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts.start;
  const { env, flags } = serverStartCommand(root);

  it('npm start runs node with flags on dist/server.js', () => {
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    expect(startScript).toBe([...assignments, 'node', ...flags, 'dist/server.js'].join(' '));
    expect(flags).toContain('--max-semi-space-size=4');
    // src/ops/idle-compaction.ts gives a grown heap back once idle.
    expect(flags).toContain('--expose-gc');
    expect(env.MALLOC_MMAP_THRESHOLD_).toBe('65536');
  });

  it('the Dockerfile sets the same environment for the allocator', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const [name, value] of Object.entries(env)) expect(dockerfile).toContain(`${name}=${value}`);
  });

  it('the Dockerfile ENTRYPOINT uses the same flags', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
    expect(entrypoint).not.toBeNull();
    expect(JSON.parse(entrypoint![1])).toEqual(['node', ...flags, 'dist/server.js']);
  });
});
