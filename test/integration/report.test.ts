// `synthetics report` over a store that real runs wrote: a failed and a flaky journey, then a
// clean run, read back as text and as JSON.
// Run: node --import tsx --test test/integration/report.test.ts
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { OutcomeRow } from '../../reporters/history.ts';
import type { RouteLatency } from '../../reporters/latency.ts';
import { baseEnv, runCli, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';

let sb: SandboxHandle;
const results = tempDir('report-');
let faultyRun: { from: string; to: string };

before(async () => {
  sb = await sandbox();
  const env = baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: results, RETRIES: '1' });
  const run = () => runCli(['run', '--once', '--project', 'api', '--journey', 'guardrail,payments-api'], env);
  // guardrail's first call gets a 503 and its retry passes (flaky); payments-api never gets its prices (failed).
  await sb.fault({ route: '/api/flags', status: 503, count: 1 });
  await sb.fault({ route: '/api/pricing', status: 503 });
  const from = new Date().toISOString();
  const first = await run();
  faultyRun = { from, to: new Date().toISOString() };
  assert.equal(first.code, 1, first.stdout + first.stderr);
  await sb.clearFaults();
  const second = await run();
  assert.equal(second.code, 0, second.stdout + second.stderr);
});
after(async () => {
  await sb.close();
});

test('text: outcomes per journey, failures first, the last failure with its time and reason; then latency', async () => {
  const res = await runCli(['report', '--results', results], baseEnv());
  assert.equal(res.code, 0, res.stderr);
  const [outcomes, summary, latency] = res.stdout.split('\n\n');
  const lines = outcomes!.split('\n');
  assert.match(lines[0]!, /^JOURNEY\s+DEVICE\s+TARGET\s+BUILD\s+PASSED\s+FLAKY\s+FAILED\s+ABORTED\s+LAST FAILURE\s+REASON$/);
  assert.match(lines[1]!, /^payments-api\s+api\s+default\s+\S+\s+1\s+0\s+1\s+0\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+GET \/api\/pricing: status 503 \(injected_fault\), expected 200$/);
  assert.match(lines[2]!, /^guardrail\s+api\s+default\s+\S+\s+1\s+1\s+0\s+0$/);
  assert.equal(lines.length, 3, outcomes);
  assert.equal(summary, '4 journey runs: 2 passed, 1 flaky, 1 failed, 0 aborted');
  assert.match(latency!, /^ROUTE\s+N\s+P50/m);
  assert.match(latency!, /^GET \/api\/flags\s/m);
  assert.doesNotMatch(res.stdout, /\x1b\[/, 'plain text');
});

test('--json: { latency, outcomes } with the counts and the last failure', async () => {
  const res = await runCli(['report', '--results', results, '--json'], baseEnv());
  assert.equal(res.code, 0, res.stderr);
  const report = JSON.parse(res.stdout) as { latency: RouteLatency[]; outcomes: OutcomeRow[] };
  assert.deepEqual(Object.keys(report), ['latency', 'outcomes']);
  const [payments, guardrail] = report.outcomes;
  assert.deepEqual([payments!.journey, payments!.passed, payments!.flaky, payments!.failed, payments!.aborted], ['payments-api', 1, 0, 1, 0]);
  assert.deepEqual([guardrail!.journey, guardrail!.passed, guardrail!.flaky, guardrail!.failed, guardrail!.aborted], ['guardrail', 1, 1, 0, 0]);
  assert.equal(guardrail!.lastFailure, null);
  const f = payments!.lastFailure!;
  assert.equal(f.reason, 'GET /api/pricing: status 503 (injected_fault), expected 200');
  assert.ok(f.at >= faultyRun.from && f.at <= faultyRun.to, `last failure at ${f.at}, the faulty run was ${faultyRun.from} to ${faultyRun.to}`);
  assert.equal(f.evidence, null, 'an API journey keeps no screenshot');
  assert.equal(payments!.target, 'default');
  // Latency counts first attempts only: guardrail's 503 was answered, its retry is left out.
  const flags = report.latency.find((r) => r.route === 'GET /api/flags');
  assert.equal(flags?.count, 2, JSON.stringify(report.latency));
});

test('--target and --since narrow both tables', async () => {
  const other = JSON.parse((await runCli(['report', '--results', results, '--json', '--target', 'control'], baseEnv())).stdout);
  assert.deepEqual(other, { latency: [], outcomes: [] });
  const mine = JSON.parse((await runCli(['report', '--results', results, '--json', '--target', 'default', '--since', '1h'], baseEnv())).stdout);
  assert.equal(mine.outcomes.length, 2);
  const text = await runCli(['report', '--results', results, '--target', 'control'], baseEnv());
  assert.match(text.stdout, /^no journey runs in the window$/m);
});
