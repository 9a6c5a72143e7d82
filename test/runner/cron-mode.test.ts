import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { baseEnv, runCli, runPlaywright, tempDir } from '../support/cli.ts';
import { sandboxEnv } from '../support/sandbox.ts';
import { gatewaySamples, select, useSandboxAndPushgateway, valueOf } from './helpers.ts';

const services = useSandboxAndPushgateway();

const sum = (samples: ReturnType<typeof select>) => samples.reduce((a, s) => a + s.value, 0);

test('cron mode: each run --once adds to the counters of the runs before it, and carries consecutive failures', { timeout: 120_000 }, async () => {
  const results = tempDir('cron-');
  const env = baseEnv({ ...sandboxEnv(services.sb.url), RESULTS_DIR: results, PUSHGATEWAY_URL: services.gateway, RUNNER_ID: 'cron-test', TARGET_NAME: 'canary' });
  const group = { job: 'synthetics', runner: 'cron-test', target: 'canary' };
  const journeys = ['--project', 'api', '--journey', 'health,guardrail'];

  assert.equal((await runCli(['run', '--once', ...journeys], env)).code, 0);
  const first = await gatewaySamples(services.gateway);
  const runs1 = sum(select(first, 'synthetic_journey_runs_total', group));
  const count1 = sum(select(first, 'synthetic_request_duration_seconds_count', group));
  assert.equal(runs1, 2);
  assert.ok(count1 >= 5, `${count1} requests observed`);

  await services.sb.fault({ route: '/api/flags', status: 500 });
  assert.equal((await runCli(['run', '--once', ...journeys], env)).code, 1);
  assert.equal((await runCli(['run', '--once', ...journeys], env)).code, 1);
  await services.sb.clearFaults();
  const third = await gatewaySamples(services.gateway);
  // Counters grow across processes exactly as one long-running process would make them grow.
  assert.equal(sum(select(third, 'synthetic_journey_runs_total', group)), 6);
  assert.equal(valueOf(third, 'synthetic_journey_runs_total', { ...group, journey: 'guardrail', outcome: 'failed' }), 2);
  assert.equal(valueOf(third, 'synthetic_journey_runs_total', { ...group, journey: 'guardrail', outcome: 'passed' }), 1);
  assert.ok(sum(select(third, 'synthetic_request_duration_seconds_count', group)) >= 3 * count1 - 2);
  // Gauges describe the last run only; consecutive failures come from the saved state.
  assert.equal(valueOf(third, 'synthetic_journey_success', { ...group, journey: 'guardrail' }), 0);
  assert.equal(valueOf(third, 'synthetic_consecutive_failures', { ...group, journey: 'guardrail' }), 2);
  assert.equal(valueOf(third, 'synthetic_journey_success', { ...group, journey: 'health' }), 1);

  // A Playwright run is a new process too: it continues the same counters.
  const pw = await runPlaywright(['--project', 'api', '--grep', 'guardrail'], { ...env, PW_OUTPUT_DIR: join(results, 'tr'), PW_HTML_DIR: join(results, 'html') });
  assert.equal(pw.code, 0, pw.stdout + pw.stderr);
  const fourth = await gatewaySamples(services.gateway);
  assert.equal(sum(select(fourth, 'synthetic_journey_runs_total', group)), 7);
  assert.equal(valueOf(fourth, 'synthetic_consecutive_failures', { ...group, journey: 'guardrail' }), 0);
});
