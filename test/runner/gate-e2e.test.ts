// The gate end to end: two real sandboxes as control and canary, a real runner probing both every
// second, and `synthetics gate` reading the results store. No fault: go once the (scaled) window
// has passed; latency injected into the canary: rollback naming the trigger, with ids to look up.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GateResult } from '../../gate/decision-types.ts';
import { baseEnv, runCli, tempDir } from '../support/cli.ts';
import { RUNBOOK } from '../support/api-runbook.ts';
import { sandbox, sandboxEnv } from '../support/sandbox.ts';
import { cleanupProcesses, poll, startRunner } from './helpers.ts';


async function gate(results: string, runbook: string, at?: string): Promise<{ code: number | null; result: GateResult }> {
  const run = await runCli(['gate', '--phase', '5', '--runbook', runbook, '--results', results, '--time-scale', '0.05', '--json', ...(at ? ['--at', at] : [])], baseEnv(), { timeoutMs: 30_000 });
  assert.equal(run.stderr, '', run.stderr);
  return { code: run.code, result: JSON.parse(run.stdout) as GateResult };
}

test('gate over a real runner: go with good data, rollback with the trigger and its evidence after latency is injected', { timeout: 150_000 }, async (t) => {
  const control = await sandbox({ buildId: 'b-control' });
  const canary = await sandbox({ buildId: 'b-canary' });
  t.after(async () => {
    await cleanupProcesses();
    await control.close();
    await canary.close();
  });
  const dir = tempDir('gate-e2e-');
  const results = join(dir, 'results');
  const runbook = join(dir, 'canary.yaml');
  writeFileSync(runbook, RUNBOOK);
  const r = startRunner(['run', '--every', '1s', '--project', 'api', '--target', `control=${control.url}`, '--target', `canary=${canary.url}`],
    baseEnv({ ...sandboxEnv(canary.url), RESULTS_DIR: results, RUNNER_ID: `gate-e2e-${process.pid}` }));
  await r.waitForCycles(2, 30_000);
  // The endpoint rollout tooling reads, over the same store, guarded by a bearer token.
  const server = startRunner(['gate', '--serve', '--port', '0', '--runbook', runbook, '--results', results, '--time-scale', '0.05'], baseEnv({ GATE_TOKEN: TOKEN }));
  const url = await poll('the gate endpoint', async () => /gate listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1], 15_000);

  // Too early: the 30 s window has not passed.
  const early = await gate(results, runbook);
  assert.equal(early.result.decision, 'hold', early.result.reason);
  assert.equal(early.code, 2);

  const go = await poll('go once the window has passed', async () => {
    const g = await gate(results, runbook);
    return g.result.decision === 'go' ? g : undefined;
  }, 60_000, 1000, () => 'the gate never said go');
  assert.equal(go.code, 0);
  assert.ok(go.result.checks.every((c) => c.ok === true), JSON.stringify(go.result.checks.map((c) => [c.name, c.reason])));
  await endpoint(url, 'go');

  // Search and details slow down (critical routes): cycles stay about a (scaled) minute long, as
  // at the real cadence, where the cycle deadline keeps every minute holding a cycle.
  await canary.fault({ route: '/api/scholarships', latencyMs: 220 });
  const faultAt = Date.now();
  let at = '';
  const rollback = await poll('rollback after the fault', async () => {
    at = new Date().toISOString();
    const g = await gate(results, runbook, at);
    return g.result.decision === 'rollback' ? g : undefined;
  }, 60_000, 500, () => 'the gate never said rollback');
  t.diagnostic(`fault to rollback: ${Date.now() - faultAt} ms (trigger: 5 buckets of 3 s)`);
  assert.equal(rollback.code, 1);
  assert.match(rollback.result.reason, /^rollback: p95-high/);
  const trigger = rollback.result.checks.find((c) => c.name === 'p95-high')!;
  assert.equal(trigger.ok, false);
  assert.ok(trigger.observed.canary! > 160, `observed ${trigger.observed.canary}`);
  assert.ok(trigger.heldFor! >= 5);
  assert.equal(trigger.evidence.offenders.length, 3);
  // The offending ids are real: the canary's own request log has every one of them.
  const seen = new Set((await canary.requests()).map((q) => q.syntheticId));
  for (const o of trigger.evidence.offenders) {
    assert.ok(seen.has(o.syntheticId), `${o.syntheticId} is in the canary's request log`);
    assert.match(o.traceId, /^[0-9a-f]{32}$/);
  }
  assert.ok(Date.now() - faultAt < 60_000);

  // The human table says the same of the same moment, and names the ids.
  const table = await runCli(['gate', '--phase', '5', '--runbook', runbook, '--results', results, '--time-scale', '0.05', '--at', at], baseEnv(), { timeoutMs: 30_000 });
  assert.equal(table.code, 1);
  assert.match(table.stdout, /^ROLLBACK {2}phase 5%/);
  assert.match(table.stdout, /p95-high\s+trigger\s+FIRED/);
  assert.ok(trigger.evidence.offenders.every((o) => table.stdout.includes(o.syntheticId)));
  await endpoint(url, 'rollback');

  // The fault cleared, the newest minute breaks the streak: no more rollback.
  await canary.clearFaults();
  await poll('no rollback once the fault is cleared', async () => (await gate(results, runbook)).result.decision !== 'rollback' || undefined, 30_000, 1000);
  // The runner stops: its last lines linger, and the gate must not go on them.
  assert.equal(await r.stop(), 0);
  const stale = await poll('hold on stale data', async () => {
    const g = await gate(results, runbook);
    return g.result.decision === 'hold' && /stale data/.test(g.result.reason) ? g : undefined;
  }, 30_000, 1000);
  assert.ok(stale.result.freshness.every((f) => f.stale));
  await endpoint(url, 'hold');
  assert.equal(await server.stop(), 0);
});

const TOKEN = 'gate-token-for-tests-only';

/** The endpoint's answers for the decision the gate holds now: what Argo Rollouts and Flagger read. */
async function endpoint(url: string, expected: 'go' | 'hold' | 'rollback'): Promise<void> {
  const auth = { authorization: `Bearer ${TOKEN}` };
  assert.equal((await fetch(`${url}/health`)).status, 200, '/health needs no token');
  assert.equal((await fetch(`${url}/api/v1/decision?phase=5`)).status, 401, 'everything else does');
  const decision = await fetch(`${url}/api/v1/decision?phase=5`, { headers: auth });
  assert.equal(decision.status, 200, 'Argo reads a non-2xx as a measurement error: always 200');
  const body = (await decision.json()) as GateResult & { pass: boolean; rollback: boolean };
  assert.equal(body.decision, expected, body.reason);
  assert.equal(body.pass, expected === 'go');
  assert.equal(body.rollback, expected === 'rollback');
  const gateStatus = (await fetch(`${url}/flagger/gate?phase=5`, { method: 'POST', headers: auth })).status;
  assert.equal(gateStatus, expected === 'go' ? 200 : 412, `flagger gate on ${expected}`);
  const rollbackStatus = (await fetch(`${url}/flagger/rollback?phase=5`, { method: 'POST', headers: auth })).status;
  assert.equal(rollbackStatus, expected === 'rollback' ? 200 : 404, `flagger rollback on ${expected}`);
}
