// A sink that fails (here the results store: today's file is a directory) is one log line and a
// counter, in both run modes; the metrics still reach the Pushgateway and the run is not red.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resultsFileFor } from '../../reporters/results-store/index.ts';
import { baseEnv, runCli, runPlaywright, tempDir } from '../support/cli.ts';
import { sandboxEnv } from '../support/sandbox.ts';
import { gatewaySamples, useSandboxAndPushgateway, valueOf } from './helpers.ts';

const services = useSandboxAndPushgateway();

/** A results dir whose day file cannot be appended to, while locks and cron state still work. */
function brokenResultsDir(): string {
  const dir = tempDir('broken-store-');
  // Today and tomorrow: a run that crosses midnight UTC still finds its file broken.
  for (const day of [0, 1]) mkdirSync(resultsFileFor(dir, new Date(Date.now() + day * 86_400_000)));
  return dir;
}

const failureLines = (output: string) => output.split('\n').filter((l) => /results store .*: write failed/.test(l));

for (const mode of ['runner', 'playwright'] as const) {
  test(`${mode}: a failing results store is one line and a counter; metrics are still pushed, the run passes`, { timeout: 120_000 }, async () => {
    const results = brokenResultsDir();
    const runner = `sink-${mode}`;
    const env = baseEnv({ ...sandboxEnv(services.sb.url), RESULTS_DIR: results, PUSHGATEWAY_URL: services.gateway, RUNNER_ID: runner, TARGET_NAME: 'canary' });
    const run = mode === 'runner'
      ? await runCli(['run', '--once', '--project', 'api', '--journey', 'health'], env)
      : await runPlaywright(['--project', 'api', '--grep', 'health'], { ...env, PW_OUTPUT_DIR: join(results, 'tr'), PW_HTML_DIR: join(results, 'html') });
    const output = run.stdout + run.stderr;
    assert.equal(run.code, 0, output);
    assert.match(run.stdout, /1 of 1 journeys passed/, 'the summary sink, after the failed one, still printed');
    const lines = failureLines(output);
    assert.equal(lines.length, 1, output);
    assert.match(lines[0]!, /results store \S+: write failed for target canary \(EISDIR[^)]*\); the other sinks have it$/);
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
    const samples = await gatewaySamples(services.gateway);
    const group = { job: 'synthetics', runner, target: 'canary' };
    assert.equal(valueOf(samples, 'synthetic_sink_failures_total', { ...group, sink: 'results-store' }), 1);
    assert.equal(valueOf(samples, 'synthetic_journey_success', { ...group, journey: 'health' }), 1, 'the metrics sink got the batch');
  });
}
