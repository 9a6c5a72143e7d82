// The runner's trouble is never the target's failure: which attempts the runner takes on itself,
// what outcome a journey gets from its attempts, and what counts as a browser-layer error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runnersShare, type AttemptDeps } from '../../fixtures/attempt.ts';
import { AttemptRecorder } from '../../fixtures/recorder.ts';
import { isBrowserLayerError } from '../../src/runner/browser-guard.ts';
import { inLane } from '../../src/runner/cycle.ts';
import { RunnerHealth, STALL_MS } from '../../src/runner/runner-health.ts';
import { FairSlots } from '../../src/runner/slots.ts';
import { outcomeOf, targetProblems, type AttemptRecord, type CallRecord } from '../../src/core/records.ts';

function call(over: Partial<CallRecord> = {}): CallRecord {
  return {
    at: '2026-12-03T00:00:00.000Z', step: 'search', method: 'GET', route: '/api/scholarships', status: 200, durationMs: 20,
    budgetMs: 150, overBudget: false, schema: 'scholarship-list', schemaHash: 'h', schemaOutcome: 'pass', syntheticId: 'syn-r-1', traceId: 't', source: 'api',
    ...over,
  };
}

function attempt(status: AttemptRecord['status'], over: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    attempt: 1, status, startedAt: '2026-12-03T00:00:00.000Z', durationMs: 100, runId: 'r', traceId: 't', steps: [], calls: [],
    ...(status === 'failed' ? { reason: 'step "search": timed out' } : {}), ...over,
  };
}

const aborted = (by: AttemptRecord['abortedBy']) => attempt('aborted', { abortedBy: by, reason: 'x' });

test('outcome: only a failed attempt is the target\'s failure; a lost attempt is neither a failure nor a reason to call a pass flaky', () => {
  assert.equal(outcomeOf([attempt('passed')]), 'passed');
  assert.equal(outcomeOf([aborted('runner'), attempt('passed')]), 'passed', 'runner lost the first attempt, the second passed');
  assert.equal(outcomeOf([aborted('deadline'), aborted('runner'), attempt('passed')]), 'passed');
  assert.equal(outcomeOf([attempt('failed'), attempt('passed')]), 'flaky');
  assert.equal(outcomeOf([attempt('failed'), aborted('runner'), attempt('passed')]), 'flaky');
  assert.equal(outcomeOf([attempt('failed'), aborted('deadline')]), 'failed', 'a retry the runner lost does not hide the failure');
  assert.equal(outcomeOf([attempt('failed'), aborted('stop')]), 'failed');
  assert.equal(outcomeOf([aborted('runner')]), 'aborted');
  assert.equal(outcomeOf([aborted('runner'), aborted('deadline')]), 'aborted');
  assert.equal(outcomeOf([attempt('failed')]), 'failed');
  assert.equal(outcomeOf([]), 'failed');
});

test('targetProblems: wrong answers always count; slowness only when the runner\'s clock can be trusted; no answer and the runner\'s own probe never', () => {
  const calls = [
    call({ status: 500, problem: 'status 500' }),
    call({ status: 404, problem: 'GET /x: status 404, expected 200' }),
    call({ schemaOutcome: 'fail', problem: 'schema' }),
    call({ overBudget: true, durationMs: 400 }),
    call({ status: 0, problem: 'request failed: Timeout' }),
    call({ source: 'probe', status: 500 }),
    call(),
  ];
  assert.deepEqual(targetProblems({ calls }, { timingTrusted: true }).map((c) => calls.indexOf(c)), [0, 1, 2, 3]);
  assert.deepEqual(targetProblems({ calls }, { timingTrusted: false }).map((c) => calls.indexOf(c)), [0, 1, 2]);
  assert.deepEqual(targetProblems({ calls: [call({ status: 502, source: 'browser' })] }, { timingTrusted: false }).length, 1, 'a page 5xx');
});

