/**
 * The prediction log in real headless Chromium against the real server, started as `npm start`
 * starts it (the store on its worker thread, SQLite): a person classifies a tweet, answers "No" to
 * "Was this right?" with the right class, sees the thanks page; the monitor page then shows the
 * correction with its charts. Screenshots go to test-results/screenshots/ (monitor-*.png).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { serverStartCommand } from '../../bench/servers';
import {
  ROOT,
  type RunningServer,
  type WatchedPage,
  ensureBuilt,
  horizontalOverflow,
  launchChromium,
  openPage,
  screenshot,
  startServer,
} from './harness';

const MODEL = 'disaster-tweets';
let server: RunningServer;
let browser: Browser;
let dataDir: string;
const opened: WatchedPage[] = [];

beforeAll(async () => {
  ensureBuilt();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'sift-e2e-log-'));
  // The shipped model: its card has the training distribution and idf weights the monitor compares with.
  server = await startServer(
    {
      ARTIFACTS_DIR: path.join(ROOT, 'artifacts'),
      DEFAULT_MODEL: MODEL,
      PREDICTION_LOG: 'on',
      PREDICTION_LOG_PATH: path.join(dataDir, 'predictions.sqlite'),
    },
    serverStartCommand(ROOT).flags,
  );
  browser = await launchChromium();
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

async function open(width = 1280): Promise<WatchedPage> {
  const watched = await openPage(browser, { viewport: { width, height: 900 } });
  opened.push(watched);
  return watched;
}

afterEach(async () => {
  const problems = opened.flatMap((w) => w.problems);
  await Promise.all(opened.splice(0).map((w) => w.close()));
  expect(problems).toEqual([]);
});

/** Some traffic through the API, a few rows with feedback, so the monitor has more than one row. */
async function someTraffic(): Promise<void> {
  const texts = [
    'Forest fire near La Ronge Sask. Canada',
    'Residents asked to shelter in place after the flood',
    'I love this new album so much',
    'Earthquake shakes the city, buildings damaged',
    'What a great day at the beach',
    'Heavy rain causes flooding across the county',
    'My phone battery died again lol',
    'Wildfire smoke closes schools',
  ];
  for (const [i, text] of texts.entries()) {
    const response = await fetch(`${server.url}/predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { prediction_id: string; label_name: string };
    if (i % 2 === 1) continue;
    const feedback = await fetch(`${server.url}/predictions/${body.prediction_id}/feedback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ label: body.label_name }),
    });
    expect(feedback.status).toBe(200);
  }
}

describe('feedback and the monitor page', () => {
  it('a person corrects a prediction on the result page and sees it on the monitor', async () => {
    await someTraffic();
    const { page } = await open();
    await page.goto(`${server.url}/index?model=${MODEL}`);
    await page.getByLabel('Tweet').fill('Just got back from the lake, the sunset was on fire tonight');
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);
    const predicted = await page.locator('#verdict-heading').innerText();
    expect(predicted).toMatch(/^(Real disaster|Not a disaster)$/);
    const rightClass = predicted === 'Real disaster' ? 'Not a disaster' : 'Real disaster';

    const control = page.getByRole('region', { name: 'Was this right?' });
    await expect(control.getByRole('button', { name: 'Yes, it was right' }).isVisible()).resolves.toBe(true);
    // Binary: "No" offers the one other class.
    const choices = control.getByRole('radio');
    expect(await choices.count()).toBe(1);
    await control.getByRole('radio', { name: rightClass }).check();
    await control.screenshot({ path: '/tmp/sift-e2e-feedback-control.png' });
    await screenshot(page, 'monitor-result-with-feedback');
    await Promise.all([
      page.waitForURL(/\/predictions\/[0-9a-f-]+\/feedback$/),
      control.getByRole('button', { name: 'Send the correction' }).click(),
    ]);
    await expect(page.locator('h1').innerText()).resolves.toBe('Thank you');
    await expect(page.locator('.lede').innerText()).resolves.toBe(
      `Recorded: the right answer is ${rightClass} (the model said ${predicted}).`,
    );
    await screenshot(page, 'monitor-feedback-thanks');

    // The thanks page leads to the monitor.
    await Promise.all([
      page.waitForURL(`${server.url}/models/${MODEL}/monitor`),
      page.getByRole('link', { name: 'How the model does in production' }).click(),
    ]);
    await expect(page.locator('#monitor-heading').innerText()).resolves.toMatch(/in production$/);
    const tiles = Object.fromEntries(
      await page
        .locator('.tiles .tile')
        .evaluateAll((els) =>
          els.map((el) => [
            el.querySelector('dt')?.textContent?.trim(),
            el.querySelector('dd')?.textContent?.trim(),
          ]),
        ),
    ) as Record<string, string>;
    expect(tiles.Predictions).toBe('9');
    // 4 API answers confirmed as right, the browser's one corrected: 4 of 5.
    expect(tiles['Live accuracy']).toBe('80.0%');
    // Every chart over time is drawn and titled for screen readers (count, accuracy, coverage,
    // low signal, drift).
    const charts = page.locator('main svg.column-chart');
    expect(await charts.count()).toBe(5);
    for (const svg of await charts.all()) {
      const box = await svg.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(100);
      await expect(svg.getAttribute('role')).resolves.toBe('img');
    }
    // No text of a chart (axis labels, the reference line's legend) lies on a column.
    const overlaps = await page.locator('main svg.column-chart').evaluateAll((svgs) =>
      svgs.flatMap((svg, i) => {
        const boxes = (selector: string) =>
          [...svg.querySelectorAll<SVGGraphicsElement>(selector)].map((el) => ({
            text: el.textContent ?? '',
            box: el.getBBox(),
          }));
        const columns = boxes('rect.column');
        return boxes('text').flatMap(({ text, box }) =>
          columns
            .filter(
              (c) =>
                box.x < c.box.x + c.box.width &&
                c.box.x < box.x + box.width &&
                box.y < c.box.y + c.box.height &&
                c.box.y < box.y + box.height,
            )
            .map(() => `chart ${i}: "${text}"`),
        );
      }),
    );
    expect(overlaps).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await page.screenshot({ path: '/tmp/sift-e2e-monitor-desktop.png', fullPage: true });
    await screenshot(page, 'monitor-desktop');

    const phone = await open(390);
    await phone.page.goto(`${server.url}/models/${MODEL}/monitor`);
    expect(await horizontalOverflow(phone.page)).toBe(0);
    // On a phone a chart keeps a readable size and scrolls inside its figure, starting at the
    // newest hour: the latest column is on screen.
    const newest = await phone.page
      .locator('main svg.column-chart')
      .first()
      .locator('rect.column')
      .last()
      .boundingBox();
    expect(newest).not.toBeNull();
    expect((newest?.x ?? 0) + (newest?.width ?? 0)).toBeLessThanOrEqual(390);
    expect(newest?.x ?? -1).toBeGreaterThan(0);
    await phone.page.screenshot({ path: '/tmp/sift-e2e-monitor-phone.png', fullPage: true });
    await screenshot(phone.page, 'monitor-phone');
  });
});
