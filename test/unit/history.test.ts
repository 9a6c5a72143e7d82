import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatOutcomes, journeyOutcomes, OutcomeHistory, shorten, REASON_MAX } from '../../reporters/history.ts';
import type { JourneyLine } from '../../reporters/results-store/index.ts';
import type { AttemptRecord, JourneyOutcome } from '../../src/core/records.ts';

type Attempt = JourneyLine['attempts'][number];
const attempt = (n: number, status: AttemptRecord['status'], extra: Partial<Attempt> = {}): Attempt => ({
  attempt: n, status, startedAt: '2026-11-23T10:00:00.000Z', durationMs: 10, runId: `r${n}`, traceId: 't', steps: [], ...extra,
});

/** A journey line as the store holds it; the attempts follow from the outcome unless given. */
function line(outcome: JourneyOutcome, at: string, over: Partial<JourneyLine> = {}): JourneyLine {
  const attempts = over.attempts ?? {
    passed: [attempt(1, 'passed')],
    flaky: [attempt(1, 'failed'), attempt(2, 'passed')],
    failed: [attempt(1, 'failed'), attempt(2, 'failed')],
    aborted: [attempt(1, 'aborted')],
  }[outcome];
  return {
    type: 'journey', journey: 'b2c-api', kind: 'api', outcome, startedAt: at, durationMs: 10,
    target: 'canary', canary: 'true', region: 'eu', device: 'api', cohort: 'student', build_id: 'b1', git_sha: 'g',
    ...(outcome === 'failed' || outcome === 'aborted' ? { reason: `${outcome} at ${at}` } : {}),
    ...over, attempts,
  };
}

test('counts per journey × device × target × build, failures first, then flaky, aborted, the rest', () => {
  const rows = journeyOutcomes([
    line('passed', '2026-11-23T10:00:00.000Z', { journey: 'health' }),
    line('passed', '2026-11-23T10:00:00.000Z'),
    line('passed', '2026-11-23T10:01:00.000Z'),
    line('flaky', '2026-11-23T10:02:00.000Z'),
    line('failed', '2026-11-23T10:03:00.000Z', { device: 'desktop-chrome', journey: 'b2c-browser' }),
    line('aborted', '2026-11-23T10:04:00.000Z', { journey: 'auth' }),
    line('passed', '2026-11-23T10:05:00.000Z', { build_id: 'b2' }),
    line('failed', '2026-11-23T10:06:00.000Z', { target: 'control', canary: 'false' }),
  ]);
  assert.deepEqual(rows.map((r) => [r.journey, r.device, r.target, r.build_id, r.passed, r.flaky, r.failed, r.aborted]), [
    ['b2c-api', 'api', 'control', 'b1', 0, 0, 1, 0],
    ['b2c-browser', 'desktop-chrome', 'canary', 'b1', 0, 0, 1, 0],
    ['b2c-api', 'api', 'canary', 'b1', 2, 1, 0, 0],
    ['auth', 'api', 'canary', 'b1', 0, 0, 0, 1],
    ['b2c-api', 'api', 'canary', 'b2', 1, 0, 0, 0],
    ['health', 'api', 'canary', 'b1', 1, 0, 0, 0],
  ]);
  assert.equal(rows[3]!.lastFailure, null, 'an aborted run is the runner\'s fault: no last failure');
  assert.equal(rows[2]!.lastFailure, null, 'a flaky run passed in the end: no last failure');
});

test('the last failure is the latest by time, whatever order the lines come in', () => {
  const [row] = journeyOutcomes([
    line('failed', '2026-11-23T10:05:00.000Z'),
    line('failed', '2026-11-23T10:09:00.000Z'),
    // Another runner's line, appended later but of an earlier run.
    line('failed', '2026-11-23T10:07:00.000Z'),
    line('passed', '2026-11-23T10:10:00.000Z'),
  ]);
  assert.equal(row!.failed, 3);
  assert.equal(row!.passed, 1);
  assert.deepEqual(row!.lastFailure, { at: '2026-11-23T10:09:00.000Z', reason: 'failed at 2026-11-23T10:09:00.000Z', evidence: null });
});

