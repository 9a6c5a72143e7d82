// Flagger's `phase=current`, `since`, and the gate's own /metrics, against a real gate server on a
// free 127.0.0.1 port: the weight comes from a reader the test sets (the Prometheus read itself is
// exercised by test/runner/controllers.test.ts), what is kept from a real file ledger.
// Run: node --import tsx --test test/unit/gate-flagger-step.test.ts
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Decision, GateResult } from '../../gate/decision-types.ts';
import type { CanaryWeight } from '../../gate/flagger-step.ts';
import { FileLedger } from '../../gate/ledger.ts';
import { sinceOf, startGateServer, type DecideAsk, type GateServer } from '../../gate/server.ts';
import { parseExposition } from '../../src/core/exposition.ts';
import { tempDir } from '../support/cli.ts';

let weight: CanaryWeight | undefined | Error;
let decision: Decision = 'go';
let asked: Array<{ phase: number; ask: DecideAsk }> = [];

function result(phase: number): GateResult {
  return {
    decision, reason: `${decision} by the test`, phase, profile: 'default',
    window: { from: '2026-12-03T10:00:00.000Z', to: '2026-12-03T11:00:00.000Z', elapsedMs: 1, requiredMs: 1 }, freshness: [], checks: [],
  };
}

const payload = (extra: Record<string, unknown> = {}) => JSON.stringify({ name: 'web', namespace: 'shop', phase: 'Progressing', checksum: 'rev-1', metadata: { workload: 'web-app' }, ...extra });

