import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttemptRecorder, journeyCallSite, makeStep, type StepWrapper } from '../../fixtures/recorder.ts';
import SyntheticsReporter from '../../reporters/playwright-reporter.ts';
import { ATTEMPT_ATTACHMENT } from '../../reporters/playwright-attachment.ts';
import { formatTable } from '../../reporters/table.ts';
import { CheckFailure } from '../../src/core/errors.ts';
import { journeyResult, type AttemptRecord, type JourneyResult } from '../../src/core/records.ts';
import { scrubber } from '../../src/core/scrub.ts';

test('finish keeps every problem: 5xx answers, then the failure that stopped the journey, then the slow ones; the reason is the first with a count', () => {
  const r = new AttemptRecorder();
  r.softFail('GET /api/a: 900 ms, over its 500 ms budget');
  r.pageProblem('GET /search (page): status 500', 'search', true);
  r.pageProblem('GET / (page): 2500 ms, over its 2000 ms budget', 'search', false);
  const record = r.finish('step "search": expect(locator).toBeVisible() failed');
  assert.equal(record.status, 'failed');
  assert.deepEqual(record.problems, [
    'GET /search (page): status 500',
    'step "search": expect(locator).toBeVisible() failed',
    'GET /api/a: 900 ms, over its 500 ms budget',
    'GET / (page): 2500 ms, over its 2000 ms budget',
  ]);
  assert.equal(record.reason, 'GET /search (page): status 500 (+3 more)');
});

test('problems are scrubbed like reasons; a passed attempt has none', () => {
  scrubber.addSecret('s3cret-token-value');
  const r = new AttemptRecorder();
  const record = r.finish('step "log in": typed s3cret-token-value and got password=hunter2');
  assert.deepEqual(record.problems, ['step "log in": typed [secret] and got password=[redacted]']);
  assert.equal(record.reason, record.problems![0]);
  assert.equal('problems' in new AttemptRecorder().finish(), false);
});

test('journeyCallSite: the first frame under journeys/, plain, async or a file URL', () => {
  const stack = [
    'Error',
    '    at AttemptRecorder.callStep (/app/fixtures/recorder.ts:70:22)',
    '    at ApiClient.call (/app/fixtures/api-client.ts:100:5)',
    '    at async logIn (file:///app/journeys/steps/accounts.ts:25:17)',
    '    at Object.run (/app/journeys/b2c-api.journey.ts:16:11)',
  ].join('\n');
  assert.deepEqual(journeyCallSite(stack), { file: '/app/journeys/steps/accounts.ts', line: 25, column: 17 });
  assert.deepEqual(journeyCallSite('Error\n    at /app/journeys/x.journey.ts:3:1'), { file: '/app/journeys/x.journey.ts', line: 3, column: 1 });
  assert.equal(journeyCallSite('Error\n    at f (/app/fixtures/test.ts:1:1)'), undefined);
  assert.equal(journeyCallSite(undefined), undefined);
});

/** A stand-in for test.step: runs the body and notes each step, its options and its outcome. */
function fakeTestStep() {
  const seen: Array<{ title: string; box: boolean; failed?: string }> = [];
  const wrap: StepWrapper = async (title, body, options) => {
    const entry: { title: string; box: boolean; failed?: string } = { title, box: options.box };
    seen.push(entry);
    try {
      return await body();
    } catch (e) {
      entry.failed = (e as Error).message;
      throw e;
    }
  };
  return { seen, wrap };
}

