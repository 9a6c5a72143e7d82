// The baseline from hand-made store lines: which samples count, the metrics the gate compares
// with (its own measure, its own scope), and one flag mistake through the real CLI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeBaseline, histogram, type BaselineInput } from '../../artefacts/baseline.ts';
import { baselineHtml, baselineMarkdown } from '../../artefacts/baseline-report.ts';
import { measure } from '../../gate/measure.ts';
import { loadRunbook } from '../../gate/runbook.ts';
import type { Check, Runbook } from '../../gate/runbook-types.ts';
import type { CallLine, JourneyLine, StoreLine } from '../../reporters/results-store/index.ts';
import { baseEnv, runCli, tempDir } from '../support/cli.ts';

const T0 = Date.parse('2026-11-24T12:00:00.000Z');
const BUDGETS = { criticalMs: 150, defaultMs: 500, pageMs: 2000, overrides: { 'POST /api/auth/login': 900 } };
const LABELS = { target: 'control', canary: 'false', region: 'eu', device: 'api', cohort: 'student', build_id: 'b1', git_sha: 'g1' };

let seq = 0;
function call(route: string, ms: number, opts: Partial<CallLine> = {}): CallLine {
  const [method, path] = route.split(' ') as [string, string];
  return {
    type: 'call', journey: 'b2c-api', ...LABELS, attempt: 1, retry: false, runId: 'r', at: new Date(T0 + ++seq).toISOString(),
    step: 's', method, route: path, status: 200, durationMs: ms, budgetMs: 1, overBudget: false, schema: null, schemaHash: null,
    schemaOutcome: 'none', syntheticId: `syn-r-${seq}`, traceId: 't', source: 'api', ...opts,
  };
}
function run(journey: string, outcome: JourneyLine['outcome'], durationMs: number, opts: { device?: string; timings?: Record<string, number>; build?: string } = {}): JourneyLine {
  const at = new Date(T0 + ++seq).toISOString();
  const attempt = (status: 'passed' | 'failed' | 'aborted', n: number, timings?: Record<string, number>) =>
    ({ attempt: n, status, startedAt: at, durationMs, runId: `r${seq}`, traceId: 't', steps: [], ...(timings ? { timings } : {}) });
  const attempts = outcome === 'flaky' ? [attempt('failed', 1, { timeToValueMs: 99_999 }), attempt('passed', 2, opts.timings)] : [attempt(outcome === 'passed' ? 'passed' : outcome, 1, opts.timings)];
  return { type: 'journey', journey, kind: opts.device ? 'browser' : 'api', ...LABELS, device: opts.device ?? 'api', build_id: opts.build ?? 'b1', outcome, startedAt: at, durationMs, attempts };
}

/** Ten critical search calls (10..100 ms) and noise the latency samples must leave out. */
function lines(): StoreLine[] {
  const searches = Array.from({ length: 10 }, (_, i) => call('GET /api/scholarships', (i + 1) * 10));
  return [
    ...searches,
    call('POST /api/auth/login', 40), call('POST /api/auth/login', 60),
    call('GET /api/scholarships', 5_000, { retry: true, attempt: 2 }), // a retry
    call('GET /api/scholarships', 7_000, { status: 0 }), // no answer
    call('GET /api/scholarships', 9_000, { source: 'browser' }), // a page's own request
    call('GET /health', 8_000, { source: 'probe', journey: 'runner-probe' }), // the runner's probe
    run('b2c-api', 'passed', 100), run('b2c-api', 'flaky', 300), run('b2c-api', 'failed', 50), run('b2c-api', 'aborted', 9_000),
    run('b2c-browser', 'passed', 2000, { device: 'desktop', timings: { timeToValueMs: 400 } }),
    run('b2c-browser', 'passed', 2200, { device: 'desktop', timings: { timeToValueMs: 500 } }),
    run('b2c-browser', 'flaky', 2400, { device: 'desktop', timings: { timeToValueMs: 600 } }),
    run('provider-browser', 'passed', 1000, { device: 'desktop', timings: { timeToFirstInteractionMs: 120 } }),
  ];
}

const input = (over: Partial<BaselineInput> = {}): BaselineInput => ({
  lines: lines(), runbook: loadRunbook(), budgets: BUDGETS, cycles: 4,
  target: { name: 'control', origin: 'https://www.example.test' }, window: { from: T0, to: T0 + 60_000 }, ...over,
});