describe('phase=current, since and /metrics', () => {
  let server: GateServer;
  let readers: Array<{ namespace: string; workload: string }> = [];
  before(async () => {
    server = await startGateServer({
      port: 0,
      decide: async (phase, _profile, ask) => {
        asked.push({ phase, ask });
        return result(phase);
      },
      ledger: new FileLedger(tempDir('gate-ledger-')),
      canaryWeight: async (who) => {
        readers.push(who);
        if (weight instanceof Error) throw weight;
        return weight;
      },
    });
  });
  after(() => server.close());
  beforeEach(() => {
    asked = [];
    readers = [];
    decision = 'go';
  });
  const post = (path: string, body = payload()) => fetch(`${server.url}${path}`, { method: 'POST', body });

  test('weight 0: a go without deciding (nothing to watch before the first step); the rollback hook says no', async () => {
    weight = { weight: 0, sampledAt: Date.now() };
    assert.equal((await post('/flagger/gate?phase=current')).status, 200);
    assert.equal((await post('/flagger/rollback?phase=current')).status, 404);
    assert.deepEqual(asked, []);
    assert.deepEqual(readers[0], { namespace: 'shop', workload: 'web-app' }, 'metadata.workload names the series');
    // That go is kept too: a scrape from before it, still saying 0 after Flagger moved to 5, is not trusted.
    weight = { weight: 0, sampledAt: Date.now() - 60_000 };
    assert.equal((await post('/flagger/gate?phase=current', payload({ checksum: 'rev-0' }))).status, 200);
    assert.equal((await post('/flagger/gate?phase=current', payload({ checksum: 'rev-0' }))).status, 412);
  });

  test('the weight is the phase judged; a go is kept, and a weight sample older than it is not trusted', async () => {
    const scraped = Date.now() - 1000;
    weight = { weight: 5, sampledAt: scraped };
    const go = await post('/flagger/gate?phase=current');
    assert.equal(go.status, 200);
    assert.deepEqual(asked.map((a) => a.phase), [5]);
    assert.equal(asked[0]!.ask.record, true, 'a rollout tool asked: the phase may begin');
    // The next interval: Flagger moved to 25 but the scrape still says 5 from before the go.
    const stale = await post('/flagger/gate?phase=current');
    assert.equal(stale.status, 412);
    assert.match(((await stale.json()) as { reason: string }).reason, /newer than the gate's last go/);
    assert.equal(asked.length, 1, 'no second judgement of phase 5');
    // A new sample: 25, judged as phase 25 (hold: 412).
    weight = { weight: 25, sampledAt: Date.now() + 1 };
    decision = 'hold';
    assert.equal((await post('/flagger/gate?phase=current')).status, 412);
    assert.deepEqual(asked.map((a) => a.phase), [5, 25]);
    // A new revision (checksum) starts afresh: the old go does not gate it.
    weight = { weight: 5, sampledAt: scraped };
    decision = 'go';
    assert.equal((await post('/flagger/gate?phase=current', payload({ checksum: 'rev-2' }))).status, 200);
  });

  test('at the last step Flagger asks confirm-traffic-increase then confirm-promotion in one tick: both go; a stale sample of another weight does not', async () => {
    const body = payload({ checksum: 'rev-promo' });
    weight = { weight: 50, sampledAt: Date.now() - 500 };
    assert.equal((await post('/flagger/gate?phase=current', body)).status, 200, 'confirm-traffic-increase at 50');
    assert.equal((await post('/flagger/gate?phase=current&hook=confirm-promotion', body)).status, 200, 'confirm-promotion at 50, same sample: the weight it was given at');
    assert.equal((await post('/flagger/gate?phase=current', body)).status, 412, 'another traffic increase on that old sample is not trusted');
    weight = { weight: 25, sampledAt: Date.now() - 60_000 };
    const stale = await post('/flagger/gate?phase=current&hook=confirm-promotion', body);
    assert.equal(stale.status, 412, 'a sample of 25 from before the go at 50 is stale');
    assert.match(((await stale.json()) as { reason: string }).reason, /the one read says 25/);
    assert.equal((await post('/flagger/gate?phase=current&hook=rollout', body)).status, 400);
  });

  test('what cannot be read is a no, never a yes: no series, an error, a weight that is not a phase, a bad payload', async () => {
    weight = undefined;
    const none = await post('/flagger/gate?phase=current');
    assert.equal(none.status, 412);
    assert.match(((await none.json()) as { reason: string }).reason, /no flagger_canary_weight\{workload="web-app",namespace="shop"\}/);
    assert.equal((await post('/flagger/rollback?phase=current')).status, 404);
    weight = new Error('connect ECONNREFUSED 127.0.0.1:9090');
    assert.equal((await post('/flagger/gate?phase=current')).status, 412);
    assert.equal((await post('/flagger/rollback?phase=current')).status, 404);
    weight = { weight: 30, sampledAt: Date.now() };
    const odd = await post('/flagger/gate?phase=current');
    assert.equal(odd.status, 412);
    assert.match(((await odd.json()) as { reason: string }).reason, /weight is 30, not a runbook phase/);
    assert.equal((await post('/flagger/gate?phase=current', 'not json')).status, 400);
    assert.equal((await post('/flagger/gate?phase=current', JSON.stringify({ name: 'Web!', namespace: 'shop' }))).status, 400);
    assert.equal((await fetch(`${server.url}/api/v1/decision?phase=current`)).status, 400, 'Argo knows its phase: current is Flagger\'s only');
    assert.deepEqual(asked, []);
  });

  test('rollback at the current weight judges that phase\'s triggers', async () => {
    weight = { weight: 50, sampledAt: Date.now() };
    decision = 'rollback';
    assert.equal((await post('/flagger/rollback?phase=current')).status, 200);
    decision = 'hold';
    assert.equal((await post('/flagger/rollback?phase=current')).status, 404);
    assert.deepEqual(asked.map((a) => a.phase), [50, 50]);
  });

  test('since, from the query or Flagger\'s metadata, reaches decide; a wrong one is a 400 naming it', async () => {
    await fetch(`${server.url}/api/v1/decision?phase=25&since=2026-12-03T10:00:00Z`);
    assert.equal(asked.at(-1)!.ask.since, Date.parse('2026-12-03T10:00:00Z'));
    await fetch(`${server.url}/api/v1/decision?phase=25&since=1796292000`);
    assert.equal(asked.at(-1)!.ask.since, 1796292000_000);
    await post('/flagger/gate?phase=25', payload({ metadata: { since: '2026-12-03T09:00:00Z' } }));
    assert.equal(asked.at(-1)!.ask.since, Date.parse('2026-12-03T09:00:00Z'));
    const n = asked.length;
    for (const bad of ['yesterday', '2999-01-01T00:00:00Z', '12']) {
      const res = await fetch(`${server.url}/api/v1/decision?phase=25&since=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 400, bad);
      assert.match(((await res.json()) as { error: string }).error, /^"since" /);
    }
    assert.equal(asked.length, n, 'never decided on a wrong since');
  });

  test('/metrics: the last decision per phase and profile, decide time, errors; no token needed', async () => {
    decision = 'hold';
    await fetch(`${server.url}/api/v1/decision?phase=25`);
    decision = 'rollback';
    await fetch(`${server.url}/api/v1/decision?phase=50`);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    const { samples } = parseExposition(await res.text());
    const value = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(value('synthetic_gate_decision', { phase: '25', profile: 'default', decision: 'hold' }), 1);
    assert.equal(value('synthetic_gate_decision', { phase: '25', profile: 'default', decision: 'go' }), 0);
    assert.equal(value('synthetic_gate_decision', { phase: '50', profile: 'default', decision: 'rollback' }), 1);
    assert.ok(value('synthetic_gate_decide_duration_seconds_count', { route: 'GET /api/v1/decision' })! >= 2);
    assert.ok(value('synthetic_gate_requests_total', { route: 'GET /api/v1/decision', code: '200' })! >= 2);
  });
});

test('sinceOf: ISO 8601 or epoch seconds, not in the future beyond a minute of skew', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  assert.equal(sinceOf('2026-12-03T11:00:00Z', now), Date.parse('2026-12-03T11:00:00Z'));
  assert.equal(sinceOf('1796299200', now), 1796299200_000);
  assert.equal(sinceOf('2026-12-03T12:00:30Z', now), now + 30_000, 'skew within a minute is allowed');
  assert.match(String(sinceOf('2026-12-03T12:02:00Z', now)), /in the future/);
  assert.match(String(sinceOf('2026-13-45T00:00:00Z', now)), /is not a time/);
  assert.match(String(sinceOf('10:00', now)), /is not a time/);
});
