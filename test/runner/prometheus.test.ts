// The runner → Pushgateway → Prometheus path, end to end with the real binaries: the metric names
// and labels a dashboard or a canary analysis queries exist in Prometheus, and the P95 Prometheus
// computes from the pushed histogram agrees with the one the suite computes from its own store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectJourneys } from '../../journeys/index.ts';
import { REQUEST_BUCKETS } from '../../reporters/metrics.ts';
import { percentile } from '../../src/core/percentiles.ts';
import { baseEnv, readResults, tempDir } from '../support/cli.ts';
import { sandboxEnv } from '../support/sandbox.ts';
import { cycleLines, poll, promQuery, promSeries, runToEnd, useServicesAndSandbox } from './helpers.ts';

const CYCLES = 8;
const RUNNER_ID = `prom-test-${process.pid}`;
const API_JOURNEYS = selectJourneys('api');

const stack = useServicesAndSandbox();

/** The (lo, hi] interval of REQUEST_BUCKETS (seconds) holding `ms`; hi is Infinity past the last edge. */
function bucketOf(ms: number): { lo: number; hi: number } {
  const s = ms / 1000;
  const i = REQUEST_BUCKETS.findIndex((edge) => s <= edge);
  if (i === -1) return { lo: REQUEST_BUCKETS[REQUEST_BUCKETS.length - 1]!, hi: Infinity };
  return { lo: i === 0 ? 0 : REQUEST_BUCKETS[i - 1]!, hi: REQUEST_BUCKETS[i]! };
}

/**
 * histogram_quantile interpolates inside the bucket where the rank falls; nearest-rank P95 is a
 * sample of that same bucket. So the two agree to the bucket: lo ≤ Prometheus ≤ hi. (Past the last
 * finite edge Prometheus answers that edge.)
 */
function assertSameBucket(what: string, storeP95Ms: number, promSeconds: number): void {
  const { lo, hi } = bucketOf(storeP95Ms);
  const eps = 1e-9;
  if (hi === Infinity) assert.ok(Math.abs(promSeconds - lo) < eps, `${what}: store P95 ${storeP95Ms} ms is past the last bucket; Prometheus ${promSeconds} s`);
  else assert.ok(promSeconds >= lo - eps && promSeconds <= hi + eps, `${what}: store P95 ${storeP95Ms} ms lies in (${lo}, ${hi}] s, Prometheus says ${promSeconds} s`);
}

