/** Prediction records for the store and log tests. */
import { randomUUID } from 'node:crypto';
import type { PredictionRecord } from '../../src/monitor/types';

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
export const HOUR = 3_600_000;

export function record(overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    id: randomUUID(),
    time: T0,
    model: 'tweets-mini',
    version: 'abc123',
    requestId: 'req-1',
    route: '/predict',
    labels: ['disaster'],
    probabilities: { disaster: 0.8, other: 0.2 },
    coverageTotal: 4,
    coverageKnown: 3,
    latencyMs: 1.5,
    inputs: { text: 'forest fire near la ronge' },
    terms: ['fire', 'forest'],
    ...overrides,
  };
}
