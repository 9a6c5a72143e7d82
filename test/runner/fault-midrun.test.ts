// A fault that starts and ends while the runner keeps cycling: the Pushgateway group shows the
// journey go red, its consecutive-failure count climb cycle after cycle (the runbook's rollback
// trigger reads it), and both recover when the fault is cleared. A SIGTERM then ends the runner
// cleanly and marks the group as stopped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectJourneys } from '../../journeys/index.ts';
import { baseEnv, tempDir } from '../support/cli.ts';
import { sandboxEnv } from '../support/sandbox.ts';
import { gatewaySamples, poll, startRunner, valueOf, useServicesAndSandbox } from './helpers.ts';

const RUNNER_ID = `midrun-test-${process.pid}`;
const API_JOURNEYS = selectJourneys('api').length;

const stack = useServicesAndSandbox();

test('a 500 fault mid-run: success 0 and consecutive failures 1 → 2 → 3, then recovery; SIGTERM marks the group stopped', { timeout: 120_000 }, async (t) => {
  const runner = startRunner(
    ['run', '--every', '1s', '--project', 'api', '--target', `canary=${stack.sb.url}`],
    // mark: the stopped group stays with runner_up 0 (the default deletes it; lifecycle.test.ts covers that).
    baseEnv({ ...sandboxEnv(stack.sb.url), PUSHGATEWAY_URL: stack.services.pushgatewayUrl, RUNNER_ID, REGION: 'test-region', RESULTS_DIR: tempDir(), STOPPED_GROUP: 'mark' }),
  );
  const group = { job: 'synthetics', runner: RUNNER_ID, target: 'canary' };
  const read = async (journey: string) => {
    const samples = await gatewaySamples(stack.services.pushgatewayUrl);
    return {
      success: valueOf(samples, 'synthetic_journey_success', { ...group, journey }),
      consecutive: valueOf(samples, 'synthetic_consecutive_failures', { ...group, journey }),
      up: valueOf(samples, 'synthetic_runner_up', group),
    };
  };

  // Two green cycles first, and the group says so.
  await runner.waitForCycles(2, 30_000, (c) => c.failed === 0 && c.total === API_JOURNEYS && !c.pushFailed);
  const green = await read('guardrail');
  assert.deepEqual(green, { success: 1, consecutive: 0, up: 1 });

  // The guardrail journey's only call now fails (RETRIES=0: one attempt per cycle).
  await stack.sb.fault({ route: '/api/flags', status: 500 });
  const faultAt = runner.cycles().length;
  const seen: number[] = [];
  await poll('consecutive failures to reach 3', async () => {
    const now = await read('guardrail');
    if (now.consecutive !== undefined && now.consecutive !== seen[seen.length - 1]) {
      seen.push(now.consecutive);
      // While the fault lasts, every value the group shows past 0 comes with success 0.
      if (now.consecutive > 0) assert.equal(now.success, 0, `consecutive ${now.consecutive} with success ${now.success}`);
    }
    return now.consecutive !== undefined && now.consecutive >= 3;
  }, 30_000, 100, () => `seen: ${seen.join(' → ')}\n${runner.output()}`);
  t.diagnostic(`consecutive failures seen: ${seen.join(' → ')}`);
  assert.deepEqual(seen.filter((v) => v > 0).slice(0, 3), [1, 2, 3], `the count must climb by one a cycle: ${seen.join(' → ')}`);
  // Other journeys that do not touch /api/flags stay green meanwhile.
  assert.equal((await read('health')).success, 1);
  const red = runner.cycles().slice(faultAt).filter((c) => c.failed > 0);
  assert.ok(red.length >= 3, runner.output());
  assert.ok(red.some((c) => /guardrail\/api: GET \/api\/flags: status 500/.test(c.reason ?? '')), `no cycle line names the failing call:\n${red.map((c) => c.line).join('\n')}`);

  // Clear it: back to green, the count back to 0.
  await stack.sb.clearFaults();
  await poll('guardrail to recover', async () => {
    const now = await read('guardrail');
    return now.success === 1 && now.consecutive === 0;
  }, 30_000, 100, () => runner.output());

  // SIGTERM: exit 0 and a last push with runner_up 0.
  const code = await runner.stop('SIGTERM');
  assert.equal(code, 0, runner.output());
  assert.match(runner.output(), /stopped after \d+ cycle\(s\)/);
  assert.equal((await read('guardrail')).up, 0, 'synthetic_runner_up of the stopped runner');
});
