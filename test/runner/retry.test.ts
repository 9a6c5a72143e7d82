// Retry semantics of one journey run: a failure the retries absorb is "flaky" (never green), one
// they do not is "failed", every attempt is recorded with its calls, retried calls are marked as
// such, and the backoff between attempts really waits.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { baseEnv, readResults, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';
import { cleanupProcesses, runToEnd } from './helpers.ts';

const MIN_DELAY_MS = 50;
// startedAt is truncated to the ms and durationMs rounded to it: a gap measured from them can read
// up to ~2 ms short of the real one.
const CLOCK_SLACK_MS = 2;

let sb: SandboxHandle | undefined;

before(async () => {
  sb = await sandbox();
});
beforeEach(async () => {
  await sb!.clearFaults();
  await sb!.clearRequests();
});
after(async () => {
  await cleanupProcesses();
  await sb?.close();
});

interface Attempt { attempt: number; status: string; startedAt: string; durationMs: number; reason?: string; runId: string }

async function runGuardrail(): Promise<{ code: number | null; output: string; journey: Record<string, unknown> & { attempts: Attempt[] }; calls: Array<Record<string, unknown>> }> {
  const results = tempDir('synthetics-retry-');
  const { code, output } = await runToEnd(
    ['run', '--once', '--journey', 'guardrail'],
    baseEnv({ ...sandboxEnv(sb!.url), RETRIES: '2', RETRY_MIN_DELAY_MS: String(MIN_DELAY_MS), RETRY_FACTOR: '2', RESULTS_DIR: results }),
    60_000,
  );
  const lines = readResults(results);
  const journeys = lines.filter((l) => l.type === 'journey');
  assert.equal(journeys.length, 1, output);
  // The runner's own build probe is a call of the cycle, not of the journey.
  return { code, output, journey: journeys[0] as never, calls: lines.filter((l) => l.type === 'call' && l.source !== 'probe') };
}

/** ms between the end of attempt i-1 and the start of attempt i. */
const gap = (attempts: Attempt[], i: number) =>
  Date.parse(attempts[i]!.startedAt) - (Date.parse(attempts[i - 1]!.startedAt) + attempts[i - 1]!.durationMs);

test('a failure only the first attempt sees: exit 0, outcome flaky, 2 attempts, retried calls marked, backoff waited', { timeout: 60_000 }, async () => {
  await sb!.fault({ route: '/api/flags', status: 500, count: 1 });
  const { code, output, journey, calls } = await runGuardrail();
  assert.equal(code, 0, output);
  assert.equal(journey.outcome, 'flaky', output);
  assert.equal(journey.reason, undefined, 'a flaky journey carries no failure reason');
  const attempts = journey.attempts;
  assert.deepEqual(attempts.map((a) => [a.attempt, a.status]), [[1, 'failed'], [2, 'passed']]);
  assert.match(attempts[0]!.reason ?? '', /GET \/api\/flags/);
  assert.match(attempts[0]!.reason ?? '', /\b500\b/);
  assert.notEqual(attempts[0]!.runId, attempts[1]!.runId, 'each attempt has its own run id');

  // The calls: attempt 1's is the 500, not a retry; attempt 2's is the 200, a retry.
  assert.deepEqual(calls.map((c) => [c.attempt, c.retry, c.status, c.route]), [[1, false, 500, '/api/flags'], [2, true, 200, '/api/flags']]);
  for (const c of calls) assert.equal(c.runId, attempts[(c.attempt as number) - 1]!.runId);
  // …and the sandbox really saw two requests.
  const seen = (await sb!.requests()).filter((r) => r.path === '/api/flags').map((r) => r.status);
  assert.deepEqual(seen, [500, 200]);

  assert.ok(gap(attempts, 1) >= MIN_DELAY_MS - CLOCK_SLACK_MS, `attempt 2 started ${gap(attempts, 1)} ms after attempt 1 ended (backoff ${MIN_DELAY_MS} ms)`);
  assert.match(output, /FLAKY \(2 attempts\)/);
});

test('a failure longer than the retries: exit 1, outcome failed, 3 attempts with growing backoff', { timeout: 60_000 }, async () => {
  await sb!.fault({ route: '/api/flags', status: 500, count: 3 });
  const { code, output, journey, calls } = await runGuardrail();
  assert.equal(code, 1, output);
  assert.equal(journey.outcome, 'failed', output);
  const attempts = journey.attempts;
  assert.deepEqual(attempts.map((a) => [a.attempt, a.status]), [[1, 'failed'], [2, 'failed'], [3, 'failed']]);
  for (const a of attempts) assert.match(a.reason ?? '', /GET \/api\/flags: status 500/);
  assert.match(String(journey.reason), /GET \/api\/flags: status 500/, 'the journey reason is its last attempt\'s');
  assert.deepEqual(calls.map((c) => [c.attempt, c.retry, c.status]), [[1, false, 500], [2, true, 500], [3, true, 500]]);
  assert.deepEqual((await sb!.requests()).filter((r) => r.path === '/api/flags').map((r) => r.status), [500, 500, 500]);
  // Exponential backoff: 50 ms, then 100 ms (RETRY_FACTOR=2).
  assert.ok(gap(attempts, 1) >= MIN_DELAY_MS - CLOCK_SLACK_MS, `retry 1 waited ${gap(attempts, 1)} ms`);
  assert.ok(gap(attempts, 2) >= 2 * MIN_DELAY_MS - CLOCK_SLACK_MS, `retry 2 waited ${gap(attempts, 2)} ms`);
  // The run took at least the backoff it claims.
  assert.ok((journey.durationMs as number) >= 3 * MIN_DELAY_MS - CLOCK_SLACK_MS, `journey took ${journey.durationMs} ms`);
});
