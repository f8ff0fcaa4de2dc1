import request from 'supertest';
import type { SiftRegistry } from '../../src/model/registry';
import { createApp } from '../../src/app';
import { defaultConfig } from '../../src/config';
import { buildTestApp, captureLogger, loadFixtureRegistry } from '../helpers/app';

let registry: SiftRegistry;
beforeAll(async () => {
  registry = await loadFixtureRegistry();
});
afterAll(async () => {
  await registry.close();
});

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelPart = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (wanted.every((w) => labelPart.split(',').includes(w)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts requests and latency by route pattern and status, and predictions by model and class', async () => {
    const { app } = buildTestApp(registry);
    const predicted = await request(app)
      .post('/predict')
      .send({ instances: ['Forest fire near La Ronge', 'lovely day'] });
    expect(predicted.status).toBe(200);
    await request(app).post('/models/sentiment-mini/predict').send({ text: 'worst flight ever' });
    await request(app).get('/models/nope');
    await request(app).get('/no/such/path/12345');

    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    const text = res.text;
    expect(
      sample(text, 'sift_http_requests_total', { method: 'POST', route: '/predict', status: '200' }),
    ).toBe(1);
    expect(sample(text, 'sift_http_requests_total', { route: '/models/:name/predict', status: '200' })).toBe(
      1,
    );
    expect(sample(text, 'sift_http_requests_total', { route: '/models/:name', status: '404' })).toBe(1);
    expect(sample(text, 'sift_http_requests_total', { route: '(unmatched)', status: '404' })).toBe(1);
    expect(text).not.toContain('12345');
    expect(
      sample(text, 'sift_http_request_duration_seconds_count', { route: '/predict', status: '200' }),
    ).toBe(1);

    const labels = (predicted.body as { predictions: { label_name: string }[] }).predictions.map(
      (p) => p.label_name,
    );
    for (const name of new Set(labels)) {
      expect(sample(text, 'sift_predictions_total', { model: 'tweets-mini', class: name })).toBe(
        labels.filter((l) => l === name).length,
      );
    }
    expect(text).toMatch(/sift_predictions_total\{model="sentiment-mini",class="[A-Za-z]+"\} 1/);
    expect(
      sample(text, 'sift_model_info', {
        model: 'toxic-mini',
        task: 'multilabel',
        output: 'probabilities',
        ready: 'true',
      }),
    ).toBe(1);
  });

  it('keeps a registry per app, so two apps do not share counts', async () => {
    const a = buildTestApp(registry);
    const b = buildTestApp(registry);
    await request(a.app).get('/health');
    const fromB = await request(b.app).get('/metrics');
    expect(sample(fromB.text, 'sift_http_requests_total', { route: '/health' })).toBeUndefined();
  });

  it('includes process metrics when the app builds its own registry', async () => {
    const app = createApp({ config: defaultConfig(), registry, logger: captureLogger().logger });
    const res = await request(app).get('/metrics');
    expect(res.text).toContain('process_resident_memory_bytes');
    expect(res.text).toContain('nodejs_eventloop_lag_seconds');
  });
});
