// `synthetics rules`: from one runbook, the rules promtool checks and unit-tests (each alert fires
// after exactly its window, not before, and resolves), an Alertmanager config amtool accepts,
// Argo Rollouts and Flagger documents valid against the real CRDs, what ci/ keeps is what the
// runbook makes today, and a real Prometheus loaded with the rules fires and resolves an alert
// for a fault injected into a real sandbox canary.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { baseEnv, ROOT, runCli, tempDir } from '../support/cli.ts';
import { readCrd, validate, type Crd } from '../support/crds.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';
import { cleanupProcesses, poll, startRunner, startServices, type Services } from '../runner/helpers.ts';

const run = promisify(execFile);
const RULES = 'prometheus/synthetic-canary.rules.yml';
const RULE_TESTS = 'prometheus/synthetic-canary.rules.test.yml';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** `synthetics rules` into a fresh folder; the baseline makes the baseline triggers alerts too. */
async function generate(extra: string[] = []): Promise<string> {
  const out = tempDir('rules-');
  const baseline = join(out, 'baseline.json');
  writeFileSync(baseline, JSON.stringify({ metrics: { latency_p95: 100, time_to_value_p80: 1000 } }));
  const r = await runCli(['rules', '--out', join(out, 'gen'), '--baseline', baseline, ...extra], baseEnv(), { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return join(out, 'gen');
}

describe('generated from the shipped runbook', () => {
  let dir: string;
  before(async () => {
    dir = await generate();
  });

  test('promtool check rules passes; every rollback trigger of both profiles is an alert, with routing labels and annotations', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', join(dir, RULES)]);
    assert.match(stdout, /SUCCESS: \d+ rules found/);
    const rules = parse(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ name: string; rules: Array<Record<string, any>> }> };
    const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
    const runbook = parse(readFileSync(join(ROOT, 'runbook/canary.yaml'), 'utf8')) as { profiles: Record<string, { checks: Array<{ name: string; kind: string }> }> };
    for (const [profile, p] of Object.entries(runbook.profiles)) {
      for (const c of p.checks.filter((x) => x.kind === 'trigger')) {
        const a = alerts.find((x) => x.labels.trigger === c.name && x.labels.profile === profile);
        assert.ok(a, `no alert for ${profile}/${c.name}`);
        for (const l of ['severity', 'phase', 'trigger', 'canary']) assert.ok(a.labels[l], `${a.alert}: label ${l}`);
        assert.match(a.annotations.summary, /[<>]=? \d/, `${a.alert}: the summary names the threshold`);
        assert.match(a.annotations.runbook_section, /^runbook\.md#rollback-triggers/);
      }
    }
    // "For 5 consecutive minutes" is 5 one-minute evaluations: pending at the first, firing at the fifth.
    assert.equal(alerts.find((a) => a.alert === 'SyntheticCanaryP95High')!.for, '4m');
    assert.equal(alerts.find((a) => a.alert === 'SyntheticCanarySyntheticFailures')!.for, undefined);
    const recorded = rules.groups.flatMap((g) => g.rules).filter((r) => r.record).map((r) => r.record);
    for (const r of ['synthetic:critical_route_latency_ms:p50', 'synthetic:critical_route_latency_ms:p95', 'synthetic:critical_route_latency_ms:p99', 'synthetic:error_5xx:percent', 'synthetic:schema_failure:percent']) assert.ok(recorded.includes(r), r);
    for (const a of ['SyntheticRunnerStale', 'SyntheticCanaryTargetAbsent', 'SyntheticControlTargetAbsent']) assert.ok(alerts.some((x) => x.alert === a), a);
  });

  test('promtool test rules: each alert fires after exactly its window, not before, and resolves', { timeout: 300_000 }, async () => {
    // The cases are independent: two promtool processes share them, one per core.
    const tests = parse(readFileSync(join(dir, RULE_TESTS), 'utf8')) as { tests: unknown[] };
    const halves = [0, 1].map((h) => {
      const file = join(dir, 'prometheus', `half-${h}.test.yml`);
      writeFileSync(file, stringify({ ...tests, tests: tests.tests.filter((_, i) => i % 2 === h) }, { lineWidth: 0 }));
      return file;
    });
    const results = await Promise.all(halves.map((f) => run('promtool', ['test', 'rules', f], { maxBuffer: 1 << 24 }).then((r) => r.stdout, (e: { stdout?: string; stderr?: string }) => `${e.stdout}\n${e.stderr}`)));
    for (const r of results) assert.match(r, /SUCCESS/, r.slice(0, 4000));
  });

  test('the promtool cases can fail: a trigger one bucket early fails its case', { timeout: 120_000 }, async () => {
    const rules = parse(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ rules: Array<Record<string, any>> }> };
    const p95 = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SyntheticCanaryP95High')!;
    p95.for = '3m';
    const mutated = join(dir, 'prometheus', 'mutated.rules.yml');
    writeFileSync(mutated, stringify(rules, { lineWidth: 0 }));
    const tests = parse(readFileSync(join(dir, RULE_TESTS), 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string }> }> };
    const only = tests.tests.filter((c) => c.alert_rule_test.some((a) => a.alertname === 'SyntheticCanaryP95High'));
    const file = join(dir, 'prometheus', 'mutated.test.yml');
    writeFileSync(file, stringify({ ...tests, rule_files: ['mutated.rules.yml'], tests: only }, { lineWidth: 0 }));
    const r = await run('promtool', ['test', 'rules', file]).then(() => 'passed', (e: { stdout?: string; stderr?: string }) => `${e.stdout}${e.stderr}`);
    assert.match(r, /FAILED/);
    assert.match(r, /SyntheticCanaryP95High, time: 14m/, 'firing a bucket early is caught at the "not yet" moment');
  });

  test('amtool check-config passes; the ship-room route groups by trigger and canary; no webhook URL is written', async () => {
    const file = join(dir, 'alertmanager/alertmanager.yml');
    const { stdout } = await run('amtool', ['check-config', file]);
    assert.match(stdout, /SUCCESS/);
    const text = readFileSync(file, 'utf8');
    const config = parse(text) as { route: { routes: Array<{ receiver: string; group_by: string[]; matchers: string[] }> }; receivers: Array<{ name: string; slack_configs?: Array<{ api_url_file: string }> }> };
    const route = config.route.routes.find((r) => r.receiver === 'ship-room')!;
    assert.deepEqual(route.group_by, ['trigger', 'canary']);
    assert.deepEqual(route.matchers, ['source="synthetics"']);
    assert.equal(config.receivers.find((r) => r.name === 'ship-room')!.slack_configs![0]!.api_url_file, '/etc/alertmanager/secrets/ship-room-webhook-url');
    assert.doesNotMatch(text.replace(/^#.*$/gm, ''), /https?:\/\//, 'no URL in the config');
    // amtool can fail: a route to a receiver that does not exist is refused.
    const broken = join(dir, 'alertmanager/broken.yml');
    writeFileSync(broken, text.replace('receiver: ship-room', 'receiver: nowhere'));
    await assert.rejects(run('amtool', ['check-config', broken]));
  });

  test('the Argo Rollouts and Flagger documents validate against the real CRDs', () => {
    const crds: Crd[] = ['argo-rollouts-analysistemplate.crd.yaml', 'flagger-canary.crd.yaml', 'flagger-metrictemplate.crd.yaml'].map(readCrd);
    const docs = filesUnder(dir).filter((f) => /(argo-rollouts|flagger)\/.*\.yaml$/.test(f))
      .flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => ({ file: relative(dir, f), doc: d.toJS() as Record<string, any> })));
    const kinds = docs.map((d) => d.doc.kind);
    assert.ok(kinds.filter((k) => k === 'AnalysisTemplate').length >= 3, 'gate template and one Prometheus template per profile');
    assert.ok(kinds.filter((k) => k === 'MetricTemplate').length >= 10, 'one MetricTemplate per trigger');
    assert.ok(kinds.includes('Canary'));
    for (const { file, doc } of docs) assert.deepEqual(validate(crds, doc), [], `${file}: ${doc.kind} ${doc.metadata?.name}`);
    const canary = docs.find((d) => d.doc.kind === 'Canary')!.doc;
    const templates = new Set(docs.filter((d) => d.doc.kind === 'MetricTemplate').map((d) => d.doc.metadata.name));
    for (const m of canary.spec.analysis.metrics) assert.ok(templates.has(m.templateRef.name), `Canary metric ${m.name} references a template that exists`);
    const prom = docs.find((d) => d.file.endsWith('prometheus-default.yaml'))!.doc;
    const p95 = prom.spec.metrics.find((m: { name: string }) => m.name === 'p95-high');
    assert.match(p95.provider.prometheus.query, /min_over_time\(.*\[5m:1m\]\)/, '5 consecutive minutes folded into the query');
  });

  test('the Markdown runbook lists endpoints, thresholds per phase and profile, alerts, rollback steps, roles and payment caps', () => {
    const md = readFileSync(join(dir, 'runbook.md'), 'utf8');
    for (const heading of ['## What is watched', '## Profile `default`', '## Profile `strict`', '### Phases and payment caps', '### Go gates', '### Rollback triggers', '## Alerts and what each means', '### Staleness and absence', '## Rollback steps', '## Who is paged']) {
      assert.ok(md.includes(heading), heading);
    }
    for (const s of ['GET /api/scholarships', '@sre-oncall', '$1500 in total', 'SyntheticCanaryP95High', 'latency_p95 > 160 ms, for 5 consecutive minutes', '1. Freeze the rollout']) assert.ok(md.includes(s), s);
  });
});

