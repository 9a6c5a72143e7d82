// The chaos soak's judgement (bench/lib/chaos.ts): the seeded plan, the runner's log lines, and
// which failures are the runner's fault and which target faults went unseen. The soak itself
// (processes, Chromium, signals) runs as `npm run chaos`; its smoke is in test/bench.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JourneyLine } from '../../reporters/results-store/index.ts';
import { JOURNEYS } from '../../journeys/index.ts';
import { classify, coverage, parseLogLine, planFaults, TARGET_FAULTS, type FaultRecord } from '../../bench/lib/chaos.ts';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

type Attempt = JourneyLine['attempts'][number];
function attempt(n: number, status: Attempt['status'], startS: number, durS: number, reason?: string): Attempt {
  return { attempt: n, status, startedAt: at(startS), durationMs: durS * 1000, runId: `r${n}`, traceId: 't', steps: [], ...(reason ? { reason } : {}) };
}
function line(target: string, journey: string, outcome: JourneyLine['outcome'], attempts: Attempt[]): JourneyLine {
  return {
    type: 'journey', journey, kind: journey.endsWith('browser') ? 'browser' : 'api', outcome, startedAt: attempts[0]!.startedAt,
    durationMs: 0, attempts, target, canary: String(target === 'canary'), region: 'r', device: journey.endsWith('browser') ? 'desktop' : 'api',
    cohort: 'student', build_id: 'b', git_sha: 'g',
  };
}
function fault(kind: FaultRecord['kind'], fromS: number, toS: number): FaultRecord {
  const target = kind in TARGET_FAULTS;
  return {
    kind, class: target ? 'target' : 'runner', ...(target ? { target: 'canary' } : {}),
    affects: target ? [...TARGET_FAULTS[kind as keyof typeof TARGET_FAULTS].affects] : [], startMs: T0 + fromS * 1000, endMs: T0 + toS * 1000, detail: '', injected: true,
  };
}

describe('chaos plan', () => {
  it('replays the same plan from the same seed, and a different one from another', () => {
    assert.deepEqual(planFaults(7, 180_000, 10_000), planFaults(7, 180_000, 10_000));
    assert.notDeepEqual(planFaults(7, 180_000, 10_000), planFaults(8, 180_000, 10_000));
  });

  it('keeps each lane to one fault at a time, inside the soak, with target faults of at least a cadence', () => {
    for (const seed of [1, 2, 3, 42, 2 ** 32 - 1]) {
      for (const [soakMs, cadenceMs] of [[30_000, 10_000], [180_000, 10_000], [1_800_000, 10_000], [1_800_000, 60_000]] as const) {
        const plan = planFaults(seed, soakMs, cadenceMs);
        for (const lane of [plan.target, plan.runner]) {
          for (let i = 0; i < lane.length; i++) {
            const f = lane[i]!;
            assert.ok(f.atMs > 0 && f.atMs + f.durationMs < soakMs, `seed ${seed}: ${JSON.stringify(f)} inside ${soakMs}`);
            if (i > 0) assert.ok(f.atMs >= lane[i - 1]!.atMs + lane[i - 1]!.durationMs, 'no overlap in a lane');
          }
        }
        for (const f of plan.target) assert.ok(f.durationMs >= cadenceMs && f.durationMs <= 4 * cadenceMs);
        for (const f of plan.runner) {
          if (f.kind === 'chromium-kill') assert.equal(f.durationMs, 0);
          if (f.kind === 'chromium-stop') assert.ok(f.durationMs >= 2_000 && f.durationMs <= 6_000);
          if (f.kind === 'cpu-load') assert.ok(f.durationMs >= 2_000 && f.durationMs <= 30_000);
        }
        if (soakMs >= 180_000) assert.ok(plan.target.length >= 2 && plan.runner.length >= 2, `${soakMs}: faults of both classes`);
      }
    }
  });

  it('names only journeys that exist as affected', () => {
    for (const spec of Object.values(TARGET_FAULTS)) for (const id of spec.affects) assert.ok(JOURNEYS.some((j) => j.id === id), id);
  });
});

describe('chaos log lines', () => {
  it('reads the scheduler\'s cycle, skipped and runner-error lines', () => {
    assert.deepEqual(parseLogLine('2026-12-03T18:18:42.081Z cycle 1 canary: 7/10 passed (2 flaky), 1 failed, 2 aborted in 8230 ms — b2c-browser/desktop: x'), {
      type: 'cycle', cycle: 1, target: 'canary', passed: 7, total: 10, flaky: 2, failed: 1, aborted: 2, ms: 8230,
    });
    assert.deepEqual(parseLogLine('2026-12-03T18:18:42.081Z cycle 4 control: 10/10 passed, 0 failed in 512 ms'), {
      type: 'cycle', cycle: 4, target: 'control', passed: 10, total: 10, flaky: 0, failed: 0, aborted: 0, ms: 512,
    });
    assert.deepEqual(parseLogLine('2026-12-03T18:18:42.081Z cycle 3 took 21000 ms, longer than 10000 ms: 2 cycle(s) skipped; next cycle at 18:19:10'), {
      type: 'skipped', cycle: 3, tookMs: 21000, skipped: 2,
    });
    assert.deepEqual(parseLogLine('2026-12-03T18:18:42.081Z cycle 5 canary: runner error (boom)'), { type: 'runner-error', cycle: 5, target: 'canary', message: 'boom' });
    assert.equal(parseLogLine('2026-12-03T18:18:42.081Z cycle 2 canary: payments-api/api attempt 1 failed (x); next retry in 1.0 s'), undefined);
  });
});

