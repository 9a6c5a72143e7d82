// The gate's ledger in a real Pushgateway: what one gate replica keeps, another reads; a new
// version (a new build, a new Flagger revision) replaces the old in the same group, so what is
// kept stays bounded; the runners' own groups are never touched; an unreachable or slow
// Pushgateway is an error the gate turns into "the phase begins now", never a go.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PushgatewayLedger, type Slot } from '../../gate/ledger.ts';
import { phaseStartOf } from '../../gate/phase-start.ts';
import { closedPort } from '../support/cli.ts';
import { cleanupProcesses, gatewaySamples, select, startPushgateway } from './helpers.ts';

let gateway: string;
before(async () => {
  gateway = (await startPushgateway(await closedPort())).url;
  // A runner's group beside the gate's: the gate must leave it alone.
  await fetch(`${gateway}/metrics/job/synthetics/runner/eu-1/target/canary`, { method: 'PUT', body: 'synthetic_runner_up 1\n' });
});
after(() => cleanupProcesses());

const phase25: Slot = { kind: 'synthetic_gate_phase_started_timestamp_seconds', key: { profile: 'default', phase: '25' } };

test('one replica keeps, another reads; a new build replaces the old in the same group', async () => {
  const a = new PushgatewayLedger(gateway);
  const b = new PushgatewayLedger(`${gateway}/`);
  assert.equal(await a.read(phase25), undefined);
  const at = Date.parse('2026-12-03T10:00:00.123Z');
  await a.write(phase25, { version: 'build-7', at });
  assert.deepEqual(await b.read(phase25), { version: 'build-7', at });
  await b.write(phase25, { version: 'build-8', at: at + 60_000 });
  assert.deepEqual(await a.read(phase25), { version: 'build-8', at: at + 60_000 });
  const kept = select(await gatewaySamples(gateway), 'synthetic_gate_phase_started_timestamp_seconds');
  assert.equal(kept.length, 1, 'one sample per slot, whatever the number of builds');
  assert.deepEqual({ ...kept[0]!.labels, instance: undefined }, { job: 'synthetics_gate', profile: 'default', phase: '25', build_id: 'build-8', instance: undefined });
  assert.equal(select(await gatewaySamples(gateway), 'synthetic_runner_up').length, 1, 'the runner\'s group is untouched');
  // Another phase is another group: neither overwrites the other.
  const phase50: Slot = { ...phase25, key: { profile: 'default', phase: '50' } };
  await a.write(phase50, { version: 'build-8', at });
  assert.equal((await a.read(phase25))?.at, at + 60_000);
  assert.equal((await a.read(phase50))?.at, at);
});

test('first asked: the second replica gets the first one\'s moment; a new build begins afresh', async () => {
  const slotKey = { profile: 'strict', phase: '5' };
  const a = { ledger: new PushgatewayLedger(gateway), record: true };
  const b = { ledger: new PushgatewayLedger(gateway), record: true };
  const first = await phaseStartOf(a, { ...slotKey, phase: 5, build: 'b1', now: 1_000_000 });
  const second = await phaseStartOf(b, { ...slotKey, phase: 5, build: 'b1', now: 9_000_000 });
  assert.deepEqual(second, first);
  assert.equal(first.how, 'first-asked');
  const fresh = await phaseStartOf(b, { ...slotKey, phase: 5, build: 'b2', now: 9_000_000 });
  assert.equal(fresh.at, new Date(9_000_000).toISOString());
  // An odd build id is made label-safe, not refused.
  const odd = await phaseStartOf(a, { ...slotKey, phase: 5, build: 'build 9/"x"', now: 5_000_000 });
  assert.equal(odd.how, 'first-asked');
  assert.deepEqual(await phaseStartOf(b, { ...slotKey, phase: 5, build: 'build 9/"x"', now: 7_000_000 }), odd);
});

test('an unreachable Pushgateway: the read fails fast, and the phase begins now', async () => {
  const down = new PushgatewayLedger(`http://127.0.0.1:${await closedPort()}`);
  await assert.rejects(down.read(phase25));
  const start = await phaseStartOf({ ledger: down, record: true }, { profile: 'default', phase: 25, build: 'b1', now: 42_000 });
  assert.equal(start.how, 'unavailable');
  assert.equal(start.at, new Date(42_000).toISOString());
  assert.match(start.note!, /http:\/\/127\.0\.0\.1:\d+, which did not answer/);
});
