// Reasons that say what happened, and one meaning of flaky: every problem of a failed attempt kept
// in the store, a flaky journey's first reason in the table, the runner and Playwright Test
// retrying one injected fault alike, and Playwright's steps pointing at the journeys' own lines.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { baseEnv, readResults, runCli, runPlaywright, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';
import type { TreeResult, TreeStep } from '../support/step-tree-reporter.ts';

let sb: SandboxHandle;
before(async () => {
  sb = await sandbox();
});
after(async () => {
  await sb.close();
});

interface Attempt { attempt: number; status: string; startedAt: string; durationMs: number; reason?: string; problems?: string[] }
type JourneyLine = Record<string, unknown> & { outcome: string; reason?: string; attempts: Attempt[] };

const journeyLines = (dir: string): JourneyLine[] => readResults(dir).filter((l) => l.type === 'journey') as JourneyLine[];
const HTTP_TITLE = /^(GET|POST|PUT|PATCH|DELETE|HEAD)\b/;

test('runner: a page 5xx and the element it then lacked are both kept in the store, the first as the reason', { timeout: 120_000 }, async () => {
  await sb.clearFaults();
  await sb.fault({ route: '/search', status: 500 });
  const results = tempDir('reasons-store-');
  const run = await runCli(['run', '--once', '--project', 'browser', '--journey', 'b2c-browser'], baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: results }));
  await sb.clearFaults();
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const [line] = journeyLines(results);
  const problems = line!.attempts[0]!.problems ?? [];
  // The root cause first, then what the user could not do, naming the step it happened in.
  assert.equal(problems.length, 2, JSON.stringify(problems));
  assert.equal(problems[0], 'GET /search (page): status 500');
  assert.match(problems[1]!, /^step "search": .*toBeVisible.*result-item/);
  assert.equal(line!.reason, 'GET /search (page): status 500 (+1 more)');
  assert.match(run.stdout, /b2c-browser\s+desktop\s+FAIL\s+\d+\s+GET \/search \(page\): status 500 \(\+1 more\)/);
});

const FLAKY_ROW = /guardrail\s+api\s+FLAKY \(2 attempts\)\s+\d+\s+first attempt: GET \/api\/flags: status 500 \(injected_fault\), expected 200/;
const RETRY_DELAY_MS = 1_000;
const flakyEnv = (results: string) => baseEnv({ ...sandboxEnv(sb.url), RETRIES: '1', RETRY_MIN_DELAY_MS: String(RETRY_DELAY_MS), RESULTS_DIR: results });

test('runner: a flaky journey shows why its first attempt failed', { timeout: 60_000 }, async () => {
  await sb.clearFaults();
  await sb.fault({ route: '/api/flags', status: 500, count: 1 });
  const results = tempDir('reasons-flaky-');
  const run = await runCli(['run', '--once', '--journey', 'guardrail'], flakyEnv(results));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, FLAKY_ROW);
  const [line] = journeyLines(results);
  assert.equal(line!.outcome, 'flaky');
  assert.equal(line!.reason, undefined, 'a journey that passed carries no failure reason; its first attempt does');
  assert.deepEqual(line!.attempts[0]!.problems, ['GET /api/flags: status 500 (injected_fault), expected 200']);
});

