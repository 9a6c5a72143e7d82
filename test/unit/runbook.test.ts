// The canary runbook as data: the shipped file holds the runbook's numbers, and every mistake in a
// runbook is one exact line naming the field and the fix.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { DEFAULT_RUNBOOK_PATH, RUNBOOK_SCHEMA_PATH, loadRunbook } from '../../gate/runbook.ts';
import { METRICS, type Check } from '../../gate/runbook-types.ts';
import { parseDuration } from '../../src/config/duration.ts';
import { CONFIG_KEYS } from '../../src/config/keys.ts';
import { UserFacingError } from '../../src/core/errors.ts';
import { CANARY_USER_AGENT, SYNTHETIC_QUERY } from '../../src/core/tagging.ts';
import { tempDir } from '../support/cli.ts';

const write = (text: string) => {
  const path = join(tempDir('runbook-'), 'canary.yaml');
  writeFileSync(path, text);
  return path;
};

/** The lines of the UserFacingError loading `path` throws (fails the test when it loads). */
const problems = (path: string, opts?: { timeScale?: number }): string[] => {
  try {
    loadRunbook(path, opts);
  } catch (e) {
    assert.ok(e instanceof UserFacingError, `not a UserFacingError: ${(e as Error).stack}`);
    return e.message.split('\n');
  }
  assert.fail(`${path} loaded without a problem`);
};

/** A small valid runbook each bad case breaks in one place. */
const base = () => ({
  version: 1,
  monitor: { cadence: '60s', backoff: { retries: 2, minDelay: '1s', factor: 2, maxDelay: '8s' }, userAgent: 'ScholarshipAI-Canary/1.0', e2eFlag: 'e2e=1' },
  roles: { sre: '@sre-oncall', releaseManager: '@release-manager', productOwner: '@product-owner' },
  rollbackSteps: ['Freeze the rollout (@release-manager).', 'Page @sre-oncall.'],
  profiles: {
    default: {
      description: 'test',
      minSamples: 20,
      sloPercent: 99.9,
      phases: [
        { percent: 5, observe: '90m', payments: { maxTransactions: 100, maxAmountUsd: 20, totalUsd: 1500 } },
        { percent: 25, observe: '2h', payments: { maxTransactions: 100, maxAmountUsd: 20, totalUsd: 1500 } },
        { percent: 50, observe: '4h', payments: { normal: true } },
        { percent: 100, observe: '8h', payments: { normal: true } },
      ] as Array<Record<string, unknown>>,
      checks: [
        { name: 'availability', kind: 'gate', metric: 'journey_success_ratio', against: 'absolute', op: '>=', threshold: 99.9, summary: 'At least 99.9% pass.', section: 'Go gates' },
        { name: 'p95-high', kind: 'trigger', metric: 'latency_p95', scope: { routes: 'critical' }, against: 'absolute', op: '>', threshold: 160, for: { minutes: 5 }, summary: 'P95 above 160 ms for 5 minutes.', section: 'Rollback triggers' },
      ] as Array<Record<string, unknown>>,
    },
  },
});
const fileOf = (runbook: ReturnType<typeof base>) => write(stringify(runbook));

test('the shipped runbook loads, and its monitor settings are the runner\'s defaults', () => {
  const rb = loadRunbook();
  assert.equal(rb.source, DEFAULT_RUNBOOK_PATH);
  assert.deepEqual(Object.keys(rb.profiles), ['default', 'strict']);
  assert.deepEqual(rb.monitor, { cadenceMs: 60_000, backoff: { retries: 2, minDelayMs: 1000, factor: 2, maxDelayMs: 8000 }, userAgent: 'ScholarshipAI-Canary/1.0', e2eFlag: 'e2e=1' });
  const dflt = (key: string) => CONFIG_KEYS.find((k) => k.key === key)!.default!;
  assert.equal(rb.monitor.cadenceMs, parseDuration(dflt('RUN_INTERVAL')));
  assert.deepEqual(rb.monitor.backoff, { retries: Number(dflt('RETRIES')), minDelayMs: Number(dflt('RETRY_MIN_DELAY_MS')), factor: Number(dflt('RETRY_FACTOR')), maxDelayMs: Number(dflt('RETRY_MAX_DELAY_MS')) });
  assert.equal(rb.monitor.userAgent, CANARY_USER_AGENT);
  assert.equal(rb.monitor.e2eFlag, `${SYNTHETIC_QUERY.name}=${SYNTHETIC_QUERY.value}`);
  assert.deepEqual(rb.roles, { sre: '@sre-oncall', releaseManager: '@release-manager', payments: '@payments-oncall', productOwner: '@product-owner' });
  assert.equal(rb.rollbackSteps.length, 6);
  assert.match(rb.rollbackSteps[0]!, /^Freeze the rollout/);
  assert.match(rb.rollbackSteps[1]!, /canary weight to 0 via the rollout tool/);
  assert.equal(rb.timeScale, 1);
  assert.equal(rb.bucketMs, 60_000);
});

