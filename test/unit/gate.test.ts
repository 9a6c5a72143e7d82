// Gate math on fixed result sets, written to a real results store and read back through the one
// reader: thresholds at, under and over; "for 5 consecutive minutes"; windows, samples, staleness.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { decide } from '../../gate/decide.ts';
import { evaluate, lookbackMs } from '../../gate/evaluate.ts';
import { FileLedger, type Ledger } from '../../gate/ledger.ts';
import type { PhaseStartPolicy } from '../../gate/phase-start.ts';
import type { Check, Profile, Runbook } from '../../gate/runbook-types.ts';
import { readWindow } from '../../gate/samples.ts';
import { LocalSource } from '../../gate/source.ts';
import { resultsFileFor, type CallLine, type JourneyLine } from '../../reporters/results-store/index.ts';
import { tempDir } from '../support/cli.ts';

const MIN = 60_000;
const NOW = Date.parse('2026-11-24T12:00:00.000Z');
const WINDOW = 30 * MIN;

const check = (c: Partial<Check> & Pick<Check, 'name' | 'kind' | 'metric' | 'op' | 'threshold'>): Check =>
  ({ against: 'absolute', summary: c.name, ...c });

const CHECKS: Check[] = [
  check({ name: 'p95-soak', kind: 'gate', metric: 'latency_p95', scope: { routes: 'critical' }, op: '<=', threshold: 130 }),
  check({ name: '5xx', kind: 'gate', metric: 'error_5xx_ratio', op: '<=', threshold: 0.5 }),
  check({ name: 'client-errors', kind: 'gate', metric: 'client_error_ratio', against: 'control_pp', op: '<=', threshold: 0.2 }),
  check({ name: 'p95-high', kind: 'trigger', metric: 'latency_p95', scope: { routes: 'critical' }, op: '>', threshold: 160, for: { minutes: 5 } }),
  check({ name: 'failed-checks', kind: 'trigger', metric: 'consecutive_failed_checks', op: '>=', threshold: 3, for: { checks: 3 } }),
];

function runbook(checks = CHECKS): Runbook {
  const profile: Profile = {
    name: 'test', description: 'gate math', minSamples: 20, sloPercent: 99.9, checks,
    phases: [5, 25, 50, 100].map((percent) => ({ percent: percent as 5, observeMs: WINDOW, payments: {} })),
  };
  return {
    source: 'test', roles: {}, rollbackSteps: [], profiles: { test: profile }, timeScale: 1, bucketMs: MIN,
    monitor: { cadenceMs: 20_000, backoff: { retries: 0, minDelayMs: 0, factor: 1, maxDelayMs: 0 }, userAgent: 'x', e2eFlag: 'e2e=1' },
  };
}

let seq = 0;
/** One journey run (b2c-api, one critical call) per target at `at`. */
function cycle(at: number, canary: boolean, opts: { ms?: number; status?: number; outcome?: JourneyLine['outcome']; build?: string } = {}) {
  const labels = { target: canary ? 'canary' : 'control', canary: String(canary), region: 'eu', device: 'api', cohort: 'student', build_id: opts.build ?? (canary ? 'b2' : 'b1'), git_sha: 'g' };
  const iso = new Date(at).toISOString();
  const runId = `r${++seq}`;
  const status = opts.status ?? 200;
  const call: CallLine = {
    type: 'call', journey: 'b2c-api', ...labels, attempt: 1, retry: false, runId,
    at: iso, step: 'search', method: 'GET', route: '/api/scholarships', status, durationMs: opts.ms ?? 50, budgetMs: 150,
    overBudget: (opts.ms ?? 50) > 150, schema: 'scholarship-list', schemaHash: 'h', schemaOutcome: 'pass',
    syntheticId: `syn-${runId}-001`, traceId: `t${runId}`, source: 'api', ...(status >= 500 ? { problem: `GET /api/scholarships: status ${status}` } : {}),
  };
  const outcome = opts.outcome ?? (status >= 500 ? 'failed' : 'passed');
  const journey: JourneyLine = {
    type: 'journey', journey: 'b2c-api', kind: 'api', ...labels, outcome, startedAt: iso, durationMs: 100,
    ...(outcome === 'failed' ? { reason: 'GET /api/scholarships: status 500' } : {}),
    attempts: [{ attempt: 1, status: outcome === 'failed' ? 'failed' : 'passed', startedAt: iso, durationMs: 100, runId, traceId: `t${runId}`, steps: [] }],
  };
  return [journey, call];
}