describe('chaos judgement', () => {
  const timeline = [fault('payments-500', 100, 130), fault('cpu-load', 200, 220), fault('chromium-kill', 300, 300)];

  it('explains a failure inside a target fault on its own journey and target, within the grace', () => {
    const c = classify([
      line('canary', 'payments-api', 'failed', [attempt(1, 'failed', 110, 1, '500')]),
      line('canary', 'payments-browser', 'failed', [attempt(1, 'failed', 131, 1, '500 late')]), // 1 s after the clear: grace
    ], timeline, 2_000);
    assert.deepEqual(c.falseFailures, []);
  });

  it('calls a failure false on the control, on an unaffected journey, under runner faults only, and with no fault at all', () => {
    const c = classify([
      line('control', 'payments-api', 'failed', [attempt(1, 'failed', 110, 1, 'budget')]),
      line('canary', 'b2c-browser', 'failed', [attempt(1, 'failed', 110, 1, 'budget')]),
      line('canary', 'health', 'flaky', [attempt(1, 'failed', 205, 1, 'slow'), attempt(2, 'passed', 207, 1)]),
      line('canary', 'b2c-browser', 'flaky', [attempt(1, 'failed', 299, 2, 'browser closed'), attempt(2, 'passed', 303, 2)]),
      line('canary', 'guardrail', 'failed', [attempt(1, 'failed', 400, 1, 'what')]),
    ], timeline, 2_000);
    assert.deepEqual(c.falseFailures.map((f) => [f.target, f.journey, f.outcome, f.overlapping.map((o) => o.kind)]), [
      ['control', 'payments-api', 'failed', ['payments-500']],
      ['canary', 'b2c-browser', 'failed', ['payments-500']],
      ['canary', 'health', 'flaky', ['cpu-load']],
      ['canary', 'b2c-browser', 'flaky', ['chromium-kill']],
      ['canary', 'guardrail', 'failed', []],
    ]);
  });

  it('misses a target fault only when a whole affected attempt ran inside it and nothing affected failed', () => {
    const passedInside = [line('canary', 'payments-api', 'passed', [attempt(1, 'passed', 110, 2)])];
    assert.equal(classify(passedInside, timeline, 2_000).missed.length, 1);
    // An attempt that never started saw nothing, and one only partly inside is no evidence either: unjudged.
    const unjudged = classify([
      line('canary', 'payments-browser', 'aborted', [{ ...attempt(1, 'aborted', 110, 0), abortedBy: 'deadline' }]),
      line('canary', 'payments-api', 'passed', [attempt(1, 'passed', 129, 3)]),
    ], timeline, 2_000);
    assert.equal(unjudged.faults[0]!.verdict, 'unjudged');
    assert.equal(unjudged.faults[0]!.abortedDuring, 1);
    // One that ran through the fault and was then called the runner's own trouble hid it: missed.
    const hidden = classify([line('canary', 'payments-browser', 'aborted', [{ ...attempt(1, 'aborted', 110, 6), abortedBy: 'deadline' }])], timeline, 2_000);
    assert.equal(hidden.faults[0]!.verdict, 'missed');
    assert.equal(hidden.faults[0]!.inside[0]!.status, 'aborted (deadline)');
    const seen = classify([...passedInside, line('canary', 'payments-browser', 'failed', [attempt(1, 'failed', 120, 2, '500')])], timeline, 2_000);
    assert.equal(seen.faults[0]!.verdict, 'detected');
    assert.equal(seen.missed.length, 0);
    // A fault that could not be injected is not judged.
    assert.equal(classify(passedInside, [{ ...timeline[0]!, injected: false }], 2_000).faults[0]!.verdict, 'not injected');
  });

  it('counts attempts, aborts by cause, and outcomes per journey', () => {
    const lines = [
      line('canary', 'health', 'passed', [attempt(1, 'passed', 1, 1)]),
      line('canary', 'b2c-browser', 'aborted', [{ ...attempt(1, 'aborted', 2, 0), abortedBy: 'deadline' }]),
      line('control', 'health', 'flaky', [attempt(1, 'failed', 3, 1, 'x'), attempt(2, 'passed', 5, 1)]),
    ];
    const c = classify(lines, [], 2_000);
    assert.deepEqual(c.attempts, { passed: 2, failed: 1, aborted: 1, abortedBy: { deadline: 1 } });
    assert.deepEqual(c.outcomes, { passed: 1, aborted: 1, flaky: 1 });
    assert.deepEqual(coverage(lines).map((r) => [r.target, r.journey, r.passed, r.flaky, r.aborted]), [
      ['canary', 'b2c-browser', 0, 0, 1], ['canary', 'health', 1, 0, 0], ['control', 'health', 0, 1, 0],
    ]);
  });

  it('finds the longest spell of aborted runs of a journey, in time order', () => {
    const run = (s: number, outcome: JourneyLine['outcome']) =>
      line('canary', 'b2c-browser', outcome, [attempt(1, outcome === 'aborted' ? 'aborted' : 'passed', s, 1)]);
    const [row] = coverage([run(40, 'aborted'), run(0, 'aborted'), run(10, 'passed'), run(20, 'aborted'), run(30, 'aborted'), run(50, 'passed')]);
    assert.deepEqual(row!.longestAborted, { runs: 3, from: at(20), to: at(40), lastReason: '' });
  });
});