const CAPPED = { maxTransactions: 100, maxAmountUsd: 20, totalUsd: 1500 };
const PHASES = [
  { percent: 5, observeMs: 90 * 60_000, payments: CAPPED },
  { percent: 25, observeMs: 2 * 3_600_000, payments: CAPPED },
  { percent: 50, observeMs: 4 * 3_600_000, payments: { normal: true } },
  { percent: 100, observeMs: 8 * 3_600_000, payments: { normal: true } },
];

/** A check without its words: what the gate computes. */
const numbers = (c: Check) => {
  const { summary: _s, section: _x, ...rest } = c;
  return rest;
};
const critical = { routes: 'critical' as const };
const five = { minutes: 5 };
const GO_GATES: Array<Omit<Check, 'summary' | 'section'>> = [
  { name: 'availability', kind: 'gate', metric: 'journey_success_ratio', against: 'absolute', op: '>=', threshold: 99.9 },
  { name: 'p95-soak', kind: 'gate', metric: 'latency_p95', scope: critical, against: 'absolute', op: '<=', threshold: 130 },
  { name: 'p95-before-full', kind: 'gate', metric: 'latency_p95', scope: critical, against: 'absolute', op: '<=', threshold: 120, phases: [50] },
  { name: 'error-5xx', kind: 'gate', metric: 'error_5xx_ratio', against: 'absolute', op: '<=', threshold: 0.5 },
  { name: 'client-errors-vs-control', kind: 'gate', metric: 'client_error_ratio', against: 'control_pp', op: '<=', threshold: 0.2 },
  { name: 'payment-success', kind: 'gate', metric: 'payment_success_ratio', against: 'absolute', op: '>=', threshold: 98.5 },
  { name: 'charge-errors', kind: 'gate', metric: 'payment_failure_ratio', against: 'absolute', op: '<=', threshold: 1 },
  { name: 'signup-first-session-vs-control', kind: 'gate', metric: 'journey_success_ratio', scope: { journeys: ['auth', 'b2c-api', 'b2c-browser'] }, against: 'control_pp', op: '>=', threshold: -1 },
  { name: 'provider-dashboard-errors', kind: 'gate', metric: 'client_error_ratio', scope: { routes: ['GET /api/provider/dashboard'] }, against: 'absolute', op: '<=', threshold: 1 },
  { name: 'provider-ttfi-vs-baseline', kind: 'gate', metric: 'time_to_first_interaction_p80', against: 'baseline_ratio', op: '<=', threshold: 1.05 },
];

test('the default profile holds the runbook\'s numbers: phases, payment caps, go gates, rollback triggers', () => {
  const p = loadRunbook().profiles.default!;
  assert.equal(p.name, 'default');
  assert.equal(p.minSamples, 20);
  assert.equal(p.sloPercent, 99.9);
  assert.deepEqual(p.phases, PHASES);
  assert.deepEqual(p.checks.filter((c) => c.kind === 'gate').map(numbers), GO_GATES);
  assert.deepEqual(p.checks.filter((c) => c.kind === 'trigger').map(numbers), [
    { name: 'p95-high', kind: 'trigger', metric: 'latency_p95', scope: critical, against: 'absolute', op: '>', threshold: 160, for: five },
    { name: 'p99-high', kind: 'trigger', metric: 'latency_p99', scope: critical, against: 'absolute', op: '>', threshold: 350, for: five },
    { name: 'error-5xx-high', kind: 'trigger', metric: 'error_5xx_ratio', against: 'absolute', op: '>', threshold: 1, for: five },
    { name: 'synthetic-failures', kind: 'trigger', metric: 'consecutive_failed_checks', against: 'absolute', op: '>=', threshold: 3 },
    { name: 'payment-failures', kind: 'trigger', metric: 'payment_failure_ratio', against: 'absolute', op: '>=', threshold: 2, for: five },
    { name: 'payment-consecutive-failures', kind: 'trigger', metric: 'consecutive_payment_failures', against: 'absolute', op: '>', threshold: 5 },
    { name: 'latency-3-sigma', kind: 'trigger', metric: 'latency_p95', scope: critical, against: 'control_sigma', op: '>', threshold: 3, for: five },
  ]);
  assert.deepEqual([...new Set(p.checks.map((c) => c.section))], ['Go gates', 'Rollback triggers']);
});