test('ci/ holds what the runbook makes today: regenerate with `synthetics rules --out ci`', async () => {
  const out = tempDir('rules-ci-');
  const r = await runCli(['rules', '--out', out], baseEnv(), { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  for (const file of filesUnder(out)) {
    const rel = relative(out, file);
    const committed = join(ROOT, 'ci', rel);
    assert.equal(readFileSync(committed, 'utf8'), readFileSync(file, 'utf8'), `ci/${rel} is out of date: run \`npx synthetics rules --out ci\``);
  }
});

test('rules: a mistake is one line naming the flag, exit 2', async () => {
  for (const [args, flag] of [[[], /--out: required/], [['--out', tempDir(), '--profile', 'nope'], /--profile "nope"/], [['--out', tempDir(), '--webhook-url-file', 'rel/path'], /--webhook-url-file/]] as const) {
    const r = await runCli(['rules', ...args], baseEnv());
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, flag);
  }
});

describe('a real Prometheus with the rules, scraping the Pushgateway a real runner pushes to', () => {
  // Windows at 1/20: a one-minute bucket is 3 s, "5 consecutive minutes" 15 s.
  const SCALE = '0.05';
  let services: Services;
  let control: SandboxHandle;
  let canary: SandboxHandle;
  before(async () => {
    const dir = await generate(['--time-scale', SCALE, '--profile', 'default']);
    services = await startServices({ rulesFile: join(dir, RULES) });
    control = await sandbox();
    canary = await sandbox({ buildId: 'b-canary' });
  });
  after(async () => {
    await cleanupProcesses();
    await Promise.all([control?.close(), canary?.close()]);
    await services?.stop();
  });

  async function alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>> {
    const res = await fetch(`${services.prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(5000) });
    return ((await res.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }).data.alerts;
  }

  test('a latency fault on the canary fires SyntheticCanaryP95High, and clearing it resolves the alert', { timeout: 240_000 }, async (t) => {
    const results = tempDir('rules-e2e-');
    startRunner(['run', '--every', '1s', '--project', 'api', '--target', `control=${control.url}`, '--target', `canary=${canary.url}`],
      baseEnv({ ...sandboxEnv(canary.url), RESULTS_DIR: results, RUNNER_ID: `rules-e2e-${process.pid}`, PUSHGATEWAY_URL: services.pushgatewayUrl, STOPPED_GROUP: 'mark' }));
    // Healthy first: the rules load and evaluate, and nothing fires.
    await poll('the recording rules to have data', async () => {
      const res = await fetch(`${services.prometheusUrl}/api/v1/query?query=${encodeURIComponent('synthetic:critical_latency_ms:p95')}`);
      return ((await res.json()) as { data: { result: unknown[] } }).data.result.length > 0;
    }, 60_000, 500);
    assert.deepEqual((await alerts()).filter((a) => a.labels.severity === 'critical'), [], 'a healthy canary fires nothing');

    await canary.fault({ route: '/api/scholarships', latencyMs: 400 });
    const faultAt = Date.now();
    let pendingSeen = false;
    const firing = await poll('SyntheticCanaryP95High to fire', async () => {
      const a = (await alerts()).find((x) => x.labels.alertname === 'SyntheticCanaryP95High');
      if (a?.state === 'pending') pendingSeen = true;
      return a?.state === 'firing' ? a : undefined;
    }, 120_000, 250);
    t.diagnostic(`firing ${((Date.now() - faultAt) / 1000).toFixed(1)} s after the fault (for: 12 s at this scale)`);
    assert.ok(pendingSeen, 'pending first: the alert waits out its `for:`');
    assert.ok(Date.now() - faultAt >= 12_000, 'not before its window of 5 buckets');
    assert.deepEqual({ ...firing.labels, alertname: undefined }, { alertname: undefined, severity: 'critical', phase: 'all', trigger: 'p95-high', canary: 'true', profile: 'default', source: 'synthetics' });

    await canary.clearFaults();
    await poll('the alert to resolve', async () => !(await alerts()).some((x) => x.labels.alertname === 'SyntheticCanaryP95High'), 90_000, 250);
  });
});