/** Cycles every 20 s over the window for both sides; `canary(at)` and `control(at)` shape each. */
function history(dir: string, shape: { canary?: (at: number) => Parameters<typeof cycle>[2] | null; control?: (at: number) => Parameters<typeof cycle>[2] | null; from?: number; to?: number } = {}) {
  mkdirSync(dir, { recursive: true });
  for (let at = shape.from ?? NOW - WINDOW - 10 * MIN; at < (shape.to ?? NOW); at += 20_000) {
    for (const [canary, f] of [[true, shape.canary], [false, shape.control]] as const) {
      const opts = f ? f(at) : {};
      if (opts === null) continue;
      appendFileSync(resultsFileFor(dir, new Date(at)), cycle(at + (canary ? 0 : 5), canary, opts).map((l) => JSON.stringify(l)).join('\n') + '\n');
    }
  }
}

async function gate(dir: string, rb = runbook(), now = NOW) {
  const prof = rb.profiles.test!;
  const source = new LocalSource(await readWindow(dir, now - lookbackMs(prof, WINDOW, MIN), now));
  return evaluate({ runbook: rb, profile: 'test', phase: 25, source, now, windowMs: WINDOW, bucketMs: MIN, staleAfterMs: 50_000 });
}

const byName = (r: Awaited<ReturnType<typeof gate>>, name: string) => r.checks.find((c) => c.name === name)!;
const lastMinutes = (n: number) => (at: number) => at >= NOW - n * MIN;

test('canary equal to control, window passed: go', async () => {
  const dir = tempDir('gate-');
  history(dir);
  const r = await gate(dir);
  assert.equal(r.decision, 'go', r.reason);
  assert.ok(r.checks.every((c) => c.ok === true), JSON.stringify(r.checks.map((c) => [c.name, c.ok, c.reason])));
  assert.equal(byName(r, 'p95-soak').observed.canary, 50);
  assert.equal(byName(r, 'p95-soak').samples.canary, 90, 'a call every 20 s for 30 minutes');
});

test('canary slow on every call for five minutes: rollback naming the trigger, with offenders to look up', async () => {
  const dir = tempDir('gate-');
  history(dir, { canary: (at) => (lastMinutes(5)(at) ? { ms: 300 } : {}) });
  const r = await gate(dir);
  assert.equal(r.decision, 'rollback', r.reason);
  const p95 = byName(r, 'p95-high');
  assert.equal(p95.ok, false);
  assert.equal(p95.heldFor, 5);
  assert.equal(p95.observed.canary, 300);
  assert.match(r.reason, /^rollback: p95-high/);
  assert.equal(p95.evidence.offenders.length, 3);
  for (const o of p95.evidence.offenders) assert.match(o.syntheticId, /^syn-r\d+-001$/);
});

test('four slow minutes are not five: no rollback (the soak gate holds the phase instead)', async () => {
  const dir = tempDir('gate-');
  history(dir, { canary: (at) => (lastMinutes(4)(at) ? { ms: 300 } : {}) });
  const r = await gate(dir);
  assert.equal(byName(r, 'p95-high').ok, true);
  assert.equal(byName(r, 'p95-high').heldFor, 4);
  assert.equal(r.decision, 'hold');
  assert.equal(byName(r, 'p95-soak').ok, false);
});

test('a minute with no sample neither makes nor breaks a streak', async () => {
  const dir = tempDir('gate-');
  // Slow for the last six minutes, but minute −3 has no canary sample at all.
  history(dir, { canary: (at) => (at >= NOW - 3 * MIN && at < NOW - 2 * MIN ? null : lastMinutes(6)(at) ? { ms: 300 } : {}) });
  const r = await gate(dir);
  assert.equal(byName(r, 'p95-high').heldFor, 5);
  assert.equal(r.decision, 'rollback');
});

test('thresholds: at the edge holds, just over fires', async () => {
  for (const [ms, soakOk, fired] of [[130, true, false], [131, false, false], [160, false, false], [161, false, true]] as const) {
    const dir = tempDir('gate-');
    history(dir, { canary: () => ({ ms }) });
    const r = await gate(dir);
    assert.equal(byName(r, 'p95-soak').ok, soakOk, `${ms} ms: p95-soak`);
    assert.equal(byName(r, 'p95-high').ok, !fired, `${ms} ms: p95-high`);
    assert.equal(r.decision, fired ? 'rollback' : soakOk ? 'go' : 'hold', `${ms} ms: ${r.reason}`);
  }
});