test('the strict profile: same phases and go gates, tighter triggers over a 15-minute window', () => {
  const rb = loadRunbook();
  const p = rb.profiles.strict!;
  assert.equal(p.name, 'strict');
  assert.deepEqual(p.phases, PHASES);
  assert.deepEqual([p.minSamples, p.sloPercent], [20, 99.9]);
  assert.deepEqual(p.checks.filter((c) => c.kind === 'gate'), rb.profiles.default!.checks.filter((c) => c.kind === 'gate'));
  const w = 15 * 60_000;
  assert.deepEqual(p.checks.filter((c) => c.kind === 'trigger').map(numbers), [
    { name: 'strict-5xx', kind: 'trigger', metric: 'error_5xx_ratio', against: 'absolute', op: '>', threshold: 0.3, windowMs: w },
    { name: 'strict-non-user-4xx', kind: 'trigger', metric: 'non_user_4xx_ratio', against: 'absolute', op: '>', threshold: 1, windowMs: w },
    { name: 'strict-p95-critical', kind: 'trigger', metric: 'latency_p95', scope: critical, against: 'absolute', op: '>', threshold: 150, windowMs: w },
    { name: 'strict-p95-vs-baseline', kind: 'trigger', metric: 'latency_p95', scope: critical, against: 'baseline_ratio', op: '>', threshold: 1.3, windowMs: w },
    { name: 'strict-schema-failures', kind: 'trigger', metric: 'schema_failure_ratio', scope: critical, against: 'absolute', op: '>', threshold: 0.1, windowMs: w },
    { name: 'strict-auth-errors', kind: 'trigger', metric: 'auth_error_ratio', against: 'control_pp', op: '>', threshold: 0.5, windowMs: w },
    { name: 'strict-payment-failures', kind: 'trigger', metric: 'payment_failure_ratio', against: 'absolute', op: '>', threshold: 0.2, windowMs: w },
    { name: 'strict-time-to-value', kind: 'trigger', metric: 'time_to_value_p80', against: 'baseline_ratio', op: '>', threshold: 1.2, windowMs: w },
    { name: 'strict-error-budget', kind: 'trigger', metric: 'error_budget_spent', against: 'absolute', op: '>', threshold: 10 },
  ]);
});

test('every shipped check says what it means with its threshold, and names its section', () => {
  for (const p of Object.values(loadRunbook().profiles)) {
    for (const c of p.checks) {
      const t = c.against === 'baseline_ratio' ? `${Math.round((c.threshold - 1) * 100)}%` : String(Math.abs(c.threshold));
      assert.ok(c.summary.includes(t), `${p.name}.${c.name}: summary "${c.summary}" does not say ${t}`);
      assert.ok(c.section && c.section.length > 0, `${p.name}.${c.name}: no section`);
    }
  }
});

test('the schema lists exactly the catalogue of metrics and compiles in ajv strict mode', () => {
  const schema = JSON.parse(readFileSync(RUNBOOK_SCHEMA_PATH, 'utf8'));
  assert.deepEqual(schema.definitions.check.properties.metric.enum, [...METRICS]);
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.ok(loadRunbook(fileOf(base())));
});