test(`${CYCLES} cycles reach Prometheus with their labels, and Prometheus's P95 agrees with the results store`, { timeout: 150_000 }, async (t) => {
  const results = tempDir('synthetics-prom-results-');
  const env = baseEnv({
    ...sandboxEnv(stack.sb.url),
    PUSHGATEWAY_URL: stack.services.pushgatewayUrl,
    RUNNER_ID,
    REGION: 'test-region',
    RESULTS_DIR: results,
    // The test reads the final push back after the stop: keep the group (the default deletes it).
    STOPPED_GROUP: 'mark',
  });
  // Latency faults spread the samples over several buckets, so "same bucket" is not trivially
  // the first one: every login is ~20 ms slower, half of the searches/details ~60 ms slower.
  await stack.sb.fault({ route: '/api/auth/login', latencyMs: 20 });
  await stack.sb.fault({ route: '/api/scholarships', latencyMs: 60, rate: 0.5 });
  const started = Date.now();
  const run = await runToEnd(['run', '--every', '1s', '--cycles', String(CYCLES), '--project', 'api', '--target', `canary=${stack.sb.url}`], env, 90_000);
  t.diagnostic(`runner: ${CYCLES} cycles in ${Date.now() - started} ms`);
  assert.equal(run.code, 0, run.output);
  const cycles = cycleLines(run.output);
  assert.deepEqual(cycles.map((c) => c.n), Array.from({ length: CYCLES }, (_, i) => i + 1), run.output);
  for (const c of cycles) assert.equal(c.failed, 0, c.line);
  assert.doesNotMatch(run.output, /push failed/);

  // The store's side: first attempts of API calls (what `synthetics report` and the histogram count).
  const calls = readResults(results).filter((l) => l.type === 'call' && l.retry === false && l.source === 'api');
  assert.ok(calls.length >= CYCLES * 20, `only ${calls.length} first-attempt calls in the store`);

  // The runner's final push must have been scraped before anything is compared.
  const sel = `runner="${RUNNER_ID}"`;
  const promCount = async () => Number((await promQuery(stack.services.prometheusUrl, `sum(synthetic_request_duration_seconds_count{${sel}})`))[0]?.value[1] ?? NaN);
  let lastCount = NaN;
  await poll('Prometheus to have scraped the final push', async () => (lastCount = await promCount()) === calls.length, 60_000, 500,
    () => `Prometheus counts ${lastCount} requests, the store ${calls.length}`);
  t.diagnostic(`Prometheus has all ${calls.length} requests ${Date.now() - started} ms after the runner started`);

  // Names and labels.
  const health = (await (await fetch(`${stack.sb.url}/health`)).json()) as { buildId: string; gitSha: string };
  const cohortOf = new Map(API_JOURNEYS.map((j) => [j.id, j.cohort]));
  const journeyLabels = ['target', 'canary', 'region', 'device', 'cohort', 'build_id', 'git_sha', 'journey'];
  const expectedLabels: Record<string, string[]> = {
    // Keyed by what a gate reads: run labels, route, method, status class (issue 10: bounded series).
    synthetic_request_duration_seconds_bucket: ['target', 'canary', 'region', 'device', 'build_id', 'git_sha', 'path', 'method', 'status_class', 'le'],
    synthetic_journey_duration_seconds_bucket: [...journeyLabels, 'le'],
    synthetic_journey_success: journeyLabels,
    synthetic_consecutive_failures: journeyLabels,
    synthetic_journey_attempts: journeyLabels,
    synthetic_last_cycle_timestamp_seconds: ['target', 'canary', 'region'],
  };
  // Raw ids the journeys really requested (details, saved, applications): none may become a label.
  const ids = new Set((await stack.sb.requests()).flatMap((r) => r.path.match(/[a-z]{2,5}_[0-9a-f]{8,}/g) ?? []));
  assert.ok(ids.size > 0, 'the journeys requested no path with an id: the id check below would prove nothing');

  for (const [name, labels] of Object.entries(expectedLabels)) {
    const series = await promSeries(stack.services.prometheusUrl, `${name}{${sel}}`);
    assert.ok(series.length > 0, `${name}: no series in Prometheus`);
    for (const s of series) {
      for (const l of labels) assert.ok(s[l] !== undefined && s[l] !== '', `${name}: label ${l} missing in ${JSON.stringify(s)}`);
      assert.equal(s.canary, 'true', name);
      assert.equal(s.region, 'test-region', name);
      assert.equal(s.target, 'canary', name);
      if (labels.includes('journey')) {
        assert.ok(cohortOf.has(s.journey!), `${name}: journey ${s.journey} is not an API journey`);
        assert.equal(s.cohort, cohortOf.get(s.journey!), `${name}{journey="${s.journey}"}: cohort`);
        assert.equal(s.device, 'api', name);
        assert.equal(s.build_id, health.buildId, name);
        assert.equal(s.git_sha, health.gitSha, name);
      }
      if (labels.includes('path')) {
        assert.match(s.path!, /^\/(?:(?:[a-z0-9._-]+|:[A-Za-z]+)(?:\/(?:[a-z0-9._-]+|:[A-Za-z]+))*)?$/, `${name}: path "${s.path}" is not a route pattern`);
        assert.match(s.method!, /^(GET|POST|PUT|DELETE|PATCH)$/, name);
        assert.match(s.status_class!, /^[1-5]xx$/, name);
      }
      for (const [k, v] of Object.entries(s)) {
        for (const id of ids) assert.ok(!v.includes(id), `${name}: label ${k}="${v}" carries the sandbox id ${id}`);
        assert.doesNotMatch(v, /[a-z]{2,5}_[0-9a-f]{8,}/, `${name}: label ${k}="${v}" looks like an id`);
      }
    }
    if (labels.includes('journey')) {
      assert.deepEqual([...new Set(series.map((s) => s.journey))].sort(), API_JOURNEYS.map((j) => j.id).sort(), `${name}: journeys`);
    }
  }
  const paths = new Set((await promSeries(stack.services.prometheusUrl, `synthetic_request_duration_seconds_count{${sel}}`)).map((s) => s.path));
  assert.ok(paths.has('/api/scholarships/:id'), `no /api/scholarships/:id path among ${[...paths].join(', ')}`);

  // P95 over every route: Prometheus's histogram against nearest-rank over the store.
  const storeP95 = percentile(calls.map((c) => c.durationMs as number), 95);
  const [all] = await promQuery(stack.services.prometheusUrl, `histogram_quantile(0.95, sum by (le) (synthetic_request_duration_seconds_bucket{${sel}}))`);
  assert.ok(all, 'histogram_quantile over all routes returned nothing');
  const promP95 = Number(all.value[1]);
  t.diagnostic(`all routes: store P95 ${storeP95} ms, Prometheus P95 ${(promP95 * 1000).toFixed(1)} ms, bucket ${JSON.stringify(bucketOf(storeP95))}`);
  assertSameBucket('all routes', storeP95, promP95);

  // And per route, against `synthetics report --json` (the suite's own report over the same store).
  const report = await runToEnd(['report', '--results', results, '--json'], baseEnv(), 60_000);
  assert.equal(report.code, 0, report.output);
  const rows = (JSON.parse(report.output.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { latency: Array<{ route: string; count: number; p95: number }> }).latency;
  assert.equal(rows.reduce((n, r) => n + r.count, 0), calls.length, 'report counts');
  const q = await promQuery(stack.services.prometheusUrl, `histogram_quantile(0.95, sum by (le, method, path) (synthetic_request_duration_seconds_bucket{${sel}}))`);
  const counts = await promQuery(stack.services.prometheusUrl, `sum by (method, path) (synthetic_request_duration_seconds_count{${sel}})`);
  const byRoute = new Map(q.map((r) => [`${r.metric.method} ${r.metric.path}`, Number(r.value[1])]));
  const countByRoute = new Map(counts.map((r) => [`${r.metric.method} ${r.metric.path}`, Number(r.value[1])]));
  assert.deepEqual([...byRoute.keys()].sort(), rows.map((r) => r.route).sort(), 'routes in Prometheus and in the report');
  for (const row of rows) {
    assert.equal(countByRoute.get(row.route), row.count, `${row.route}: count`);
    assertSameBucket(row.route, row.p95, byRoute.get(row.route)!);
  }
  const search = rows.find((r) => r.route === 'GET /api/scholarships')!;
  t.diagnostic(`GET /api/scholarships: ${search.count} calls, report P95 ${search.p95} ms, Prometheus ${(byRoute.get(search.route)! * 1000).toFixed(1)} ms`);
});
