import { HttpError, badRequest, serviceUnavailable } from '../../src/errors';
import { buildErrorView, renderView } from '../../src/web/render';
import { inlineCodeProblems, textOf } from './html';

describe('buildErrorView', () => {
  it('shows a 4xx HttpError message and its client-safe details', () => {
    const view = buildErrorView(
      400,
      badRequest('the CSV has no "text" column', { columns: ['id', 'tweet'], path: ['text'] }),
      'req-1',
    );
    expect(view).toEqual({
      status: 400,
      title: 'That request could not be read',
      message: 'the CSV has no "text" column',
      details: ['columns: id, tweet', 'path: text'],
      requestId: 'req-1',
    });
  });

  it('reads validation issue lists', () => {
    const view = buildErrorView(
      400,
      badRequest('bad rows', [
        { path: ['instances', 2, 'text'], message: 'must be a string' },
        'plain line',
        { deep: { x: 1 } },
      ]),
    );
    expect(view.details).toEqual(['instances.2.text: must be a string', 'plain line']);
  });

  it('never shows the message of an unexpected error', () => {
    const view = buildErrorView(500, new Error('ECONNREFUSED /var/secret/path at foo.js:12'));
    expect(view.message).toBe('The server hit an unexpected problem. It has been logged; please try again.');
    expect(view.details).toEqual([]);
    const hidden = buildErrorView(
      500,
      new HttpError(500, 'internal', 'stack-ish detail', { details: ['x'] }),
    );
    expect(hidden.message).not.toContain('stack-ish');
    expect(hidden.details).toEqual([]);
  });

  it('shows a 503 made to be shown', () => {
    const view = buildErrorView(503, serviceUnavailable('model "x" is not ready'));
    expect(view.title).toBe('Temporarily unavailable');
    expect(view.message).toBe('model "x" is not ready');
  });

  it('uses the expose flag of library errors (body-parser, multer)', () => {
    const exposed = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    expect(buildErrorView(413, exposed).message).toBe('request entity too large');
    const internal = Object.assign(new Error('internal parser state'), { status: 400 });
    expect(buildErrorView(400, internal).message).toBe(
      'The request was not in a form the server understands.',
    );
  });

  it('keeps the status in the error range and truncates very long messages', () => {
    expect(buildErrorView(200, new Error('x')).status).toBe(500);
    expect(buildErrorView(418, badRequest('teapot')).title).toBe('That did not work');
    expect(Array.from(buildErrorView(400, badRequest('y'.repeat(5000))).message)).toHaveLength(1000);
  });
});

describe('error page template', () => {
  it('renders status, title, message, details and reference, all escaped', () => {
    const html = renderView('error', {
      page: { title: 'Oops <b>' },
      view: buildErrorView(400, badRequest('<img src=x onerror=alert(1)>', ['<script>']), '"id"'),
    });
    expect(inlineCodeProblems(html)).toEqual([]);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
    const text = textOf(html);
    expect(text).toContain('Error 400');
    expect(text).toContain('<img src=x onerror=alert(1)>');
    expect(text).toContain('Reference: "id"');
    expect(html).toContain('href="/index"');
  });
});
