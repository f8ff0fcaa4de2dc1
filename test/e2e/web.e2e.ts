/**
 * The pages in real headless Chromium against the real server: the form, the result page, the
 * model picker, examples (with and without JavaScript), the metric switch, CSV upload and download,
 * keyboard-only use, phone widths — with no console errors and no CSP violations anywhere.
 * Screenshots go to test-results/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import {
  type RunningServer,
  type WatchedPage,
  ensureBuilt,
  horizontalOverflow,
  launchChromium,
  openPage,
  screenshot,
  startServer,
} from './harness';

let server: RunningServer;
let browser: Browser;
const opened: WatchedPage[] = [];

beforeAll(async () => {
  ensureBuilt();
  server = await startServer();
  browser = await launchChromium();
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A watched page; afterEach asserts it saw no console error, page error or CSP violation. */
async function open(options: Parameters<typeof openPage>[1] = {}): Promise<WatchedPage> {
  const watched = await openPage(browser, { viewport: { width: 1280, height: 900 }, ...options });
  opened.push(watched);
  return watched;
}

/** The model picker: a POST with the form (the typed text comes along), so the URL stays /index. */
async function switchModel(page: Page, name: string): Promise<void> {
  await page.getByLabel('Model', { exact: true }).selectOption(name);
  await Promise.all([
    page.waitForResponse((r) => r.url() === `${server.url}/index` && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Switch' }).click(),
  ]);
  await page.waitForLoadState();
}

afterEach(async () => {
  const problems = opened.flatMap((w) => w.problems);
  await Promise.all(opened.splice(0).map((w) => w.close()));
  expect(problems).toEqual([]);
});

describe('the form and the result page', () => {
  it('submits the form and shows the verdict, a bar per class and the highlighted words', async () => {
    const { page } = await open();
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/index');
    await expect(page.title()).resolves.toBe('Disaster tweets (mini) · Sift');
    await screenshot(page, 'index-desktop');

    await page
      .getByLabel('Tweet')
      .fill('Forest fire near La Ronge Sask. Canada, residents asked to evacuate');
    await page.getByLabel('Keyword').fill('wildfire');
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);

    await expect(page.locator('#verdict-heading').innerText()).resolves.toMatch(
      /^(Real disaster|Not a disaster)$/,
    );
    await expect(page.locator('.verdict-detail').innerText()).resolves.toMatch(/^\d+\.\d% probability$/);
    expect(await page.locator('.probability-bars .bar-row').count()).toBe(2);
    expect(await page.locator('.probability-bars .bar-row.is-chosen').count()).toBe(1);
    expect(await page.locator('.echo mark.hl').count()).toBeGreaterThan(0);
    await expect(page.locator('.echo mark.hl').first().getAttribute('title')).resolves.toMatch(
      /^Pushes (toward|against) /,
    );
    await expect(page.locator('.coverage').innerText()).resolves.toMatch(
      /The model knows \d+ of the \d+ terms/,
    );
    expect(await page.locator('.terms li').count()).toBeGreaterThan(0);
    // The bars are drawn: the chosen bar is visibly wider than nothing.
    const fill = await page.locator('.probability-bars .is-chosen .bar-fill').boundingBox();
    expect(fill?.width ?? 0).toBeGreaterThan(20);
    await screenshot(page, 'result-desktop');

    // The list shows words of the input, each marked on its own side in the text.
    const listed = await page.locator('.terms-columns > div').first().locator('.term').allInnerTexts();
    const towardMarks = await page.locator('.echo mark.hl.toward').allInnerTexts();
    for (const word of listed) expect(towardMarks).toContain(word);

    // Back to the form with the inputs kept, by a POST: the text never shows in the URL.
    await Promise.all([
      page.waitForURL(`${server.url}/index`),
      page.getByRole('button', { name: /Back to the form/ }).click(),
    ]);
    expect(page.url()).toBe(`${server.url}/index`);
    await expect(page.getByLabel('Tweet').inputValue()).resolves.toBe(
      'Forest fire near La Ronge Sask. Canada, residents asked to evacuate',
    );
    await expect(page.getByLabel('Keyword').inputValue()).resolves.toBe('wildfire');

    // Switching the model keeps the typed text too.
    await switchModel(page, 'sentiment-mini');
    await expect(page.locator('#model-select').inputValue()).resolves.toBe('sentiment-mini');
    await expect(page.getByLabel('Tweet').inputValue()).resolves.toBe(
      'Forest fire near La Ronge Sask. Canada, residents asked to evacuate',
    );
  });

  it('refuses whitespace-only text in the browser, and shows server refusals on the form', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index`);
    await page.getByLabel('Tweet').fill('   ');
    await page.getByRole('button', { name: 'Classify', exact: true }).click();
    expect(new URL(page.url()).pathname).toBe('/index');
    await expect(
      page.getByLabel('Tweet').evaluate((el) => (el as HTMLTextAreaElement).validity.customError),
    ).resolves.toBe(true);

    // Without the browser's check (an old browser), the server answers with the form itself.
    await page.locator('#predict-form').evaluate((form) => form.setAttribute('novalidate', ''));
    await page.getByLabel('Keyword').fill('flood');
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);
    await expect(page.locator('#form-errors').innerText()).resolves.toContain('Tweet is empty');
    await expect(page.getByLabel('Keyword').inputValue()).resolves.toBe('flood');
    await screenshot(page, 'form-errors');
  });

  it('warns of a low signal for text the model does not know', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index?model=sentiment-mini`);
    await page.getByLabel('Tweet').fill('Xyzzy plugh quux frobnicate');
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);
    await expect(page.locator('.callout.warning').innerText()).resolves.toContain('Low signal');
    await screenshot(page, 'result-low-signal');
  });

  it('multi-label: one bar per label with the threshold line, the labels that apply as the verdict', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index?model=toxic-mini`);
    await page.getByLabel('Comment').fill('shut up you idiot, nobody likes you');
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);
    expect(await page.locator('.probability-bars .bar-row').count()).toBe(3);
    expect(await page.locator('.probability-bars line.bar-threshold').count()).toBe(3);
    await expect(page.locator('.hint', { hasText: 'decision threshold (0.5)' }).count()).resolves.toBe(1);
    await screenshot(page, 'result-multilabel');
  });

  it('escapes hostile input on the result page: nothing runs, the text is shown as typed', async () => {
    const { page } = await open();
    let dialogs = 0;
    page.on('dialog', async (dialog) => {
      dialogs += 1;
      await dialog.dismiss();
    });
    const hostile = `fire <img src=x onerror="alert(1)"><script>alert(2)</script>`;
    await page.goto(`${server.url}/index`);
    await page.getByLabel('Tweet').fill(hostile);
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);
    await expect(page.locator('.echo').first().innerText()).resolves.toBe(hostile);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(dialogs).toBe(0);
  });
});

describe('model picker, examples and metric switch', () => {
  it('switches model with the picker', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index`);
    await switchModel(page, 'sentiment-mini');
    await expect(page.locator('h1').innerText()).resolves.toBe('Airline sentiment (mini)');
    expect(await page.locator('#predict-form textarea').count()).toBe(1);
    expect(await page.locator('#predict-form input[type=text]').count()).toBe(0);
    expect(await page.locator('svg.confusion-matrix g.cell').count()).toBe(9);
    await screenshot(page, 'index-sentiment');
  });

  it('fills the form from an example at once with JavaScript', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index`);
    await expect(page.getByRole('button', { name: 'Use example' }).isVisible()).resolves.toBe(false);
    const option = page.locator('#example-select option[value="0"]');
    const inputs = JSON.parse((await option.getAttribute('data-inputs')) ?? '{}') as Record<string, string>;
    await page.locator('#example-select').selectOption('0');
    await expect(page.getByLabel('Tweet').inputValue()).resolves.toBe(inputs.text);
    await expect(page.getByLabel('Keyword').inputValue()).resolves.toBe(inputs.keyword ?? '');
    expect(new URL(page.url()).search).toBe('');
  });

  it('works without JavaScript: example by reload, metric switch by CSS, form submit', async () => {
    const { page } = await open({ javaScriptEnabled: false });
    await page.goto(`${server.url}/index`);
    const option = page.locator('#example-select option[value="1"]');
    const inputs = JSON.parse((await option.getAttribute('data-inputs')) ?? '{}') as Record<string, string>;
    await page.locator('#example-select').selectOption('1');
    await Promise.all([
      page.waitForURL(/example=1/),
      page.getByRole('button', { name: 'Use example' }).click(),
    ]);
    await expect(page.getByLabel('Tweet').inputValue()).resolves.toBe(inputs.text);

    // Only the checked metric's panel shows; clicking another swaps them (CSS :has, no script).
    await expect(page.locator('.metric-panel[data-metric="f1"]').isVisible()).resolves.toBe(true);
    await expect(page.locator('.metric-panel[data-metric="accuracy"]').isVisible()).resolves.toBe(false);
    await page.locator('.segment', { hasText: 'Accuracy' }).click();
    await expect(page.locator('.metric-panel[data-metric="accuracy"]').isVisible()).resolves.toBe(true);
    await expect(page.locator('.metric-panel[data-metric="f1"]').isVisible()).resolves.toBe(false);

    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);
    expect(await page.locator('.probability-bars .bar-row').count()).toBe(2);
  });

  it('?metric=accuracy opens with the accuracy bars', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index?metric=accuracy`);
    await expect(page.locator('.metric-panel[data-metric="accuracy"]').isVisible()).resolves.toBe(true);
    await expect(page.locator('.metric-panel[data-metric="f1"]').isVisible()).resolves.toBe(false);
  });
});

