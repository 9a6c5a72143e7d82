import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, summarize } from '../../src/core/percentiles.ts';
import { routeLatencies } from '../../reporters/latency.ts';

test('nearest-rank percentiles are observed values', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 95), 95);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([3, 1, 2], 50), 2, 'unsorted input');
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('one slow call out of twenty moves P99 and P95 but not P50', () => {
  const values = [...Array(19).fill(10), 900];
  const s = summarize(values);
  assert.deepEqual([s.p50, s.p95, s.p99, s.max], [10, 10, 900, 900]);
});

test('latencies are grouped by method and route pattern, with budget breaches counted', () => {
  const call = (method: string, route: string, durationMs: number, overBudget = false) => ({ method, route, durationMs, budgetMs: 150, overBudget });
  const rows = routeLatencies([call('GET', '/api/scholarships', 10), call('GET', '/api/scholarships', 200, true), call('POST', '/api/scholarships', 5)]);
  assert.deepEqual(rows.map((r) => [r.route, r.count, r.p95, r.overBudget]), [
    ['GET /api/scholarships', 2, 200, 1],
    ['POST /api/scholarships', 1, 5, 0],
  ]);
});
