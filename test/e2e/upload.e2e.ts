/**
 * The CSV upload with JavaScript (public/js/upload.js) in real headless Chromium against the real
 * server: progress while a 1.4 MB file goes up, the download from the same page, the server's notes
 * (rows, join column, cells neutralised, Windows-1252) shown on it, refusals with their line and the
 * limits, a file over MAX_UPLOAD_BYTES stopped before it is sent — no console errors, no CSP
 * violations.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import {
  type RunningServer,
  type WatchedPage,
  ensureBuilt,
  launchChromium,
  openPage,
  screenshot,
  startServer,
} from './harness';

let server: RunningServer;
let browser: Browser;
const opened: WatchedPage[] = [];
const MAX_UPLOAD_BYTES = 2_000_000;

beforeAll(async () => {
  ensureBuilt();
  server = await startServer({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
  browser = await launchChromium();
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(): Promise<WatchedPage> {
  const watched = await openPage(browser, { viewport: { width: 1280, height: 900 } });
  opened.push(watched);
  await watched.page.goto(`${server.url}/index`);
  return watched;
}

afterEach(async () => {
  const problems = opened.flatMap((w) => w.problems);
  await Promise.all(opened.splice(0).map((w) => w.close()));
  expect(problems).toEqual([]);
});

it('states the limits before upload', async () => {
  const { page } = await open();
  await expect(page.locator('#csv-limits').innerText()).resolves.toBe(
    'Limits: up to 10,000 data rows (MAX_CSV_ROWS) and 1.9 MB (MAX_UPLOAD_BYTES) per file.',
  );
});

it('shows progress, downloads from the same page and says what it did', async () => {
  const { page } = await open();
  // Record every value the progress bar takes while the file goes up.
  await page.evaluate(() => {
    const bar = document.querySelector('#csv-progress') as HTMLProgressElement;
    const seen: number[] = [];
    (window as unknown as { seen: number[] }).seen = seen;
    new MutationObserver(() => seen.push(bar.value / bar.max)).observe(bar, { attributes: true });
  });
  const rows = Array.from({ length: 9000 }, (_, i) =>
    i % 2 === 0
      ? `${i},"Forest fire near the ridge, evacuations ordered, row ${i} ${'x'.repeat(100)}"`
      : `${i},@friend lovely sunny day at the beach row ${i} ${'y'.repeat(100)}`,
  );
  const csv = Buffer.from(['id,text', ...rows].join('\r\n'));
  expect(csv.length).toBeGreaterThan(1_300_000);
  await page.locator('#csv-file').setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: csv });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Classify and download' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('predictions-tweets-mini.csv');
  const status = page.locator('#csv-status');
  await expect(status.innerText()).resolves.toContain('Done: 9,000 rows classified');
  const text = await status.innerText();
  expect(text).toContain('Join the download to your file on the column "id".');
  expect(text).toContain('4,500 cells starting with = + - or @');
  const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
  expect(seen.some((fraction) => fraction > 0 && fraction <= 1)).toBe(true);
  expect(Math.max(...seen.filter(Number.isFinite))).toBe(1);
  const out = parse(readFileSync((await download.path()) ?? ''), { columns: true, bom: true }) as Record<
    string,
    string
  >[];
  expect(out).toHaveLength(9000);
  expect(out[1].text.startsWith("'@friend")).toBe(true);
  await expect(page.getByRole('button', { name: 'Classify and download' }).isEnabled()).resolves.toBe(true);
  await screenshot(page, 'upload-done');
});

it('returns cells verbatim when asked and shows the Windows-1252 notice', async () => {
  const { page } = await open();
  const latin = Buffer.concat([
    Buffer.from('id;text\r\n1;'),
    Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x20]), // "Café € " in Windows-1252
    Buffer.from('@home\r\n'),
  ]);
  await page.locator('#csv-file').setInputFiles({ name: 'excel.csv', mimeType: 'text/csv', buffer: latin });
  await page.getByLabel('Return my cells exactly as uploaded').check();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Classify and download' }).click(),
  ]);
  const status = page.locator('#csv-status');
  await expect(status.innerText()).resolves.toContain('read as Windows-1252');
  const out = parse(readFileSync((await download.path()) ?? ''), {
    columns: true,
    bom: true,
    delimiter: ';',
  }) as Record<string, string>[];
  expect(out[0].text).toBe('Café € @home');
  await screenshot(page, 'upload-windows-1252');
});

it('shows a refusal with its line and the limits on the page', async () => {
  const watched = await open();
  const { page } = watched;
  const broken = Buffer.from('id,text\n1,fine\n2,"never closed\n3,more\n');
  await page.locator('#csv-file').setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: broken });
  await page.getByRole('button', { name: 'Classify and download' }).click();
  const alert = page.getByRole('alert');
  await expect(alert.innerText()).resolves.toMatch(/line 3 opens a quote that is never closed/);
  await expect(alert.innerText()).resolves.toContain('Uploads may have up to 10,000 data rows');
  await screenshot(page, 'upload-refused');
  // Chromium logs every 4xx answer to a script's request; this one is the answer under test.
  const logged =
    /^console error: Failed to load resource: the server responded with a status of 400 .*\/predict\)$/;
  expect(watched.problems.filter((p) => logged.test(p))).toHaveLength(1);
  watched.problems.splice(0, watched.problems.length, ...watched.problems.filter((p) => !logged.test(p)));
});

it('stops a file over MAX_UPLOAD_BYTES before sending it', async () => {
  const { page } = await open();
  let posted = false;
  page.on('request', (request) => {
    if (request.method() === 'POST') posted = true;
  });
  const big = Buffer.from(`text\n${'fire '.repeat(450_000)}\n`);
  await page.locator('#csv-file').setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: big });
  await page.getByRole('button', { name: 'Classify and download' }).click();
  const alert = page.getByRole('alert');
  await expect(alert.innerText()).resolves.toContain('huge.csv is 2.1 MB; the server takes at most 1.9 MB.');
  await expect(alert.innerText()).resolves.toContain('Limits: up to 10,000 data rows');
  expect(posted).toBe(false);
});
