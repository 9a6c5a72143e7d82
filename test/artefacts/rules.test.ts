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
/** The promtool test files: evaluated every bucket, and coarsely (the cases that check only given moments). */
const RULE_TESTS = ['prometheus/synthetic-canary.rules.test.yml', 'prometheus/synthetic-canary.rules.coarse.test.yml'];

interface TestCase { name?: string; interval: string; alert_rule_test?: Array<{ eval_time: string; alertname: string }>; promql_expr_test?: Array<{ expr: string; eval_time: string; exp_samples: Array<{ labels: string; value: number }> }> }
interface TestFile { rule_files: string[]; evaluation_interval: string; tests: TestCase[] }

const seconds = (d: string) => [...d.matchAll(/(\d+)(ms|s|m|h)/g)].reduce((s, [, n, u]) => s + Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[u as 'ms' | 's' | 'm' | 'h'], 0);

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
    const files = RULE_TESTS.map((f) => parse(readFileSync(join(dir, f), 'utf8')) as TestFile);
    // An alert with `for:` counts evaluations: its cases run at one evaluation a bucket (the rules' interval).
    const rules = parse(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ interval: string; rules: Array<Record<string, any>> }> };
    for (const g of rules.groups) {
      for (const r of g.rules.filter((x) => x.alert && x.for)) {
        const at = files.filter((f) => f.tests.some((c) => c.alert_rule_test?.some((a) => a.alertname === r.alert)));
        assert.ok(at.length && at.every((f) => f.evaluation_interval === g.interval), `${r.alert} (for: ${r.for}) is tested at one evaluation every ${g.interval}`);
      }
    }
    // The cases are independent: two promtool processes share them, one per core, each with its part
    // of both files (promtool evaluates every rule at each step of a case: steps are the cost).
    const cost = (f: TestFile, c: TestCase) => Math.max(...[...(c.alert_rule_test ?? []), ...(c.promql_expr_test ?? [])].map((e) => seconds(e.eval_time))) / seconds(f.evaluation_interval) + 5;
    const all = files.flatMap((f, i) => f.tests.map((c) => ({ file: i, c, cost: cost(f, c) }))).sort((a, b) => b.cost - a.cost);
    const halves = [[], []] as Array<typeof all>;
    for (const x of all) halves[halves[0]!.reduce((s, y) => s + y.cost, 0) <= halves[1]!.reduce((s, y) => s + y.cost, 0) ? 0 : 1]!.push(x);
    const results = await Promise.all(halves.map((half, h) => {
      const parts = files.flatMap((f, i) => {
        const tests = half.filter((x) => x.file === i).map((x) => x.c);
        if (!tests.length) return [];
        const file = join(dir, 'prometheus', `half-${h}-${i}.test.yml`);
        writeFileSync(file, stringify({ ...f, tests }, { lineWidth: 0 }));
        return [file];
      });
      return run('promtool', ['test', 'rules', ...parts], { maxBuffer: 1 << 24 }).then((r) => r.stdout, (e: { stdout?: string; stderr?: string }) => `${e.stdout}\n${e.stderr}`);
    }));
    assert.equal(halves.flat().length, files.reduce((n, f) => n + f.tests.length, 0), 'every case of both files runs');
    for (const r of results) {
      assert.doesNotMatch(r, /FAILED/, r.slice(0, 4000));
      assert.match(r, /SUCCESS/, r.slice(0, 4000));
    }
  });

  test('the promtool cases can fail: a trigger one bucket early fails its case', { timeout: 120_000 }, async () => {
    const rules = parse(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ rules: Array<Record<string, any>> }> };
    const p95 = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SyntheticCanaryP95High')!;
    p95.for = '3m';
    const mutated = join(dir, 'prometheus', 'mutated.rules.yml');
    writeFileSync(mutated, stringify(rules, { lineWidth: 0 }));
    const tests = parse(readFileSync(join(dir, RULE_TESTS[0]!), 'utf8')) as TestFile;
    const only = tests.tests.filter((c) => (c.alert_rule_test ?? []).some((a) => a.alertname === 'SyntheticCanaryP95High'));
    assert.equal(only.length, 1, 'its case is in the file evaluated every bucket');
    const file = join(dir, 'prometheus', 'mutated.test.yml');
    writeFileSync(file, stringify({ ...tests, rule_files: ['mutated.rules.yml'], tests: only }, { lineWidth: 0 }));
    const r = await run('promtool', ['test', 'rules', file]).then(() => 'passed', (e: { stdout?: string; stderr?: string }) => `${e.stdout}${e.stderr}`);
    assert.match(r, /FAILED/);
    assert.match(r, /SyntheticCanaryP95High, time: 14m/, 'firing a bucket early is caught at the "not yet" moment');
  });

  test('the coarse promtool cases can fail: a window a bucket too long keeps its alert firing after the fault has left it', { timeout: 120_000 }, async () => {
    const rules = parse(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ rules: Array<Record<string, any>> }> };
    const strict5xx = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SyntheticCanaryStrict5xx')!;
    assert.ok(strict5xx.expr.includes('[15m]'));
    strict5xx.expr = strict5xx.expr.replaceAll('[15m]', '[16m]');
    writeFileSync(join(dir, 'prometheus', 'mutated-window.rules.yml'), stringify(rules, { lineWidth: 0 }));
    const tests = parse(readFileSync(join(dir, RULE_TESTS[1]!), 'utf8')) as TestFile;
    assert.equal(tests.evaluation_interval, '15m');
    const only = tests.tests.filter((c) => (c.alert_rule_test ?? []).some((a) => a.alertname === 'SyntheticCanaryStrict5xx'));
    assert.equal(only.length, 1, 'its case is in the coarse file');
    const resolved = only[0]!.alert_rule_test!.at(-1)!.eval_time; // not yet, firing, firing, resolved
    const file = join(dir, 'prometheus', 'mutated-window.test.yml');
    writeFileSync(file, stringify({ ...tests, rule_files: ['mutated-window.rules.yml'], tests: only }, { lineWidth: 0 }));
    const r = await run('promtool', ['test', 'rules', file]).then(() => 'passed', (e: { stdout?: string; stderr?: string }) => `${e.stdout}${e.stderr}`);
    assert.match(r, /FAILED/);
    assert.match(r, new RegExp(`SyntheticCanaryStrict5xx, time: ${resolved},`), `caught at the "resolved" moment (${resolved})`);
    assert.equal(r.match(/time: /g)?.length, 1, r);
  });

  test('a trigger never holds on fewer minutes than it needs: a canary failing from its first minute holds only after five', { timeout: 120_000 }, async () => {
    // Every payment run fails from the start. With min_over_time alone, the first minute with a value
    // would read as "held for 5 minutes" (a canary's first minutes, a fresh Prometheus).
    const holding = 'synthetic_canary:trigger_holding{profile="default",trigger="payment-failures",phase="all"}';
    const file = join(dir, 'prometheus', 'first-minutes.test.yml');
    writeFileSync(file, stringify({
      rule_files: [RULES.split('/')[1]], evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          { series: 'synthetic_journey_runs_total{canary="true",journey="payments-api",outcome="failed"}', values: '0+1x20' },
          { series: 'synthetic_journey_runs_total{canary="true",journey="payments-api",outcome="passed"}', values: '0+0x20' },
        ],
        promql_expr_test: [
          { expr: holding, eval_time: '3m', exp_samples: [{ labels: holding, value: 0 }] },
          { expr: holding, eval_time: '7m', exp_samples: [{ labels: holding, value: 1 }] },
        ],
      }],
    }, { lineWidth: 0 }));
    const r = await run('promtool', ['test', 'rules', file]).then((x) => x.stdout, (e: { stdout?: string; stderr?: string }) => `FAILED ${e.stdout}${e.stderr}`);
    assert.doesNotMatch(r, /FAILED/, r.slice(0, 3000));
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
    // Both tools read each trigger's recorded state, not the whole condition; "5 consecutive
    // minutes" is folded into the recording rule.
    const rules = parse(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ name: string; rules: Array<Record<string, any>> }> };
    const holding = rules.groups.flatMap((g) => g.rules).filter((r) => r.record === 'synthetic_canary:trigger_holding');
    const p95Rule = holding.find((r) => r.labels.profile === 'default' && r.labels.trigger === 'p95-high')!;
    assert.match(p95Rule.expr, /^max\(\(min_over_time\(.*\[5m:1m\]\) and count_over_time\(.*\[5m:1m\]\) >= 5\)\) or on\(\) vector\(0\)$/, '5 consecutive minutes with a value folded in, and 0 (not absent) on no data');
    const selectorOf = (labels: Record<string, string>) => `max(synthetic_canary:trigger_holding{profile="${labels.profile}",trigger="${labels.trigger}",phase="${labels.phase}"})`;
    for (const profile of ['default', 'strict']) {
      const prom = docs.find((d) => d.file.endsWith(`prometheus-${profile}.yaml`))!.doc;
      const templates = docs.filter((d) => d.file.endsWith(`metric-templates-${profile}.yaml`)).map((d) => d.doc);
      const ruled = holding.filter((r) => r.labels.profile === profile);
      assert.equal(prom.spec.metrics.length, ruled.length, `${profile}: one Argo metric per recorded trigger`);
      assert.equal(templates.length, ruled.length, `${profile}: one MetricTemplate per recorded trigger`);
      const queries = new Set(ruled.map((r) => selectorOf(r.labels)));
      for (const m of prom.spec.metrics) {
        assert.ok(queries.has(m.provider.prometheus.query), `${profile}/${m.name}: reads a recorded state (${m.provider.prometheus.query})`);
        assert.ok(m.consecutiveErrorLimit >= 12, `${profile}/${m.name}: outlasts a Prometheus blip of a minute or two (errors retried every 10 s)`);
        assert.ok(m.provider.prometheus.timeout > 0 && m.provider.prometheus.timeout < 30, `${profile}/${m.name}: an explicit query timeout`);
      }
      for (const t of templates) {
        assert.ok(queries.has(t.spec.query), `${profile}/${t.metadata.name}: reads a recorded state`);
        assert.ok(t.spec.query.length < 200, `${t.metadata.name}: a short GET URL`);
        assert.doesNotMatch(t.spec.query, /vector\(0\)/, `${t.metadata.name}: no fallback: rules not loaded read as no data, not as a pass`);
      }
    }
  });

  test('the promtool cases hold every recorded trigger state under, at (where exact) and over its threshold', () => {
    const holding = RULE_TESTS.flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as TestFile).tests).filter((c) => c.promql_expr_test);
    const rules = parse(readFileSync(join(dir, RULES), 'utf8')) as { groups: Array<{ rules: Array<Record<string, any>> }> };
    const recorded = rules.groups.flatMap((g) => g.rules).filter((r) => r.record === 'synthetic_canary:trigger_holding');
    assert.equal(holding.length, recorded.length + 1, 'one case per recorded trigger, and the no-data case');
    const values = (name: RegExp) => holding.find((c) => name.test(c.name ?? ''))!.promql_expr_test!.map((e) => e.exp_samples[0]!.value);
    // p95 > 160: under 0, exactly 160 still 0, over 1. payment-failures >= 2: at 2 it holds.
    assert.deepEqual(values(/^default\/p95-high: under, at and over/), [0, 0, 1]);
    assert.deepEqual(values(/^default\/payment-failures: under, at and over/), [0, 1, 1]);
    assert.deepEqual(values(/^default\/synthetic-failures: under, at and over/), [0, 1, 1]);
    // No exact "at" where no input can land on the threshold exactly (sigma, scaled budgets): said in the name.
    assert.deepEqual(values(/^default\/latency-3-sigma: under and over only/), [0, 1]);
    const atCases = holding.filter((c) => /under, at and over/.test(c.name ?? '')).length;
    assert.ok(atCases >= 12, `${atCases} triggers tested exactly at their threshold`);
    const none = holding.find((c) => /^no data/.test(c.name ?? ''))!.promql_expr_test![0]!;
    assert.equal(none.exp_samples.length, recorded.length);
    assert.ok(none.exp_samples.every((x) => x.value === 0));
  });

  test('the recorded-state cases can fail: ">=" instead of ">" at the threshold is caught', { timeout: 120_000 }, async () => {
    const text = readFileSync(join(dir, RULES), 'utf8');
    const rules = parse(text) as { groups: Array<{ name: string; rules: Array<Record<string, any>> }> };
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.record === 'synthetic_canary:trigger_holding' && r.labels.trigger === 'p95-high')!;
    assert.ok(rule.expr.includes('> bool 160'));
    rule.expr = rule.expr.replace('> bool 160', '>= bool 160');
    writeFileSync(join(dir, 'prometheus', 'mutated-holding.rules.yml'), stringify(rules, { lineWidth: 0 }));
    const tests = RULE_TESTS.map((f) => parse(readFileSync(join(dir, f), 'utf8')) as TestFile).find((f) => f.tests.some((c) => /^default\/p95-high:/.test(c.name ?? '')))!;
    const only = tests.tests.filter((c) => /^default\/p95-high:/.test(c.name ?? ''));
    const atTime = only[0]!.promql_expr_test![1]!.eval_time; // under, at, over
    const file = join(dir, 'prometheus', 'mutated-holding.test.yml');
    writeFileSync(file, stringify({ ...tests, rule_files: ['mutated-holding.rules.yml'], tests: only }, { lineWidth: 0 }));
    const r = await run('promtool', ['test', 'rules', file]).then(() => 'passed', (e: { stdout?: string; stderr?: string }) => `${e.stdout}${e.stderr}`);
    assert.match(r, /FAILED/);
    assert.match(r, new RegExp(`trigger=\\\\?"p95-high\\\\?".*time: ${atTime},`), `caught at the "at" moment (${atTime}), and only there`);
    assert.equal(r.match(/time: /g)?.length, 1, r);
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
