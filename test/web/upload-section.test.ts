/**
 * The upload part of GET /index: the limits said before upload, the delimiter and formula-guard
 * options posted as form fields, the progress script as a file (strict CSP, no inline script).
 */
import request from 'supertest';
import { useFixtureApp } from '../helpers/app';
import { attr, elementById, inlineCodeProblems, tagsNamed, textOf } from './html';

const app = useFixtureApp({ maxUploadBytes: 3 * 1024 * 1024, maxCsvRows: 2500 });

async function indexPage(): Promise<string> {
  const res = await request(app().app).get('/index').set('Accept', 'text/html');
  expect(res.status).toBe(200);
  return res.text;
}

it('states the limits before upload, from the configuration', async () => {
  const html = await indexPage();
  expect(textOf(elementById(html, 'csv-limits') ?? '')).toBe(
    'Limits: up to 2,500 data rows (MAX_CSV_ROWS) and 3 MB (MAX_UPLOAD_BYTES) per file.',
  );
  const form = tagsNamed(html, 'form').find((tag) => attr(tag, 'class') === 'csv-form') ?? '';
  expect(attr(form, 'data-max-bytes')).toBe(String(3 * 1024 * 1024));
  expect(attr(form, 'enctype')).toBe('multipart/form-data');
});

it('offers the delimiter and the verbatim option as form fields, and loads upload.js as a file', async () => {
  const html = await indexPage();
  const select = tagsNamed(html, 'select').find((tag) => attr(tag, 'id') === 'csv-delimiter') ?? '';
  expect(attr(select, 'name')).toBe('delimiter');
  const values = tagsNamed(html, 'option')
    .map((tag) => attr(tag, 'value'))
    .filter((value) => ['auto', 'comma', 'semicolon', 'tab', 'pipe'].includes(value ?? ''));
  expect(values).toEqual(['auto', 'comma', 'semicolon', 'tab', 'pipe']);
  const checkbox = tagsNamed(html, 'input').find((tag) => attr(tag, 'id') === 'csv-verbatim') ?? '';
  expect([attr(checkbox, 'name'), attr(checkbox, 'value'), attr(checkbox, 'type')]).toEqual([
    'formula_guard',
    'off',
    'checkbox',
  ]);
  expect(tagsNamed(html, 'script').map((tag) => attr(tag, 'src'))).toContain('/static/js/upload.js');
  expect(inlineCodeProblems(html)).toEqual([]);
  const script = await request(app().app).get('/static/js/upload.js');
  expect(script.status).toBe(200);
  expect(script.headers['content-type']).toMatch(/javascript/);
});