test('the same one-off fault: runner and Playwright Test both retry after the backoff and report flaky, 2 attempts, the same first reason', { timeout: 120_000 }, async () => {
  const out = tempDir('reasons-modes-');
  const seen: Record<string, JourneyLine> = {};
  for (const mode of ['runner', 'playwright'] as const) {
    await sb.clearFaults();
    await sb.fault({ route: '/api/flags', status: 500, count: 1 });
    // No PW_RETRIES (baseEnv drops PW_*): Playwright's retries come from RETRIES, as the runner's do.
    const env = flakyEnv(join(out, mode));
    const run = mode === 'runner'
      ? await runCli(['run', '--once', '--journey', 'guardrail'], env)
      : await runPlaywright(['--project', 'api', '--grep', 'guardrail'], {
        ...env, PW_OUTPUT_DIR: join(out, 'test-results'), PW_HTML_DIR: join(out, 'html'), PW_JSON_FILE: join(out, 'report.json'),
      });
    assert.equal(run.code, 0, `${mode}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, FLAKY_ROW, mode);
    [seen[mode]] = journeyLines(join(out, mode));
  }
  const summary = (l: JourneyLine) => ({ outcome: l.outcome, attempts: l.attempts.map((a) => [a.attempt, a.status, a.reason, a.problems]) });
  assert.deepEqual(summary(seen.playwright!), summary(seen.runner!));
  assert.equal(seen.runner!.outcome, 'flaky');

  // Both waited the backoff before the retry (Playwright's retry is a new worker, so the gap alone
  // proves nothing there: its retried test result lasted the delay, its attempt did not).
  const gap = (l: JourneyLine) => Date.parse(l.attempts[1]!.startedAt) - Date.parse(l.attempts[0]!.startedAt) - l.attempts[0]!.durationMs;
  assert.ok(gap(seen.runner!) >= RETRY_DELAY_MS - 20, `runner retried ${gap(seen.runner!)} ms after attempt 1`);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { suites: Array<{ specs: Array<{ tests: Array<{ results: Array<{ retry: number; status: string; duration: number }> }> }> }> };
  const results = report.suites[0]!.specs[0]!.tests[0]!.results;
  assert.deepEqual(results.map((r) => [r.retry, r.status]), [[0, 'failed'], [1, 'passed']]);
  assert.ok(results[1]!.duration >= RETRY_DELAY_MS - 20, `Playwright's retry lasted ${results[1]!.duration} ms`);
  assert.ok(seen.playwright!.attempts[1]!.durationMs < RETRY_DELAY_MS, 'the wait is not the attempt\'s own time');
});

/** Every step of a result that no `test.step` holds (hooks and fixtures are looked through). */
function outsideSteps(steps: TreeStep[]): TreeStep[] {
  return steps.flatMap((s) => (s.category === 'hook' || s.category === 'fixture' ? outsideSteps(s.steps) : [s]));
}
const allSteps = (steps: TreeStep[]): TreeStep[] => steps.flatMap((s) => [s, ...allSteps(s.steps)]);
const stepNamed = (steps: TreeStep[], title: string) => allSteps(steps).find((s) => s.category === 'test.step' && s.title === title);

test('Playwright Test: steps point at the journeys, a failed call is a red sub-step, no HTTP call at the top', { timeout: 180_000 }, async () => {
  await sb.clearFaults();
  await sb.fault({ route: '/api/scholarships/:id', status: 500 });
  await sb.fault({ route: '/search', status: 500 });
  const out = tempDir('reasons-steps-');
  const run = await runPlaywright(
    ['--project', 'api', '--project', 'desktop', '--grep', 'b2c-api|b2c-browser|payments-browser', '--reporter', `json,${join('test', 'support', 'step-tree-reporter.ts')}`],
    { ...baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: join(out, 'results') }), PW_OUTPUT_DIR: join(out, 'test-results'), PLAYWRIGHT_JSON_OUTPUT_FILE: join(out, 'report.json'), STEP_TREE_FILE: join(out, 'steps.json') },
  );
  await sb.clearFaults();
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const tree = JSON.parse(readFileSync(join(out, 'steps.json'), 'utf8')) as TreeResult[];
  const byTest = (title: string) => tree.find((r) => r.test === title)!.steps;
  assert.deepEqual(tree.map((r) => [r.test, r.status]).sort(), [['b2c-api', 'failed'], ['b2c-browser', 'failed'], ['payments-browser', 'passed']]);

  for (const r of tree) {
    // Every step and call sub-step at the journey's line (a journey file or its step helpers), not the harness.
    for (const s of allSteps(r.steps).filter((s) => s.category === 'test.step')) {
      assert.match(s.location ?? '', /\/journeys\/[\w./-]+\.ts:\d+$/, `${r.test}: step "${s.title}" at ${s.location}`);
      if (s.error) assert.match(s.error.location ?? '', /\/journeys\/[\w./-]+\.ts:\d+$/, `${r.test}: error of "${s.title}" at ${s.error.location}`);
    }
    const stray = outsideSteps(r.steps).filter((s) => HTTP_TITLE.test(s.title));
    assert.deepEqual(stray.map((s) => `${s.category} ${s.title} ${s.location}`), [], `${r.test}: HTTP calls outside every step`);
  }

  // The API call that failed its check is its own red step, inside the step it failed.
  const details = stepNamed(byTest('b2c-api'), 'details')!;
  assert.match(details.location!, /journeys\/b2c-api\.journey\.ts:\d+$/);
  assert.match(details.error?.location ?? '', /journeys\/b2c-api\.journey\.ts:\d+$/);
  const call = details.steps.find((s) => s.title === 'GET /api/scholarships/:id')!;
  assert.match(call.error?.message ?? '', /status 500/);
  // Calls that passed their checks stay green.
  assert.equal(stepNamed(byTest('b2c-api'), 'GET /api/scholarships')?.error, undefined);
  // The page's 500 is a red sub-step of the step it broke.
  const search = stepNamed(byTest('b2c-browser'), 'search')!;
  assert.match(search.error?.location ?? '', /journeys\/b2c-browser\.journey\.ts:\d+$/);
  assert.ok(search.steps.some((s) => s.title === 'GET /search (page): status 500' && s.error), JSON.stringify(search.steps.map((s) => s.title)));
  // The payment guard's own fetch sits in the step that armed it.
  const checkout = stepNamed(byTest('payments-browser'), 'checkout init')!;
  assert.ok(checkout.steps.some((s) => s.category === 'pw:api' && s.title === 'POST'), JSON.stringify(checkout.steps.map((s) => s.title)));

  // Playwright's own JSON report says the same of the failing journey's steps.
  type JsonStep = { title: string; error?: { location?: { file: string } }; steps?: JsonStep[] };
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { suites: Array<{ specs: Array<{ title: string; tests: Array<{ results: Array<{ steps?: JsonStep[] }> }> }> }> };
  const spec = report.suites.flatMap((s) => s.specs).find((s) => s.title === 'b2c-api')!;
  const steps = spec.tests[0]!.results[0]!.steps ?? [];
  assert.deepEqual(steps.filter((s) => HTTP_TITLE.test(s.title)).map((s) => s.title), []);
  const jsonDetails = steps.find((s) => s.title === 'details')!;
  assert.match(jsonDetails.error?.location?.file ?? '', /journeys\/b2c-api\.journey\.ts$/);
  assert.ok(jsonDetails.steps?.find((s) => s.title === 'GET /api/scholarships/:id')?.error, 'the failing call\'s sub-step has an error');
  // And the test's own error (the report's headline code frame) points at the failing step's line.
  const testError = (spec.tests[0]!.results[0] as { error?: { location?: { file: string; line: number } } }).error;
  assert.match(testError?.location?.file ?? '', /journeys\/b2c-api\.journey\.ts$/, JSON.stringify(testError));
});