test('5xx ratio and client errors against control: at, under and over', async () => {
  // 90 canary calls in the window: one 5xx is 1.11%; the gate is ≤ 0.5%.
  const dir = tempDir('gate-');
  let n = 0;
  history(dir, { canary: (at) => (at >= NOW - WINDOW && n++ === 0 ? { status: 503, outcome: 'passed' } : {}) });
  const r = await gate(dir);
  assert.equal(byName(r, '5xx').ok, false);
  assert.ok(Math.abs(byName(r, '5xx').observed.canary! - 100 / 90) < 1e-9);
  assert.equal(byName(r, 'client-errors').ok, false, 'one client-visible error in 90 is +1.11 pp over a clean control');
  assert.equal(r.decision, 'hold');
  assert.match(byName(r, '5xx').evidence.offenders[0]!.what, /status 503/);
  // The same error on control too: +0 pp, the comparison gate holds; the absolute 5xx gate still fails.
  const both = tempDir('gate-');
  let a = 0;
  let b = 0;
  history(both, { canary: (at) => (at >= NOW - WINDOW && a++ === 0 ? { status: 503, outcome: 'passed' } : {}), control: (at) => (at >= NOW - WINDOW && b++ === 0 ? { status: 503, outcome: 'passed' } : {}) });
  const r2 = await gate(both);
  assert.equal(byName(r2, 'client-errors').ok, true);
  assert.equal(byName(r2, 'client-errors').observed.canary! - byName(r2, 'client-errors').observed.control!, 0);
});

test('three consecutive failed runs: rollback; two: not', async () => {
  for (const [failed, fires] of [[2, false], [3, true]] as const) {
    const dir = tempDir('gate-');
    history(dir, { canary: (at) => (at >= NOW - failed * 20_000 ? { outcome: 'failed' } : {}) });
    const r = await gate(dir);
    assert.equal(byName(r, 'failed-checks').ok, !fires, `${failed} failed runs`);
    assert.equal(byName(r, 'failed-checks').heldFor, failed);
    if (fires) assert.equal(r.decision, 'rollback');
  }
});

test('hold, never go: window not elapsed, stale data, a missing target, too few samples', async () => {
  const young = tempDir('gate-');
  history(young, { from: NOW - 10 * MIN });
  const r1 = await gate(young);
  assert.equal(r1.decision, 'hold');
  assert.match(r1.reason, /window has not elapsed \(10 min of canary data\)/);

  const stale = tempDir('gate-');
  history(stale, { canary: (at) => (at >= NOW - 2 * MIN ? null : {}) });
  const r2 = await gate(stale);
  assert.equal(r2.decision, 'hold');
  assert.match(r2.reason, /stale data from canary/);
  assert.deepEqual(r2.freshness.map((f) => [f.target, f.stale]), [['canary', true], ['control', false]]);

  const alone = tempDir('gate-');
  history(alone, { control: () => null });
  assert.match((await gate(alone)).reason, /^hold: no control results/);

  const tiny = tempDir('gate-');
  history(tiny, { from: NOW - WINDOW - 10 * MIN, canary: (at) => (at % (3 * MIN) === 0 ? {} : null) });
  const r4 = await gate(tiny, runbook(), NOW);
  assert.equal(r4.decision, 'hold', r4.reason);
  assert.equal(byName(r4, 'p95-soak').ok, undefined);
  assert.match(byName(r4, 'p95-soak').reason, /too few samples: canary \d+, control 90 \(at least 20 each\)/);

  const empty = tempDir('gate-');
  const r5 = await gate(empty);
  assert.equal(r5.decision, 'hold');
});

test('a new canary build starts its own evidence: the old build\'s slowness does not roll it back', async () => {
  const dir = tempDir('gate-');
  history(dir, { canary: (at) => (at < NOW - 2 * MIN ? { ms: 300, build: 'b2' } : { build: 'b3' }) });
  const r = await gate(dir);
  assert.notEqual(r.decision, 'rollback', r.reason);
  assert.match(r.reason, /window has not elapsed/);
});

test('latency against control needs significance: shared noise is no regression, a real shift is', async () => {
  const ratio = check({ name: 'p95-vs-control', kind: 'trigger', metric: 'latency_p95', against: 'control_ratio', op: '>', threshold: 1.02, for: { minutes: 5 } });
  // Both sides jitter between 40 and 60 ms; the canary's P95 can be a little above control's by chance.
  const noisy = tempDir('gate-');
  let i = 0;
  history(noisy, { canary: () => ({ ms: 40 + ((i++ * 7) % 21) }), control: () => ({ ms: 40 + ((i++ * 11) % 21) }) });
  const r1 = await gate(noisy, runbook([ratio]));
  assert.equal(byName(r1, 'p95-vs-control').ok, true, byName(r1, 'p95-vs-control').reason);
  const shifted = tempDir('gate-');
  let j = 0;
  history(shifted, { canary: () => ({ ms: 140 + ((j++ * 7) % 21) }), control: () => ({ ms: 40 + ((j++ * 11) % 21) }) });
  const r2 = await gate(shifted, runbook([ratio]));
  const v = byName(r2, 'p95-vs-control');
  assert.equal(v.ok, false, v.reason);
  assert.ok(v.statistics && v.statistics.every((s) => s.significant && s.effectMs > 50), JSON.stringify(v.statistics));
  assert.equal(r2.decision, 'rollback');
});