test('under Playwright Test: boxed steps, a call step red on a soft failure without failing its step, page problems as red sub-steps', async () => {
  const r = new AttemptRecorder();
  const { seen, wrap } = fakeTestStep();
  const step = makeStep(r, wrap);
  // A call outside every step gets no step of its own (it would sit at the top of the report).
  assert.equal(await r.callStep('GET /health', async () => ({ value: 1 })), 1);
  const value = await step('search', async () => {
    const slow = await r.callStep('GET /api/a', async () => ({ value: 'a', soft: 'GET /api/a: 900 ms, over its 500 ms budget' }));
    r.pageProblem('GET /search (page): status 500', 'search', true);
    r.pageProblem('GET /other (page): status 502', 'another step', true);
    return slow;
  });
  assert.equal(value, 'a', 'a soft failure does not stop the journey');
  assert.deepEqual(seen, [
    { title: 'search', box: true },
    { title: 'GET /api/a', box: true, failed: 'GET /api/a: 900 ms, over its 500 ms budget' },
    { title: 'GET /search (page): status 500', box: true, failed: 'GET /search (page): status 500' },
  ]);
  await assert.rejects(step('save', () => r.callStep('POST /api/saved', async () => {
    throw new CheckFailure('POST /api/saved: status 500, expected 201');
  })), /status 500/);
  assert.equal(seen.at(-1)?.failed, 'POST /api/saved: status 500, expected 201');
});

test('a failed step is named in the reason even after every step has unwound', async () => {
  const r = new AttemptRecorder();
  const step = makeStep(r);
  const error = new Error('expect(locator).toBeVisible() failed');
  await assert.rejects(step('outer', () => step('inner', async () => {
    throw error;
  })));
  assert.equal(r.currentStep, 'setup');
  assert.equal(r.stepOf(error), 'inner');
  // The runner has no wrapper: no sub-steps, and page problems are only recorded.
  r.pageProblem('GET /x (page): status 500', 'inner', true);
  assert.deepEqual(r.serverErrors, ['GET /x (page): status 500']);
});

const attempt = (n: number, status: AttemptRecord['status'], reason?: string): AttemptRecord => ({
  attempt: n, status, reason, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 10, runId: `r${n}`, traceId: 't', steps: [], calls: [],
});
const run = { journey: 'guardrail', kind: 'api' as const, labels: { target: 't', canary: 'false', region: 'r', device: 'api', cohort: 'anonymous', build_id: 'b', git_sha: 'g' } };

test('the table: a flaky journey shows its first attempt\'s reason, a failed one its own', () => {
  const flaky = journeyResult(run, [attempt(1, 'failed', 'GET /api/flags: status 500'), attempt(2, 'passed')]);
  assert.equal(flaky.reason, undefined, 'one place: the journey reason is a failure\'s only');
  const failed = journeyResult({ ...run, journey: 'b2c-api' }, [attempt(1, 'failed', 'GET /a: status 503 (+1 more)')]);
  const table = formatTable([flaky, failed]);
  assert.match(table, /guardrail\s+api\s+FLAKY \(2 attempts\)\s+20\s+first attempt: GET \/api\/flags: status 500$/m);
  assert.match(table, /b2c-api\s+api\s+FAIL\s+10\s+GET \/a: status 503 \(\+1 more\)$/m);
});

test('the Playwright reporter: a pass on retry is flaky, even after an attempt Playwright timed out before it attached', () => {
  const reporter = new SyntheticsReporter();
  const testCase = { id: 'g' } as never;
  const result = (retry: number, status: string, attempts: AttemptRecord[]) => ({
    retry, status, startTime: new Date(0), duration: 30_000,
    error: status === 'passed' ? undefined : { message: '\u001b[31mTest timeout of 30000ms exceeded.\u001b[39m' },
    attachments: attempts.length ? [{ name: ATTEMPT_ATTACHMENT, contentType: 'application/json', body: Buffer.from(JSON.stringify({ ...run, attempts })) }] : [],
  }) as never;
  reporter.onTestEnd(testCase, result(0, 'timedOut', []));
  reporter.onTestEnd(testCase, result(1, 'passed', [attempt(2, 'passed')]));
  const [journey] = [...(reporter as unknown as { byTest: Map<string, JourneyResult> }).byTest.values()];
  assert.equal(journey!.outcome, 'flaky');
  assert.deepEqual(journey!.attempts.map((a) => [a.attempt, a.status, a.reason]), [[1, 'failed', 'playwright: Test timeout of 30000ms exceeded.'], [2, 'passed', undefined]]);
});