const deps = (over: Partial<AttemptDeps> = {}) => ({ runnerTrouble: () => undefined, ...over }) as unknown as AttemptDeps;
const how = (over: Partial<{ wrongAnswer: boolean; cutByDeadline: boolean; unanswered: number }> = {}) =>
  ({ startedMs: Date.now() - 1000, wrongAnswer: false, cutByDeadline: false, unanswered: 0, ...over });

test('runnersShare: a failure in the runner\'s trouble that the target\'s answers do not explain is the runner\'s', () => {
  const trouble = deps({ runnerTrouble: () => 'the browser did not answer for 4.2 s' });
  const timedOut = attempt('failed', { calls: [call()] });
  const lost = runnersShare(timedOut, trouble, how());
  assert.equal(lost.status, 'aborted');
  assert.equal(lost.abortedBy, 'runner');
  assert.equal(lost.reason, 'runner error: the browser did not answer for 4.2 s (step "search": timed out)');
  // Slow calls, and calls left waiting, timed while the runner was frozen are not the target's …
  assert.equal(runnersShare(attempt('failed', { calls: [call({ overBudget: true })] }), trouble, how()).status, 'aborted');
  assert.equal(runnersShare(timedOut, trouble, how({ cutByDeadline: true, unanswered: 1 })).status, 'aborted');
  // … but a wrong answer is, whatever the runner went through.
  assert.equal(runnersShare(attempt('failed', { calls: [call({ status: 500, problem: '500' })] }), trouble, how()).status, 'failed');
  assert.equal(runnersShare(attempt('failed', { calls: [call({ schemaOutcome: 'fail', problem: 's' })] }), trouble, how()).status, 'failed');
  assert.equal(runnersShare(timedOut, trouble, how({ wrongAnswer: true })).status, 'failed', 'a check caught a wrong answer (a live payment)');
});

test('runnersShare: on a well runner a failure stays the target\'s; cut by the deadline, it is the runner\'s unless it was waiting on the target', () => {
  const well = deps();
  const slowTarget = attempt('failed', { calls: [call({ overBudget: true })] });
  assert.equal(runnersShare(slowTarget, well, how()).status, 'failed', 'over budget on a well runner');
  assert.equal(runnersShare(attempt('failed'), well, how()).status, 'failed', 'a journey timeout or a failed step on a well runner');
  const cut = attempt('failed', { reason: 'cycle deadline: still running after 600 ms, when the cycle had to end (step "search")' });
  const late = runnersShare(cut, well, how({ cutByDeadline: true }));
  assert.equal(late.status, 'aborted', 'nothing waited on the target: the runner could not finish it (a late start, a starved browser)');
  assert.equal(late.abortedBy, 'deadline');
  assert.match(late.reason!, /^cycle deadline: .*; nothing was waiting on the target: the runner could not finish it in time$/);
  assert.equal(runnersShare(cut, well, how({ cutByDeadline: true, unanswered: 1 })).status, 'failed', 'a call past its budget with no answer at the cut: the target');
  assert.equal(runnersShare(slowTarget, well, how({ cutByDeadline: true })).status, 'failed', 'a slow answer before the cut');
  // Playwright Test (no runnerTrouble) and passed attempts are never touched.
  assert.equal(runnersShare(cut, {} as AttemptDeps, how({ cutByDeadline: true })).status, 'failed');
  assert.equal(runnersShare(attempt('passed'), deps({ runnerTrouble: () => 'x' }), how()).status, 'passed');
});