// ---------------------------------------------------------------------------------------------
// Each phase on its own window (gate/phase-start.ts): the window counts from when the phase began.
// ---------------------------------------------------------------------------------------------

async function gateFrom(dir: string, policy: PhaseStartPolicy, now = NOW) {
  return decide({ runbook: runbook(), profile: 'test', phase: 25, source: dir, now, phaseStart: policy });
}

test('a phase first asked about 10 minutes ago holds for its own 30-minute window, though the build has run for 40', async () => {
  const dir = tempDir('gate-');
  history(dir);
  const ledger = new FileLedger(dir);
  const first = await gateFrom(dir, { ledger, record: true }, NOW - 10 * MIN);
  assert.equal(first.window.phaseStart?.how, 'first-asked');
  assert.equal(first.window.phaseStart?.at, new Date(NOW - 10 * MIN).toISOString());
  const r = await gateFrom(dir, { ledger, record: true });
  assert.equal(r.decision, 'hold', r.reason);
  assert.equal(r.window.elapsedMs, 10 * MIN);
  assert.match(r.reason, /since phase 25 began at .*first asked/);
  assert.equal(r.window.phaseStart?.at, first.window.phaseStart?.at, 'the kept start, not this request');
  // Twenty minutes later (the same data, a later clock) the window has passed: go.
  history(dir, { from: NOW, to: NOW + 20 * MIN });
  const later = await gateFrom(dir, { ledger, record: true }, NOW + 20 * MIN);
  assert.equal(later.window.elapsedMs, 30 * MIN);
  assert.equal(later.decision, 'go', later.reason);
});

test('since moves the start: earlier goes now, later holds; it is never written down', async () => {
  const dir = tempDir('gate-');
  history(dir);
  const ledger = new FileLedger(dir);
  await gateFrom(dir, { ledger, record: true }, NOW - 5 * MIN);
  const early = await gateFrom(dir, { ledger, record: true, since: NOW - 35 * MIN });
  assert.equal(early.decision, 'go', early.reason);
  assert.equal(early.window.phaseStart?.how, 'since');
  const late = await gateFrom(dir, { ledger, record: true, since: NOW - 2 * MIN });
  assert.equal(late.decision, 'hold');
  assert.equal(late.window.elapsedMs, 2 * MIN);
  const kept = await gateFrom(dir, { ledger, record: true });
  assert.equal(kept.window.phaseStart?.at, new Date(NOW - 5 * MIN).toISOString(), 'since changed nothing kept');
});

test('a new canary build starts the phase afresh; a start kept for the old build is not reused', async () => {
  const dir = tempDir('gate-');
  history(dir, { canary: (at) => ({ build: at < NOW - 20 * MIN ? 'b2' : 'b3' }) });
  const ledger = new FileLedger(dir);
  await ledger.write({ kind: 'synthetic_gate_phase_started_timestamp_seconds', key: { profile: 'test', phase: '25' } }, { version: 'b2', at: NOW - 60 * MIN });
  const r = await gateFrom(dir, { ledger, record: true });
  assert.equal(r.window.phaseStart?.at, new Date(NOW).toISOString(), 'b3 was never asked about: it begins now');
  assert.equal(r.window.elapsedMs, 0);
  assert.equal(r.decision, 'hold');
});

test('looking never starts a phase; a ledger that cannot be read makes it begin now (longer, never earlier)', async () => {
  const dir = tempDir('gate-');
  history(dir);
  const ledger = new FileLedger(dir);
  const looked = await gateFrom(dir, { ledger, record: false });
  assert.equal(looked.window.phaseStart?.how, 'not-asked');
  assert.equal(looked.decision, 'hold');
  assert.match(looked.reason, /has not begun/);
  assert.equal(await ledger.read({ kind: 'synthetic_gate_phase_started_timestamp_seconds', key: { profile: 'test', phase: '25' } }), undefined);
  const broken: Ledger = { where: 'a broken ledger', read: () => Promise.reject(new Error('EIO')), write: () => Promise.reject(new Error('EIO')) };
  const r = await gateFrom(dir, { ledger: broken, record: true, since: undefined });
  assert.equal(r.window.phaseStart?.how, 'unavailable');
  assert.equal(r.decision, 'hold');
  assert.match(r.reason, /a broken ledger.*EIO.*counts from now/);
  // A corrupt ledger file reads as an error (hold), and the next write replaces it.
  writeFileSync(ledger.where, '{not json');
  assert.equal((await gateFrom(dir, { ledger, record: true })).window.phaseStart?.how, 'unavailable');
});
