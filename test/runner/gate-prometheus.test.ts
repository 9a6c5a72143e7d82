// `--source prometheus` (PromQL over the metrics the runner pushed, scraped by a real Prometheus)
// and `--source local` (the results store) give the same verdicts on the same data, within the
// histogram's bucket resolution.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GateResult } from '../../gate/decision-types.ts';
import { REQUEST_BUCKETS } from '../../reporters/metrics.ts';
import { baseEnv, runCli, tempDir } from '../support/cli.ts';
import { RUNBOOK } from '../support/api-runbook.ts';
import { sandbox, sandboxEnv } from '../support/sandbox.ts';
import { poll, startRunner, useServicesAndSandbox } from './helpers.ts';

const stack = useServicesAndSandbox();


async function gate(args: string[]): Promise<GateResult> {
  const run = await runCli(['gate', '--phase', '5', '--time-scale', '0.05', '--json', ...args], baseEnv(), { timeoutMs: 60_000 });
  assert.equal(run.stderr, '', run.stderr);
  return JSON.parse(run.stdout) as GateResult;
}

/** Both values in the same request bucket (ms), or equal when they are not latencies. */
function agree(metric: string, local: number | null, prom: number | null): boolean {
  if (local === null || prom === null) return local === prom;
  if (!metric.startsWith('latency')) return Math.abs(local - prom) <= Math.max(0.5, Math.abs(local) * 0.05);
  const edges = [0, ...REQUEST_BUCKETS.map((e) => e * 1000), Infinity];
  const bucket = (ms: number) => edges.findIndex((e, i) => ms > e && ms <= edges[i + 1]!);
  return Math.abs(bucket(local) - bucket(prom)) <= 1;
}

test('--source prometheus agrees with --source local: go on good data, rollback on injected latency', { timeout: 180_000 }, async (t) => {
  const canary = await sandbox({ buildId: 'b-canary' });
  t.after(() => canary.close());
  const dir = tempDir('gate-prom-');
  const results = join(dir, 'results');
  const runbook = join(dir, 'canary.yaml');
  writeFileSync(runbook, RUNBOOK);
  const r = startRunner(['run', '--every', '1s', '--project', 'api', '--target', `control=${stack.sb.url}`, '--target', `canary=${canary.url}`],
    baseEnv({ ...sandboxEnv(canary.url), RESULTS_DIR: results, RUNNER_ID: `gate-prom-${process.pid}`, PUSHGATEWAY_URL: stack.services.pushgatewayUrl, STOPPED_GROUP: 'mark' }));
  const both = (at: string) => Promise.all([
    gate(['--runbook', runbook, '--results', results, '--at', at]),
    gate(['--runbook', runbook, '--source', 'prometheus', '--prometheus', stack.services.prometheusUrl, '--at', at]),
  ]);
  const compare = async (expected: string) => {
    // A moment in the past, so Prometheus has scraped every push up to it.
    const at = new Date(Date.now() - 3000).toISOString();
    const [local, prom] = await both(at);
    t.diagnostic(`${expected}: local ${local.decision} (${local.reason}); prometheus ${prom.decision} (${prom.reason})`);
    for (const c of local.checks) {
      const p = prom.checks.find((x) => x.name === c.name)!;
      t.diagnostic(`  ${c.name}: local ${c.observed.canary}/${c.observed.control} (n ${c.samples.canary}) ok ${c.ok} held ${c.heldFor}; prometheus ${p.observed.canary}/${p.observed.control} (n ${p.samples.canary}) ok ${p.ok} held ${p.heldFor}: ${p.reason}`);
    }
    return { local, prom };
  };
  await poll('go from the store', async () => (await gate(['--runbook', runbook, '--results', results])).decision === 'go' || undefined, 60_000, 1000);
  // Prometheus sees a push a scrape after the store sees its lines, and a cycle's calls only at
  // its push: let both pass the window, then they must agree.
  const good = await poll('both sources to say go at the same moment', async () => {
    const both = await compare('go');
    return both.local.decision === 'go' && both.prom.decision === 'go' ? both : undefined;
  }, 20_000, 1000);
  for (const c of good.local.checks) {
    const p = good.prom.checks.find((x) => x.name === c.name)!;
    assert.equal(p.ok, c.ok, c.name);
    assert.ok(agree(c.metric, c.observed.canary, p.observed.canary), `${c.name}: local ${c.observed.canary}, prometheus ${p.observed.canary}`);
  }

  // Only the search and details routes slow down: cycles stay shorter than a (scaled) minute, so
  // every minute holds a push; a cycle longer than a minute lumps its calls into one push, and
  // Prometheus then sees empty minutes the store does not.
  await canary.fault({ route: '/api/scholarships', latencyMs: 220 });
  await poll('rollback from the store', async () => (await gate(['--runbook', runbook, '--results', results])).decision === 'rollback' || undefined, 60_000, 1000);
  // Prometheus sees a cycle's calls at its push, the store at each call: in a scaled minute (3 s)
  // that can shift a minute's samples into the next. Both must agree within a couple of minutes.
  const bad = await poll('both sources to say rollback at the same moment', async () => {
    const both = await compare('rollback');
    return both.local.decision === 'rollback' && both.prom.decision === 'rollback' ? both : undefined;
  }, 20_000, 1000);
  assert.match(bad.prom.reason, /^rollback: p95-high/);
  assert.match(bad.local.reason, /^rollback: p95-high/);
  const [lt, pt] = [bad.local, bad.prom].map((r) => r.checks.find((c) => c.name === 'p95-high')!);
  assert.ok(lt!.observed.canary! > 160 && pt!.observed.canary! > 160, `${lt!.observed.canary} / ${pt!.observed.canary}`);
  await canary.clearFaults();
  await r.stop();
});