test('RunnerHealth: trouble overlapping an attempt is found by scope; older or later trouble is not', () => {
  const health = new RunnerHealth();
  const t = Date.now() - 60_000;
  health.note('browser', 'the browser did not answer for 4.0 s', t + 1_000, t + 5_000);
  health.note('process', "the runner's event loop was blocked for 1.5 s", t + 10_000, t + 11_500);
  assert.equal(health.troubleDuring(t + 4_000, t + 6_000, 'browser'), 'the browser did not answer for 4.0 s');
  assert.equal(health.troubleDuring(t + 3_999, t + 6_000, 'browser'), 'the browser did not answer for 4.0 s', 'the last second of it');
  assert.equal(health.troubleDuring(t + 4_500, t + 6_000, 'browser'), undefined, 'only the half second the attempt saw counts');
  assert.equal(health.troubleDuring(t + 5_001, t + 9_999, 'browser'), undefined);
  assert.equal(health.troubleDuring(t + 4_000, t + 6_000, 'api'), undefined, 'a frozen browser is no API journey\'s trouble');
  assert.equal(health.troubleDuring(t + 10_000, t + 12_000, 'api'), "the runner's event loop was blocked for 1.5 s");
  assert.equal(health.troubleDuring(t + 10_000, t + 12_000, 'browser'), "the runner's event loop was blocked for 1.5 s");
  // Short stalls add up: a starved CPU loses the runner a second in many small pieces.
  for (let i = 0; i < 8; i++) health.note('process', `blocked ${i}`, t + 20_000 + i * 500, t + 20_000 + i * 500 + 150);
  assert.equal(health.troubleDuring(t + 20_000, t + 23_000, 'api'), undefined, '6 × 150 ms = 0.9 s: not yet');
  assert.match(health.troubleDuring(t + 20_000, t + 24_000, 'api') ?? '', /^the runner lost 1\.2 s to 8 stalls of its own \(blocked 0; blocked 1; …\)$/);
  health.note('process', 'long ago', t - 3_600_000, t - 3_600_000);
  assert.equal(health.troubleDuring(t - 3_600_000, t - 3_600_000, 'api'), undefined, 'trouble older than any cycle is not kept');
});

test('RunnerHealth keeps a bounded number of moments, and a blocked event loop is noted', async () => {
  const health = new RunnerHealth();
  const now = Date.now();
  for (let i = 0; i < 2_000; i++) health.note('browser', `moment ${i}`, now + i, now + i);
  assert.equal(health.troubleDuring(now, now + 1_000, 'browser'), undefined, 'the oldest moments went');
  assert.equal(health.troubleDuring(now + 1_999, now + 1_999, 'browser'), 'moment 1999');
  const watched = new RunnerHealth();
  watched.watchEventLoop();
  const blockedFrom = Date.now();
  await new Promise((r) => setTimeout(r, 300));
  const until = Date.now() + STALL_MS + 300;
  while (Date.now() < until) { /* the loop is blocked, as a loaded machine or a long task would */ }
  await new Promise((r) => setTimeout(r, 300));
  watched.stop();
  assert.match(watched.troubleDuring(blockedFrom, Date.now(), 'api') ?? '', /^the runner's event loop was blocked for \d+\.\d s$/);
});

test('isBrowserLayerError: thrown by Playwright\'s connection dispatch, not by our code or by a call', () => {
  const dispatch = Object.assign(new Error('Object with guid handle@f467 was not bound in the connection'), {
    stack: [
      'Error: Object with guid handle@f467 was not bound in the connection',
      '    at Connection._tChannelImplFromWire (/app/node_modules/playwright-core/lib/coreBundle.js:66086:19)',
      '    at /app/node_modules/playwright-core/lib/coreBundle.js:16922:24',
      '    at Connection.dispatch (/app/node_modules/playwright-core/lib/coreBundle.js:66046:30)',
      '    at Immediate.<anonymous> (/app/node_modules/playwright-core/lib/coreBundle.js:66132:85)',
      '    at process.processImmediate (node:internal/timers:483:21)',
    ].join('\n'),
  });
  assert.equal(isBrowserLayerError(dispatch), true);
  assert.equal(isBrowserLayerError(new Error('ours')), false);
  const ours = Object.assign(new Error('dispatch went wrong'), { stack: 'Error: x\n    at dispatch (/app/src/runner/cycle.ts:1:1)\n    at Connection.dispatch (/app/node_modules/playwright-core/lib/coreBundle.js:1:1)' });
  assert.equal(isBrowserLayerError(ours), false, 'the innermost frame is ours');
  assert.equal(isBrowserLayerError('a string'), false);
  assert.equal(isBrowserLayerError(undefined), false);
});

test('inLane: one after another while quick; once one outlives its lease, the rest start at once', async (t) => {
  const events: string[] = [];
  const quick = (name: string) => async () => {
    events.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, 5));
    events.push(`end ${name}`);
    return name;
  };
  let release!: () => void;
  const hung = async () => {
    events.push('start hung');
    await new Promise<void>((r) => (release = r));
    events.push('end hung');
    return 'hung';
  };
  // The lane's own timer does not keep a process alive (the runner's cycle does): this test's does.
  const alive = setInterval(() => undefined, 50);
  t.after(() => clearInterval(alive));
  const started = Date.now();
  const lane = await inLane([quick('a'), hung, quick('b'), quick('c')], 100);
  const leased = Date.now() - started;
  assert.deepEqual(events, ['start a', 'end a', 'start hung', 'start b', 'start c'], 'b and c started together once the hung one outlived its lease');
  assert.ok(leased >= 95 && leased < 1_000, `the lane moved on after the lease (${leased} ms)`);
  release();
  assert.deepEqual(await Promise.all(lane), ['a', 'hung', 'b', 'c']);
  const all: string[] = [];
  await inLane([async () => all.push('x'), async () => all.push('y')], 0);
  assert.deepEqual(all, ['x', 'y'], 'lease 0: all at once');
});

