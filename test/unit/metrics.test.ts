import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REQUEST_BUCKETS, TargetMetrics, USER_TIMING_BUCKETS } from '../../reporters/metrics.ts';
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

test('user timings: first attempts of passed and flaky browser runs, labelled by journey and timing, bounded', async () => {
  const browser = (journey: string, outcome: JourneyResult['outcome'], attempts: AttemptRecord[], build = 'b1', device = 'desktop'): JourneyResult => ({
    ...result(build, outcome, attempts), journey, kind: 'browser',
    labels: { ...result(build, outcome, attempts).labels, device, cohort: journey === 'provider-browser' ? 'provider' : 'student' },
  });
  const timed = (n: number, status: AttemptRecord['status'], timings: AttemptRecord['timings']): AttemptRecord => ({ ...attempt(n, status, []), timings });
  const m = new TargetMetrics('canary', 'eu');
  m.record([
    browser('b2c-browser', 'passed', [timed(1, 'passed', { timeToValueMs: 700 })]),
    browser('provider-browser', 'passed', [timed(1, 'passed', { timeToFirstInteractionMs: 300 })]),
    // flaky: the first (slow, failed) try counts, the retry does not
    browser('b2c-browser', 'flaky', [timed(1, 'failed', { timeToValueMs: 2600 }), timed(2, 'passed', { timeToValueMs: 200 })], 'b1', 'mobile'),
    // failed and aborted runs, and an aborted first attempt, are nobody's time to value
    browser('b2c-browser', 'failed', [timed(1, 'failed', { timeToValueMs: 9000 })]),
    browser('provider-browser', 'aborted', [timed(1, 'aborted', { timeToFirstInteractionMs: 9000 })]),
    browser('provider-browser', 'flaky', [timed(1, 'aborted', { timeToFirstInteractionMs: 9000 }), timed(2, 'passed', { timeToFirstInteractionMs: 100 })], 'b1', 'mobile'),
    // an API journey has none
    result('b1', 'passed', [attempt(1, 'passed', [call('/api/me', 10)])]),
  ], () => 0);
  const s = (await samples(m)).filter((x) => x.name.startsWith('synthetic_user_timing_seconds'));
  const count = s.filter((x) => x.name === 'synthetic_user_timing_seconds_count');
  assert.deepEqual(count.map((x) => [x.labels.journey, x.labels.timing, x.labels.device, x.value]).sort(), [
    ['b2c-browser', 'time_to_value', 'desktop', 1],
    ['b2c-browser', 'time_to_value', 'mobile', 1],
    ['provider-browser', 'time_to_first_interaction', 'desktop', 1],
  ]);
  const sum = (labels: Record<string, string>) => s.find((x) => x.name === 'synthetic_user_timing_seconds_sum' && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
  assert.equal(sum({ timing: 'time_to_value', device: 'desktop' }), 0.7);
  assert.equal(sum({ timing: 'time_to_value', device: 'mobile' }), 2.6);
  assert.equal(sum({ timing: 'time_to_first_interaction', device: 'desktop' }), 0.3);
  const bucket = (le: string) => s.find((x) => x.name === 'synthetic_user_timing_seconds_bucket' && x.labels.timing === 'time_to_value' && x.labels.device === 'desktop' && x.labels.le === le)?.value;
  assert.equal(bucket('0.5'), 0);
  assert.equal(bucket('1'), 1);
  // Run labels plus journey and timing: no cohort, no step, nothing unbounded.
  const keys = new Set(s.flatMap((x) => Object.keys(x.labels)));
  assert.deepEqual([...keys].sort(), ['build_id', 'canary', 'device', 'git_sha', 'journey', 'le', 'region', 'target', 'timing']);
  // Bounded: one series per timing × device × (buckets, +Inf, sum, count).
  assert.equal(s.length, 3 * (USER_TIMING_BUCKETS.length + 3));
  assert.deepEqual([...USER_TIMING_BUCKETS].sort((a, b) => a - b), USER_TIMING_BUCKETS, 'edges ascend');

  // A new build: the old build's timings leave the registry.
  m.forgetBuild();
  m.record([browser('b2c-browser', 'passed', [timed(1, 'passed', { timeToValueMs: 400 })], 'b2')], () => 0);
  const after = (await samples(m)).filter((x) => x.name === 'synthetic_user_timing_seconds_count');
  assert.deepEqual(after.map((x) => [x.labels.build_id, x.value]), [['b2', 1]]);
});
