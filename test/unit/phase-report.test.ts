// The phase summary from a hand-made GateResult over the real runbook: what the ship-room must
// read in the chat (every check, the decision and why, caps, evidence, the steps on a rollback).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { phaseSummary } from '../../artefacts/phase-report.ts';
import type { CheckVerdict, GateResult } from '../../gate/decision-types.ts';
import { loadRunbook } from '../../gate/runbook.ts';

const RUNBOOK = loadRunbook();
const PHASE = 5;
const CHECKS = RUNBOOK.profiles.default!.checks.filter((c) => !c.phases || c.phases.includes(PHASE));
const WINDOW = { from: '2026-11-24T10:30:00.000Z', to: '2026-11-24T12:00:00.000Z' };
const OFFENDERS = [
  { syntheticId: 'syn-a1b2-003', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', at: '2026-11-24T11:59:01.000Z', what: 'GET /api/scholarships: 231 ms' },
  { syntheticId: 'syn-c3d4-003', traceId: '0af7651916cd43dd8448eb211c80319c', at: '2026-11-24T11:58:01.000Z', what: 'GET /api/scholarships: <b>229</b> ms' },
];

/** Every check of phase 5 met, except what `override` says. */
function result(decision: GateResult['decision'], reason: string, override: Record<string, Partial<CheckVerdict>> = {}): GateResult {
  const checks = CHECKS.map((c): CheckVerdict => ({
    name: c.name, kind: c.kind, metric: c.metric, ok: true,
    observed: { canary: 42, control: 40 }, against: c.against, op: c.op, threshold: c.threshold,
    samples: { canary: 90, control: 90 }, ...(c.kind === 'trigger' ? { heldFor: 0 } : {}),
    reason: `${c.metric} is fine`, evidence: { window: WINDOW, offenders: [] },
    ...override[c.name],
  }));
  return {
    decision, reason, phase: PHASE, profile: 'default',
    window: { ...WINDOW, elapsedMs: 90 * 60_000, requiredMs: 90 * 60_000 },
    freshness: [{ target: 'canary', lastCycle: '2026-11-24T11:59:30.000Z', stale: false }, { target: 'control', lastCycle: '2026-11-24T11:59:31.000Z', stale: false }],
    checks,
  };
}

const ROLLBACK = result('rollback', 'rollback: p95-high (latency_p95 is 231 in the newest minute; held 5 consecutive minute(s), 5 needed)', {
  'p95-high': { ok: false, heldFor: 5, observed: { canary: 231, control: 48 }, reason: 'latency_p95 is 231', evidence: { window: WINDOW, offenders: OFFENDERS } },
  'p95-soak': { ok: false, observed: { canary: 231, control: 48 }, reason: 'latency_p95 is 231 misses <= 130', evidence: { window: WINDOW, offenders: OFFENDERS.slice(0, 1) } },
  'provider-ttfi-vs-baseline': { ok: undefined, observed: { canary: null, control: null }, reason: 'needs a baseline for time_to_first_interaction_p80 (pass --baseline FILE)' },
});

test('rollback: every check, the decision and its reason, caps, evidence, roles and the steps in order', () => {
  const { markdown } = phaseSummary({ result: ROLLBACK, runbook: RUNBOOK, routes: { unavailable: 'the gate read Prometheus' } });
  const lines = markdown.split('\n');
  assert.match(lines[0]!, /^### ROLLBACK · phase 5% · profile default/);
  assert.match(markdown, /ROLLBACK: set the canary weight to 0 now/);
  assert.ok(markdown.includes(`Why: ${ROLLBACK.reason}`));
  for (const c of CHECKS) assert.ok(lines.some((l) => l.startsWith(`| ${c.name} |`)), `${c.name} has a row`);
  assert.ok(lines.some((l) => /^\| p95-high \| FIRED \| 231 ms \| 48 ms \| > 160 ms \| 5 min \(5 needed\) \|/.test(l)), 'the fired trigger, held for the 5 minutes it needs');
  assert.ok(lines.some((l) => /^\| provider-ttfi-vs-baseline \| HOLD \| — \| — \| ≤ 1\.05× baseline \|/.test(l)));
  assert.match(markdown, /caps at 5%: at most 100 real transactions, \$20 each, \$1,500 in total/);
  // One row per offending call, the fired trigger first, naming every check it fails.
  const evidence = lines.filter((l) => OFFENDERS.some((o) => l.includes(`| ${o.at} | ${o.syntheticId} | ${o.traceId} |`)));
  assert.deepEqual(evidence.map((l) => l.split(' | ')[0]), ['| p95-high, p95-soak', '| p95-high']);
  for (const handle of Object.values(RUNBOOK.roles)) assert.ok(markdown.includes(handle), handle);
  const steps = RUNBOOK.rollbackSteps.map((s, i) => lines.indexOf(`${i + 1}. ${s}`));
  assert.ok(steps.every((at, i) => at > 0 && (i === 0 || at > steps[i - 1]!)), 'every rollback step, numbered, in order');
  assert.match(markdown, /Not available: the gate read Prometheus/);
  assert.doesNotMatch(markdown, /chart\.js|Chart\(|<script|<canvas/i, 'no chart library in the chat text');
  assert.ok(lines.every((l) => !l.startsWith('|') || l.endsWith('|')), 'every table row is closed');
});

test('go: the next phase, no rollback steps; the same input gives the same text (no clock, no files)', () => {
  const go = result('go', 'go: all 9 gates met and no rollback trigger held over 90 min');
  const a = phaseSummary({ result: go, runbook: RUNBOOK });
  assert.match(a.markdown, /^### GO · phase 5%/);
  assert.match(a.markdown, /GO: advance the canary from 5% to 25%\./);
  assert.doesNotMatch(a.markdown, /Rollback steps|Page now/);
  assert.ok(!RUNBOOK.rollbackSteps.some((s) => a.markdown.includes(s)));
  assert.deepEqual(phaseSummary({ result: go, runbook: RUNBOOK }), a);
  const full = phaseSummary({ result: { ...go, phase: 100 }, runbook: RUNBOOK });
  assert.match(full.markdown, /the rollout is complete/);
  assert.match(full.markdown, /normal payment volume at 100%/);
});

test('the page: every check and status as words, offenders escaped, one chart per unit, route charts when routes are given', () => {
  const routes = [{ route: 'GET /api/scholarships', budgetMs: 150, canary: { count: 90, p50: 220, p95: 231, p99: 240, max: 240 }, control: { count: 90, p50: 8, p95: 12, p99: 15, max: 15 } }];
  const { html, markdown } = phaseSummary({ result: ROLLBACK, runbook: RUNBOOK, routes });
  for (const c of CHECKS) assert.ok(html.includes(`<td>${c.name}</td>`), c.name);
  for (const word of ['ROLLBACK', 'FIRED', 'HOLD', 'ok']) assert.ok(html.includes(`>${word}</span>`), word);
  assert.ok(html.includes('&lt;b&gt;229&lt;/b&gt;') && !html.includes('<b>229</b>'), 'offender text is escaped');
  for (const id of ['checks-ms', 'checks-percent', 'checks-count', 'routes-p50', 'routes-p95', 'routes-p99']) assert.ok(html.includes(`<canvas id="${id}"`), id);
  assert.match(markdown, /\| GET \/api\/scholarships \| 220 \/ 231 \/ 240 \| 8 \/ 12 \/ 15 \| 90\/90 \| 150 ms \|/);
});
