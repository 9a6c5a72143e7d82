// `synthetics drill` as CI runs it: a real child process that starts two sandboxes, a runner and the
// gate, injects faults into the canary and says, per fault, whether the gate decided right. The
// short catalogue here (latency, 5xx, a stopped runner, no fault) covers rollback, hold and go.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { DrillRow } from '../../src/cli/drill.ts';
import { baseEnv, runCli } from '../support/cli.ts';

const FAULTS = ['latency', '5xx', 'stopped', 'none'];
/** A minute is 0.6 s: the 5% phase's 90-minute window is 54 s, a 5-minute trigger 3 s. */
const TIME_SCALE = '0.01';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('drill: latency and 5xx roll back, a stopped runner holds on stale data, no fault goes; all cleaned up', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const run = await runCli(['drill', '--only', FAULTS.join(','), '--time-scale', TIME_SCALE, '--json'], baseEnv(), { timeoutMs: 200_000 });
  const wall = Date.now() - started;
  t.diagnostic(`drill took ${(wall / 1000).toFixed(1)} s`);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const rows = JSON.parse(run.stdout) as DrillRow[];
  for (const r of rows) t.diagnostic(`${r.fault}: ${r.decision} in ${(r.ms / 1000).toFixed(1)} s (${r.named})`);

  assert.deepEqual(rows.map((r) => r.fault), FAULTS, 'one row per fault, in the catalogue\'s order');
  assert.deepEqual(rows.map((r) => r.expected), ['rollback', 'rollback', 'hold', 'go']);
  for (const r of rows) {
    assert.equal(r.right, true, `${r.fault}: ${r.named}`);
    assert.equal(r.decision, r.expected, r.fault);
    assert.ok(r.ms > 0, `${r.fault}: the time from fault to decision is positive (${r.ms} ms)`);
    assert.ok(r.injected.length > 0 && r.build.startsWith('drill-'), JSON.stringify(r));
  }
  // Bounded: rollbacks within seconds, the stale hold soon after the 5 s stale floor, go once the window has passed.
  const [latency, fivexx, stopped, none] = rows as [DrillRow, DrillRow, DrillRow, DrillRow];
  assert.ok(latency.ms < 30_000 && fivexx.ms < 30_000, `rollbacks: ${latency.ms} ms, ${fivexx.ms} ms`);
  assert.match(latency.named, /p95-high|p99-high|latency-3-sigma|synthetic-failures/);
  assert.match(fivexx.named, /error-5xx-high|synthetic-failures/);
  assert.ok(stopped.ms >= 4_000 && stopped.ms < 30_000, `stale hold after ${stopped.ms} ms`);
  assert.match(stopped.reason, /^hold: stale data from /);
  // Go only once the 54 s window of the clean build has passed (the clock starts once it passes a cycle).
  assert.ok(none.ms >= 40_000 && none.ms < 80_000, `go after ${none.ms} ms (window 54 s)`);
  assert.match(none.reason, /^go: all \d+ gates met and no rollback trigger held over 54\.0 s$/);
  assert.ok(wall < 150_000, `the whole CI drill within 150 s (took ${wall} ms)`);

  // Nothing left behind: the runner (and its group) is gone, and an all-right drill removes its files.
  const pids = [...run.stderr.matchAll(/runner started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  assert.equal(pids.length, 2, 'the runner was started, and started again after the stop');
  for (const pid of pids) assert.equal(alive(pid), false, `runner ${pid} is gone`);
  const dir = /results (\/\S+?)\/results;/.exec(run.stderr)?.[1];
  assert.ok(dir, run.stderr);
  assert.equal(existsSync(dir), false, `${dir} was removed`);
});

test('drill: a mistake is one line and exit 2, before anything starts', { timeout: 60_000 }, async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--only', 'nonsense'], /^synthetics: --only "nonsense": unknown fault "nonsense" \(known: latency, 5xx, schema-drift, checkout, payments-live, essay-flag, stopped, none\)$/],
    [['--time-scale', '0'], /^synthetics: --time-scale "0": must be a number above 0 and at most 1/],
    [['--runbook', '/nonexistent/drill.yaml'], /^synthetics: runbook \/nonexistent\/drill\.yaml: not found/],
    [['--profile', 'nope'], /^synthetics: --profile "nope": not in the runbook \(known: default\)$/],
  ];
  for (const [args, expected] of cases) {
    const run = await runCli(['drill', ...args], baseEnv(), { timeoutMs: 30_000 });
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, expected);
  }
});
