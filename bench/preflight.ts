/**
 * Before timing anything, make sure every server answers the bench's requests with real
 * predictions (a benchmark of 400s or 503s would be worthless), and measure how often Sift and the
 * seeds' model agree on the label.
 */
import { benchHeaders } from './loadgen';
import type { RunningServer } from './processes';

interface Prediction {
  label?: unknown;
  label_name?: unknown;
}

async function postJson(server: RunningServer, path: string, body: string): Promise<unknown> {
  const response = await fetch(server.url(path), {
    method: 'POST',
    headers: benchHeaders(),
    body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`${server.spec.name} answered ${response.status} to POST ${path}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text) as unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Single, batch (and explain when asked) requests answer 200 with a label per row. */
export async function checkAnswers(
  server: RunningServer,
  single: string,
  batch: { body: string; rows: number },
  explain: boolean,
): Promise<void> {
  const one = await postJson(server, '/predict', single);
  if (!isObject(one) || !('label' in one)) {
    throw new Error(
      `${server.spec.name}: a single-text answer has no label: ${JSON.stringify(one).slice(0, 300)}`,
    );
  }
  const many = await postJson(server, '/predict', batch.body);
  if (!isObject(many) || !Array.isArray(many.predictions) || many.predictions.length !== batch.rows) {
    throw new Error(
      `${server.spec.name}: a batch of ${batch.rows} did not come back with ${batch.rows} predictions`,
    );
  }
  if (explain) {
    const explained = await postJson(server, '/predict?explain=true', single);
    if (!isObject(explained) || JSON.stringify(explained).length <= JSON.stringify(one).length) {
      throw new Error(`${server.spec.name}: ?explain=true added nothing to the answer`);
    }
  }
}

async function labels(server: RunningServer, rows: readonly object[]): Promise<Prediction[]> {
  const answer = await postJson(server, '/predict', JSON.stringify({ instances: rows }));
  if (!isObject(answer) || !Array.isArray(answer.predictions))
    throw new Error(`${server.spec.name}: no predictions`);
  return answer.predictions as Prediction[];
}

/** Share of rows where both servers give the same label (by value or by class name). */
export async function labelAgreement(
  sift: RunningServer,
  seeds: RunningServer,
  rows: readonly object[],
): Promise<number> {
  const [a, b] = await Promise.all([labels(sift, rows), labels(seeds, rows)]);
  let same = 0;
  for (let i = 0; i < rows.length; i += 1) {
    const siftLabel = String(a[i]?.label);
    if (siftLabel === String(b[i]?.label) || siftLabel === String(b[i]?.label_name)) same += 1;
  }
  return rows.length > 0 ? same / rows.length : 0;
}