test('--time-scale compresses windows, observation and the one-minute bucket, never the monitor', () => {
  const rb = loadRunbook(DEFAULT_RUNBOOK_PATH, { timeScale: 0.005 });
  assert.equal(rb.timeScale, 0.005);
  assert.equal(rb.profiles.default!.phases[0]!.observeMs, 27_000); // 90 min → 27 s
  assert.deepEqual(rb.profiles.default!.phases.map((p) => p.observeMs), [27_000, 36_000, 72_000, 144_000]);
  assert.equal(rb.bucketMs, 300);
  const p95 = rb.profiles.default!.checks.find((c) => c.name === 'p95-high')!;
  assert.deepEqual(p95.for, { minutes: 5 });
  assert.equal((p95.for as { minutes: number }).minutes * rb.bucketMs, 1_500); // 5 one-minute buckets → 1.5 s
  assert.equal(rb.profiles.strict!.checks.find((c) => c.name === 'strict-5xx')!.windowMs, 4_500); // 15 min → 4.5 s
  assert.equal(rb.monitor.cadenceMs, 60_000);
  for (const bad of [0, -1, 2, Number.NaN]) {
    assert.deepEqual(problems(DEFAULT_RUNBOOK_PATH, { timeScale: bad }), [
      `--time-scale ${bad}: must be a number above 0 and at most 1 (e.g. 0.005 runs a 90-minute phase in 27 s)`,
    ]);
  }
});

test('a missing runbook file is one line with the way out', () => {
  assert.deepEqual(problems('/nonexistent/canary.yaml'), [
    'runbook /nonexistent/canary.yaml: not found (pass --runbook FILE, or restore runbook/canary.yaml)',
  ]);
});

test('an empty runbook file says so', () => {
  const path = write('# nothing yet\n');
  assert.deepEqual(problems(path), [`runbook ${path}: is empty (fix: restore runbook/canary.yaml, or pass --runbook FILE)`]);
});

test('a YAML syntax error is one line with its line and column', () => {
  const path = write('version: 1\nmonitor:\n  cadence: 60s\n  backoff: {retries: 2, minDelay: 1s\n  userAgent: x\n');
  assert.deepEqual(problems(path), [`runbook ${path}: line 5, column 3: Flow map in block collection must be sufficiently indented and end with a }`]);
  const dup = write('version: 1\nversion: 2\n');
  assert.deepEqual(problems(dup), [`runbook ${dup}: line 2, column 1: Map keys must be unique`]);
  const alias = write('version: 1\nroles: *nope\n');
  assert.deepEqual(problems(alias), [`runbook ${alias}: line 2, column 8: alias *nope has no anchor &nope before it (fix: define the anchor first, or check its spelling)`]);
});

test('a threshold that is not a number', () => {
  const rb = base();
  rb.profiles.default.checks[1]!.threshold = 'high';
  const path = fileOf(rb);
  assert.deepEqual(problems(path), [`runbook ${path}: profiles.default.checks[1].threshold: must be number, got string (fix: give a number)`]);
});

test('a metric outside the catalogue', () => {
  const rb = base();
  rb.profiles.default.checks[0]!.metric = 'latency_p90';
  const path = fileOf(rb);
  assert.deepEqual(problems(path), [`runbook ${path}: profiles.default.checks[0].metric: must be one of ${METRICS.join(', ')} (fix: pick one of the listed)`]);
});

test('a missing, repeated or misplaced phase', () => {
  const rb = base();
  rb.profiles.default.phases.splice(2, 1); // no 50
  const path = fileOf(rb);
  assert.deepEqual(problems(path), [`runbook ${path}: profiles.default.phases: 50 is missing (fix: list the phases 5, 25, 50, 100 in this order, each once)`]);

  const twice = base();
  twice.profiles.default.phases[2]!.percent = 25;
  twice.profiles.default.checks[0]!.phases = [50];
  const p2 = fileOf(twice);
  assert.deepEqual(problems(p2), [
    `runbook ${p2}: profiles.default.phases: 25 appears 2 times (fix: list the phases 5, 25, 50, 100 in this order, each once)`,
    `runbook ${p2}: profiles.default.phases: 50 is missing (fix: list the phases 5, 25, 50, 100 in this order, each once)`,
    `runbook ${p2}: profiles.default.checks[0].phases[0]: 50 is not a phase of this profile (fix: use one of 5, 25, 100)`,
  ]);

  const swapped = base();
  swapped.profiles.default.phases.reverse();
  const p3 = fileOf(swapped);
  assert.deepEqual(problems(p3), [`runbook ${p3}: profiles.default.phases: must be in the order 5, 25, 50, 100 (found 100, 50, 25, 5) (fix: list the phases 5, 25, 50, 100 in this order, each once)`]);
});

