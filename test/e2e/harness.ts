/**
 * The browser tests' harness: the real server (dist/server.js over the fixture bundles) and Debian's
 * Chromium through playwright-core, with every console error, page error and CSP violation of a page
 * collected so a test can assert there were none.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContextOptions, type Page, chromium } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BUNDLES_DIR = path.join(ROOT, 'test', 'fixtures', 'bundles');
export const SCREENSHOTS_DIR = path.join(ROOT, 'test-results', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, ext));
    else if (entry.name.endsWith(ext)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Compile src/ to dist/ unless dist/server.js is newer than every source file. */
export function ensureBuilt(): void {
  const server = path.join(ROOT, 'dist', 'server.js');
  if (existsSync(server) && statSync(server).mtimeMs >= newestMtime(path.join(ROOT, 'src'), '.ts')) return;
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
      timeout: 300_000,
    },
  );
}

export interface RunningServer {
  url: string;
  /** Everything the process wrote, for failure messages. */
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Start `node dist/server.js` on a free port and wait until it says where it listens. nodeArgs go
 * before the script (`npm start` and the image's: `serverStartCommand(ROOT).flags` in bench/servers.ts).
 */
export async function startServer(
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'server.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ARTIFACTS_DIR: BUNDLES_DIR,
      DEFAULT_MODEL: 'tweets-mini',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      // One process: the default follows the machine's CPUs (config.ts).
      WEB_CONCURRENCY: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and warnings, uncaught page errors, CSP violations, failed requests. */
  problems: string[];
  close: () => Promise<void>;
}

/** A fresh context and page whose every problem is recorded. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  // Pages answered with an error status on purpose (a 404 page the test asks for): Chromium logs
  // "Failed to load resource" for them, which is the answer under test, not a page problem.
  const errorDocuments = new Set<string>();
  page.on('response', (response) => {
    if (response.request().isNavigationRequest() && response.status() >= 400)
      errorDocuments.add(response.url());
  });
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    if (message.text().startsWith('Failed to load resource') && errorDocuments.has(message.location().url))
      return;
    problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A download is handed to the browser's download manager, which Chromium reports as aborted.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') {
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
    }
  });
  // Injected by the DevTools protocol, so the page's own CSP does not apply to this listener.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { page, problems, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

/** How far the page scrolls sideways (0 when it fits the viewport). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