test('FairSlots: never more at once than its size, no owner more than its share, and a freed slot to the owner holding the fewest', async () => {
  const slots = new FairSlots(2);
  const order: string[] = [];
  let running = 0;
  let most = 0;
  const gates = new Map<string, () => void>();
  const job = (owner: string, name: string) => slots.run(owner, async () => {
    order.push(name);
    running += 1;
    most = Math.max(most, running);
    await new Promise<void>((release) => gates.set(name, release));
    running -= 1;
    return name;
  });
  const tick = () => new Promise((r) => setTimeout(r, 5));
  // One owner alone may use every slot.
  const alone = [job('control', 'a1'), job('control', 'a2'), job('control', 'a3')];
  await tick();
  assert.deepEqual(order, ['a1', 'a2']);
  gates.get('a1')!();
  gates.get('a2')!();
  await tick();
  gates.get('a3')!();
  assert.deepEqual(await Promise.all(alone), ['a1', 'a2', 'a3']);
  // Two owners: one slot each, whoever asked first; the first owner's second job waits for its own.
  order.length = 0;
  slots.join('canary');
  const both = [job('control', 'c1'), job('control', 'c2'), job('control', 'c3'), job('canary', 'k1'), job('canary', 'k2')];
  await tick();
  assert.deepEqual(order, ['c1', 'k1'], 'the control may not take the canary\'s share');
  gates.get('c1')!();
  await tick();
  assert.deepEqual(order, ['c1', 'k1', 'c2']);
  gates.get('k1')!();
  await tick();
  assert.deepEqual(order, ['c1', 'k1', 'c2', 'k2']);
  for (const name of ['c2', 'k2']) gates.get(name)!();
  await tick();
  gates.get('c3')!();
  assert.deepEqual(await Promise.all(both), ['c1', 'c2', 'c3', 'k1', 'k2']);
  assert.equal(most, 2);
  await assert.rejects(slots.run('x', () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await slots.run('x', () => 'a slot given back after a failure'), 'a slot given back after a failure');
  assert.throws(() => new FairSlots(0), RangeError);
});

test('the recorder knows what the attempt waits on: a call past its budget with no answer yet, until it comes back', async () => {
  const recorder = new AttemptRecorder();
  const quick = recorder.callSent('GET /api/scholarships', 10_000);
  const slow = recorder.callSent('GET /search (page)', 20);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(recorder.unanswered().map((p) => p.replace(/\d+ ms \(/, 'N ms (')), ['GET /search (page): no answer after N ms (budget 20 ms)']);
  slow();
  quick();
  assert.deepEqual(recorder.unanswered(), []);
});
