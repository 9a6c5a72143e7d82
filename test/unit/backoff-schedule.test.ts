import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, totalBackoff } from '../../src/core/backoff.ts';
import { missedTicks, nextTick } from '../../src/runner/scheduler.ts';
import { ConsecutiveFailures } from '../../reporters/consecutive.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { JourneyResult } from '../../src/core/records.ts';

test('backoff doubles from the first delay and stops at the cap', () => {
  const retry = { retries: 5, minDelayMs: 1000, factor: 2, maxDelayMs: 5000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(retry, n)), [1000, 2000, 4000, 5000, 5000]);
  assert.equal(totalBackoff(retry), 17000);
});

test('default retries fit well inside one 60 s cycle', () => {
  const config = loadConfig({});
  const worst = totalBackoff(config.retry) + (config.retry.retries + 1) * config.journeyTimeoutMs;
  assert.ok(totalBackoff(config.retry) <= 10_000, `backoff ${totalBackoff(config.retry)} ms`);
  assert.ok(worst < config.runIntervalMs + 30_000, `worst case of one journey ${worst} ms`);
});

test('ticks are aligned to the clock, whatever the start time', () => {
  assert.equal(nextTick(60_000 * 10 + 1, 60_000), 60_000 * 11);
  assert.equal(nextTick(60_000 * 10, 60_000), 60_000 * 11);
  assert.equal(nextTick(59_999, 60_000), 60_000);
});

test('a cycle that runs past the next tick skips it, counted as missed', () => {
  assert.equal(missedTicks(60_000, 60_000 + 59_000, 60_000), 0);
  assert.equal(missedTicks(60_000, 60_000 * 2 + 1, 60_000), 1);
  assert.equal(missedTicks(60_000, 60_000 * 4 + 5, 60_000), 3);
});

const result = (journey: string, outcome: JourneyResult['outcome'], device = 'api'): JourneyResult => ({
  journey, kind: 'api', outcome, startedAt: '', durationMs: 1, attempts: [],
  labels: { target: 't', canary: 'false', region: 'r', device, cohort: 'student', build_id: 'b', git_sha: 'g' },
});

test('consecutive failures count per journey and device; a pass or a flaky pass resets', () => {
  const c = new ConsecutiveFailures();
  c.update([result('a', 'failed'), result('b', 'failed'), result('b', 'passed', 'desktop')]);
  c.update([result('a', 'failed'), result('b', 'flaky')]);
  c.update([result('a', 'failed')]);
  assert.equal(c.of(result('a', 'failed')), 3);
  assert.equal(c.of(result('b', 'failed')), 0);
  assert.equal(c.of(result('b', 'failed', 'desktop')), 0);
  const restored = new ConsecutiveFailures(c.toJSON());
  restored.update([result('a', 'failed')]);
  assert.equal(restored.of(result('a', 'failed')), 4);
});