test('the reason is its first line, shortened; evidence comes from the last failed attempt that kept any', () => {
  const long = `GET /api/scholarships: ${'x'.repeat(300)}\n    at somewhere`;
  const [row] = journeyOutcomes([line('failed', '2026-11-23T10:00:00.000Z', {
    reason: long,
    attempts: [
      attempt(1, 'failed', { evidence: { screenshot: 'evidence/old.png' } }),
      attempt(2, 'failed', { evidence: { screenshot: 'evidence/2026-11-23/b2c-browser-r2.png', trace: 'evidence/2026-11-23/b2c-browser-r2.zip' } }),
    ],
  })]);
  const f = row!.lastFailure!;
  assert.equal(f.reason.length, REASON_MAX);
  assert.ok(f.reason.startsWith('GET /api/scholarships: xxx') && f.reason.endsWith('…'));
  assert.doesNotMatch(f.reason, /\n|somewhere/);
  assert.deepEqual(f.evidence, { screenshot: 'evidence/2026-11-23/b2c-browser-r2.png', trace: 'evidence/2026-11-23/b2c-browser-r2.zip' });

  const [withheld] = journeyOutcomes([line('failed', '2026-11-23T10:00:00.000Z', {
    attempts: [attempt(1, 'failed', { evidence: { withheld: 'secret scan failed: a token was on the page\nmore' } }), attempt(2, 'failed')],
  })]);
  assert.deepEqual(withheld!.lastFailure!.evidence, { withheld: 'secret scan failed: a token was on the page' }, 'the last attempt kept none: the one before');
  assert.equal(shorten('short\nsecond'), 'short');
});

test('lines of older writers: no reason, no evidence, an outcome this version does not know', () => {
  const history = new OutcomeHistory();
  const old = line('failed', '2026-11-23T10:00:00.000Z');
  delete old.reason;
  history.add(old);
  history.add({ ...line('passed', '2026-11-23T10:01:00.000Z'), outcome: 'skipped' as JourneyOutcome });
  const rows = history.rows();
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]!.lastFailure, { at: '2026-11-23T10:00:00.000Z', reason: 'no reason recorded', evidence: null });
  assert.equal(rows[0]!.passed, 0, 'the unknown outcome is not counted');
});

test('the text table: plain, failures first, the evidence under its row, totals at the end', () => {
  const text = formatOutcomes(journeyOutcomes([
    line('passed', '2026-11-23T10:00:00.000Z', { journey: 'health' }),
    line('failed', '2026-11-23T10:03:00.123Z', {
      journey: 'b2c-browser', device: 'desktop-chrome', reason: 'GET /app/search (page): status 503',
      attempts: [attempt(1, 'failed', { evidence: { screenshot: 'evidence/s.png', trace: 'evidence/t.zip' } })],
    }),
    line('flaky', '2026-11-23T10:04:00.000Z'),
  ]));
  const lines = text.split('\n');
  assert.match(lines[0]!, /^JOURNEY\s+DEVICE\s+TARGET\s+BUILD\s+PASSED\s+FLAKY\s+FAILED\s+ABORTED\s+LAST FAILURE\s+REASON$/);
  assert.match(lines[1]!, /^b2c-browser\s+desktop-chrome\s+canary\s+b1\s+0\s+0\s+1\s+0\s+2026-11-23T10:03:00Z\s+GET \/app\/search \(page\): status 503$/);
  assert.match(lines[2]!, /^\s+evidence: screenshot evidence\/s\.png, trace evidence\/t\.zip$/);
  assert.match(lines[3]!, /^b2c-api\s+api\s+canary\s+b1\s+0\s+1\s+0\s+0$/);
  assert.match(lines[4]!, /^health\s/);
  assert.equal(lines.at(-1), '3 journey runs: 1 passed, 1 flaky, 1 failed, 0 aborted');
  assert.doesNotMatch(text, /\x1b\[/, 'no colours');
  assert.equal(formatOutcomes([]).split('\n').at(-1), 'no journey runs in the window');
});