test('an unknown field', () => {
  const rb = base();
  rb.profiles.default.checks[1]!.colour = 'red';
  const path = fileOf(rb);
  assert.deepEqual(problems(path), [`runbook ${path}: profiles.default.checks[1]: must NOT have additional properties (colour) (fix: remove it or check its spelling)`]);
});

test('a role that is a person\'s name', () => {
  const rb = base();
  rb.roles.productOwner = 'Jane Doe';
  const path = fileOf(rb);
  assert.deepEqual(problems(path), [`runbook ${path}: roles.productOwner: must match pattern "^@[a-z0-9-]+$" (fix: use a role handle like @sre-oncall, never a person's name)`]);
  const step = base();
  step.rollbackSteps.push('Call @jane.');
  const p2 = fileOf(step);
  assert.deepEqual(problems(p2), [`runbook ${p2}: rollbackSteps[2]: @jane is not one of the roles (@sre-oncall, @release-manager, @product-owner) (fix: page a role handle from roles)`]);
});

test('several problems at once: every one listed, one line each', () => {
  const rb = base() as ReturnType<typeof base> & Record<string, unknown>;
  rb.monitor.cadence = 'every minute';
  rb.profiles.default.checks[0]!.threshold = 'high';
  delete rb.profiles.default.checks[0]!.summary;
  rb.profiles.default.checks[1]!.op = '=>';
  rb.profiles.default.checks[1]!.name = 'availability';
  rb.profiles.default.checks[1]!.for = {};
  rb.profiles.default.checks[0]!.for = { minutes: 5 };
  rb.profiles.default.phases[1]!.observe = '2 hours';
  rb.profiles.default.phases[0]!.payments = { maxTransactions: 100 };
  rb.owner = 'Jane Doe';
  const path = fileOf(rb);
  const at = `runbook ${path}:`;
  assert.deepEqual(problems(path), [
    `${at} (root): must NOT have additional properties (owner) (fix: remove it or check its spelling)`,
    `${at} monitor.cadence: must match pattern "^\\d+(\\.\\d+)?(ms|s|m|h)$" (fix: write a duration like 90m, 5m, 60s)`,
    `${at} profiles.default.phases[1].observe: must match pattern "^\\d+(\\.\\d+)?(ms|s|m|h)$" (fix: write a duration like 90m, 5m, 60s)`,
    `${at} profiles.default.checks[0].summary: is missing (fix: add it)`,
    `${at} profiles.default.checks[0].threshold: must be number, got string (fix: give a number)`,
    `${at} profiles.default.checks[1].op: must be one of <, <=, >, >= (fix: pick one of the listed)`,
    `${at} profiles.default.checks[1].for: must NOT have fewer than 1 properties (fix: give either minutes: N or checks: N)`,
    `${at} profiles.default.phases[0].payments.maxAmountUsd: is missing (fix: add it, or say normal: true)`,
    `${at} profiles.default.phases[0].payments.totalUsd: is missing (fix: add it, or say normal: true)`,
    `${at} profiles.default.checks[0].for: only a trigger waits for consecutive minutes or checks (fix: remove it, or make the check kind: trigger)`,
    `${at} profiles.default.checks[1].name: "availability" is also the name of checks[0] (fix: give each check of a profile its own name)`,
  ]);
});

test('what the schema cannot say: routes, control_pp on a latency, zero durations', () => {
  const rb = base();
  rb.profiles.default.checks[1]!.scope = { routes: 'all' };
  rb.profiles.default.checks[1]!.against = 'control_pp';
  rb.profiles.default.phases[0]!.observe = '0m';
  const path = fileOf(rb);
  assert.deepEqual(problems(path), [
    `runbook ${path}: profiles.default.checks[1].scope.routes: must be equal to constant (fix: write critical, or a list of "METHOD /route")`,
    `runbook ${path}: profiles.default.phases[0].observe: must be longer than 0 (fix: write a duration like 90m, 5m, 60s)`,
    `runbook ${path}: profiles.default.checks[1].against: control_pp compares ratio metrics (…_ratio), not latency_p95 (fix: use control_ratio or control_sigma)`,
  ]);
});