describe('CSV upload', () => {
  it('uploads a CSV and downloads it back with labels and probabilities', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index`);
    const csv = [
      'id,text,keyword',
      '1,"Forest fire near La Ronge, evacuation ordered",wildfire',
      '2,I love summer fruits and sunny days,',
      '3,"=cmd|\' /C calc\'!A0 flood warning",flood',
    ].join('\r\n');
    await page
      .locator('#csv-file')
      .setInputFiles({ name: 'tweets.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Classify and download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('predictions-tweets-mini.csv');
    const file = await download.path();
    const rows = parse(readFileSync(file ?? ''), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0])).toEqual(
      expect.arrayContaining([
        'id',
        'text',
        'keyword',
        'predicted_label',
        'predicted_label_name',
        'probability_0',
        'probability_1',
      ]),
    );
    for (const row of rows) {
      expect(['Not a disaster', 'Real disaster']).toContain(row.predicted_label_name);
      expect(Number(row.probability_0) + Number(row.probability_1)).toBeCloseTo(1, 5);
    }
    expect(rows.map((r) => r.id)).toEqual(['1', '2', '3']);
    // A formula-looking cell comes back neutralised for spreadsheets.
    expect(rows[2].text.startsWith('=')).toBe(false);
  });

  it('without JavaScript, a CSV without the text column answers with an error page listing the columns found', async () => {
    // With JavaScript the upload page shows the refusal itself (test/e2e/upload.e2e.ts).
    const { page } = await open({ javaScriptEnabled: false });
    await page.goto(`${server.url}/index`);
    await page
      .locator('#csv-file')
      .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('id,tweet\n1,hello\n') });
    const [response] = await Promise.all([
      page.waitForResponse(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify and download' }).click(),
    ]);
    expect(response.status()).toBe(400);
    await page.waitForLoadState();
    const text = await page.locator('main').innerText();
    expect(text).toContain('tweet');
    await expect(page.getByRole('link', { name: 'Back to the form' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'error-csv');
  });
});

describe('keyboard and accessibility', () => {
  it('can be used with the keyboard alone, with a visible focus ring', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/index`);
    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
    for (let i = 0; i < 40 && (await focusedId()) !== 'field-text'; i += 1) await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('field-text');
    await page.keyboard.type('Huge earthquake, buildings collapsed, rescue teams on site');
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    expect(outline).not.toBe('none');

    const onSubmit = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLButtonElement | null;
        return el?.type === 'submit' && el.form?.id === 'predict-form';
      });
    for (let i = 0; i < 10 && !(await onSubmit()); i += 1) await page.keyboard.press('Tab');
    expect(await onSubmit()).toBe(true);
    await Promise.all([page.waitForURL(`${server.url}/predict`), page.keyboard.press('Enter')]);
    expect(await page.locator('#verdict-heading').count()).toBe(1);

    // Ctrl+Enter in the text area submits too (progressive enhancement).
    await page.goto(`${server.url}/index`);
    await page.getByLabel('Tweet').fill('Flood warning for the river valley tonight');
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByLabel('Tweet').press('Control+Enter'),
    ]);
    expect(await page.locator('#verdict-heading').count()).toBe(1);

    // The skip link is the first stop and moves focus to the content.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
  });

  it('labels every form control and has one main landmark and one h1 per page', async () => {
    const { page } = await open();
    for (const path of ['/index', '/index?model=sentiment-mini', '/index?model=toxic-mini']) {
      await page.goto(`${server.url}${path}`);
      const unlabelled = await page.evaluate(() =>
        Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
          .filter((el) => (el as HTMLInputElement).labels?.length === 0)
          .map((el) => el.outerHTML),
      );
      expect(unlabelled).toEqual([]);
      expect(await page.locator('main').count()).toBe(1);
      expect(await page.locator('h1').count()).toBe(1);
    }
  });
});

describe('phone', () => {
  const phone = {
    viewport: { width: 375, height: 740 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  };

  it('renders every page without sideways scrolling', async () => {
    const { page } = await open(phone);
    await page.goto(`${server.url}/index`);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'index-phone');

    await page.locator('#example-select').selectOption('0');
    await Promise.all([
      page.waitForURL(`${server.url}/predict`),
      page.getByRole('button', { name: 'Classify', exact: true }).click(),
    ]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'result-phone');

    await page.goto(`${server.url}/index?model=toxic-mini`);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'index-toxic-phone');

    const missing = await page.goto(`${server.url}/index?model=nope`);
    expect(missing?.status()).toBe(404);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'error-phone');
  });
});
