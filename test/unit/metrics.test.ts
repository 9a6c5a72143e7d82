import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REQUEST_BUCKETS, TargetMetrics } from '../../reporters/metrics.ts';
import { parseExposition } from '../../src/core/exposition.ts';
import type { AttemptRecord, CallRecord, JourneyResult } from '../../src/core/records.ts';

const call = (route: string, durationMs: number, source: CallRecord['source'] = 'api', extra: Partial<CallRecord> = {}): CallRecord => ({
  at: '', step: 'search', method: 'GET', route, status: 200, durationMs, budgetMs: 150, overBudget: durationMs > 150,
  schema: null, schemaHash: null, schemaOutcome: 'pass', syntheticId: 's', traceId: 't', source, ...extra,
});
const attempt = (n: number, status: AttemptRecord['status'], calls: CallRecord[]): AttemptRecord => ({
  attempt: n, status, startedAt: '', durationMs: 10, runId: 'r', traceId: 't', steps: [], calls,
});
const result = (build: string, outcome: JourneyResult['outcome'], attempts: AttemptRecord[]): JourneyResult => ({
  journey: 'b2c-api', kind: 'api', outcome, startedAt: '', durationMs: 1200, attempts,
  labels: { target: 'canary', canary: 'true', region: 'eu', device: 'api', cohort: 'student', build_id: build, git_sha: 'abc' },
});

async function samples(m: TargetMetrics) {
  return parseExposition(await m.registry.metrics()).samples;
}

test('runbook thresholds are bucket edges', () => {
  for (const edge of [0.12, 0.13, 0.15, 0.16, 0.35]) assert.ok(REQUEST_BUCKETS.includes(edge), String(edge));
  assert.deepEqual([...REQUEST_BUCKETS].sort((a, b) => a - b), REQUEST_BUCKETS, 'edges ascend');
});

test('first attempts, retries and browser timings land in separate histograms', async () => {
  const m = new TargetMetrics('canary', 'eu');
  m.record([
    result('b1', 'flaky', [
      attempt(1, 'failed', [call('/api/scholarships', 400), call('/search', 90, 'browser')]),
      attempt(2, 'passed', [call('/api/scholarships', 20)]),
    ]),
  ], () => 0);
  const s = await samples(m);
  const count = (name: string) => s.filter((x) => x.name === `${name}_count`).reduce((a, x) => a + x.value, 0);
  assert.equal(count('synthetic_request_duration_seconds'), 1);
  assert.equal(count('synthetic_retry_request_duration_seconds'), 1);
  assert.equal(count('synthetic_browser_request_duration_seconds'), 1);
  const over150 = s.find((x) => x.name === 'synthetic_request_duration_seconds_bucket' && x.labels.le === '0.15');
  assert.equal(over150?.value, 0, 'the 400 ms first attempt is above the 150 ms edge');
  assert.equal(s.find((x) => x.name === 'synthetic_budget_breaches_total')?.value, 1);
  const runs = s.find((x) => x.name === 'synthetic_journey_runs_total');
  assert.equal(runs?.labels.outcome, 'flaky');
  assert.equal(s.find((x) => x.name === 'synthetic_journey_attempts')?.value, 2);
  assert.equal(s.find((x) => x.name === 'synthetic_journey_success')?.value, 1);
});

test('gauges describe the last cycle only; counters keep the builds they saw', async () => {
  const m = new TargetMetrics('canary', 'eu');
  m.record([result('b1', 'passed', [attempt(1, 'passed', [call('/api/me', 10)])])], () => 0);
  m.record([result('b2', 'failed', [attempt(1, 'failed', [call('/api/me', 10)])])], () => 1);
  const s = await samples(m);
  const success = s.filter((x) => x.name === 'synthetic_journey_success');
  assert.deepEqual(success.map((x) => [x.labels.build_id, x.value]), [['b2', 0]]);
  const consecutive = s.filter((x) => x.name === 'synthetic_consecutive_failures');
  assert.deepEqual(consecutive.map((x) => x.value), [1]);
  const runs = s.filter((x) => x.name === 'synthetic_journey_runs_total').map((x) => x.labels.build_id).sort();
  assert.deepEqual(runs, ['b1', 'b2']);
  assert.ok(s.every((x) => !x.labels.path || x.labels.path.startsWith('/')));
});