test('the metrics are the gate\'s own measure, over each baseline_ratio check\'s scope', () => {
  const b = computeBaseline(input());
  assert.deepEqual(Object.keys(b.metrics).sort(), ['latency_p95', 'time_to_first_interaction_p80', 'time_to_value_p80']);
  // Nearest rank over the ten answered first-attempt critical calls (login is not critical).
  assert.equal(b.metrics.latency_p95, 100);
  // P80 of 400, 500, 600 (the flaky run's failed attempt does not count) and of one 120.
  assert.equal(b.metrics.time_to_value_p80, 600);
  assert.equal(b.metrics.time_to_first_interaction_p80, 120);
  const side = { calls: lines().filter((l): l is CallLine => l.type === 'call'), journeys: lines().filter((l): l is JourneyLine => l.type === 'journey'), lastSeen: new Map() };
  assert.equal(b.metrics.latency_p95, measure('latency_p95', { routes: 'critical' }, side, { windowMs: 60_000, sloPercent: 99.9 }).value);
  const p95 = b.comparisons.find((c) => c.check === 'strict-p95-vs-baseline')!;
  assert.deepEqual([p95.baseline, p95.samples, p95.canaryLimit, p95.profiles], [100, 10, 130, ['strict']]);
  assert.deepEqual(b.notes, []);
});

test('endpoints: latency samples only, with their budget and a histogram of every sample', () => {
  const b = computeBaseline(input());
  assert.deepEqual(b.endpoints.map((e) => e.route), ['GET /api/scholarships', 'POST /api/auth/login']);
  const [search, login] = b.endpoints;
  assert.deepEqual([search!.n, search!.p50, search!.p95, search!.p99, search!.mean, search!.critical, search!.budgetMs], [10, 50, 100, 100, 55, true, 150]);
  assert.deepEqual([login!.n, login!.critical, login!.budgetMs], [2, false, 900]);
  assert.equal(search!.histogram.counts.reduce((a, c) => a + c, 0), 10);
  const h = histogram([1.2, 1.3, 7.9, 20]);
  assert.deepEqual(h, { edgesMs: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22], counts: [2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1] });
  assert.deepEqual(histogram([5, 5]), { edgesMs: [5, 5.1], counts: [2] });
});

test('journeys: outcomes counted, aborted runs kept out of the durations', () => {
  const b = computeBaseline(input());
  const api = b.journeys.find((j) => j.journey === 'b2c-api')!;
  assert.deepEqual({ ...api }, { journey: 'b2c-api', device: 'api', n: 3, mean: 150, p50: 100, p95: 300, p99: 300, max: 300, passed: 1, flaky: 1, failed: 1, aborted: 1 });
  assert.deepEqual(b.journeys.map((j) => `${j.journey}/${j.device}`), ['b2c-api/api', 'b2c-browser/desktop', 'provider-browser/desktop']);
  assert.deepEqual(b.userTimings.timeToValueMs, { n: 3, mean: 500, p50: 500, p80: 600, p95: 600, p99: 600, max: 600 });
});

test('one build is measured, a missing metric and a scope clash are said', () => {
  const moved = [...lines(), run('b2c-api', 'passed', 70, { build: 'b2' }), call('GET /api/scholarships', 1, { build_id: 'b2' })];
  const b = computeBaseline(input({ lines: moved }));
  assert.equal(b.build, 'b2');
  assert.equal(b.endpoints[0]!.n, 1);
  assert.match(b.notes.join('\n'), /changed build.*b1.*left out/);
  assert.match(b.notes.join('\n'), /time_to_value_p80 .*no samples/);
  assert.equal(b.metrics.time_to_value_p80, undefined);

  const rb = loadRunbook();
  const extra: Check = { name: 'login-vs-baseline', kind: 'gate', metric: 'latency_p95', scope: { routes: ['POST /api/auth/login'] }, against: 'baseline_ratio', op: '<=', threshold: 2, summary: 'x' };
  const clash: Runbook = { ...rb, profiles: { ...rb.profiles, extra: { ...rb.profiles.default!, name: 'extra', checks: [extra] } } };
  const c = computeBaseline(input({ runbook: clash }));
  assert.equal(c.metrics.latency_p95, 100, 'the first check\'s scope holds');
  assert.match(c.notes.join('\n'), /latency_p95: check login-vs-baseline scopes it as .*POST \/api\/auth\/login/);
});

test('the reports carry the numbers as text and escape what they show', () => {
  const b = computeBaseline(input());
  b.endpoints[0]!.route = 'GET /<script>';
  const md = baselineMarkdown(b);
  assert.match(md, /\| strict-p95-vs-baseline \| strict \| latency_p95 \| critical routes \| 100 \| 10 \| > 130 \(1\.3 × baseline\) \|/);
  const html = baselineHtml(b);
  assert.ok(html.includes('GET /&lt;script&gt;') && !html.includes('GET /<script>'));
  // Percentiles, two histograms, journeys, user timings.
  assert.equal(html.match(/<canvas /g)?.length, 5);
});

test('a flag mistake is one line and exit 2', async () => {
  const r = await runCli(['baseline', '--cycles', '0', '--out', tempDir('baseline-flags-')], baseEnv());
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'synthetics: --cycles "0": must be a whole number from 1 to 1000, like --cycles 20\n');
  assert.equal(r.stdout, '');
});
