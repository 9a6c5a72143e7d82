// The phase report for real: two sandboxes as control and canary, a real runner probing both, a
// latency fault in the canary, then `synthetics gate --phase 5 --report DIR`. The page is opened
// from disk in real Chromium: nothing may leave it, every chart must draw, and neither file may
// carry a secret the sandboxes handed out.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { chromium } from '@playwright/test';
import type { GateResult } from '../../gate/decision-types.ts';
import { SANDBOX_ACCOUNTS } from '../../sandbox/defaults.ts';
import { CHROMIUM_ARGS, findChromium } from '../../src/core/chromium.ts';
import { baseEnv, ROOT, runCli, tempDir } from '../support/cli.ts';
import { findLeaks } from '../support/leaks.ts';
import { sandbox, sandboxEnv } from '../support/sandbox.ts';
import { cleanupProcesses, poll, startRunner } from '../runner/helpers.ts';

/**
 * test/support/api-runbook.ts with a payment gate, the funnel gate, a latency gate against control
 * (so statistics appear) and a streak trigger: every section of the report has something in it.
 * At --time-scale 0.05 a minute is 3 s and the phase window 30 s.
 */
const RUNBOOK = `
version: 1
monitor: {cadence: 60s, backoff: {retries: 0, minDelay: 1s, factor: 2, maxDelay: 8s}, userAgent: ScholarshipAI-Canary/1.0, e2eFlag: e2e=1}
roles: {sre: "@sre-oncall", releaseManager: "@release-manager"}
rollbackSteps: ["Set the canary weight to 0 (@release-manager).", "Page @sre-oncall with the evidence ids."]
profiles:
  default:
    description: "API checks only, for a report against two sandboxes."
    minSamples: 20
    sloPercent: 99.9
    phases:
      - {percent: 5, observe: 10m, payments: {maxTransactions: 100, maxAmountUsd: 20, totalUsd: 1500}}
      - {percent: 25, observe: 10m, payments: {maxTransactions: 100, maxAmountUsd: 20, totalUsd: 1500}}
      - {percent: 50, observe: 10m, payments: {normal: true}}
      - {percent: 100, observe: 10m, payments: {normal: true}}
    checks:
      - {name: availability, kind: gate, metric: journey_success_ratio, against: absolute, op: ">=", threshold: 99, summary: "Journeys pass.", section: Go gates}
      - {name: p95-soak, kind: gate, metric: latency_p95, scope: {routes: critical}, against: absolute, op: "<=", threshold: 130, summary: "P95 at most 130 ms.", section: Go gates}
      - {name: p95-vs-control, kind: gate, metric: latency_p95, scope: {routes: critical}, against: control_ratio, op: "<=", threshold: 1.3, summary: "P95 within 30% of control.", section: Go gates}
      - {name: error-5xx, kind: gate, metric: error_5xx_ratio, against: absolute, op: "<=", threshold: 0.5, summary: "5xx at most 0.5%.", section: Go gates}
      - {name: payment-success, kind: gate, metric: payment_success_ratio, against: absolute, op: ">=", threshold: 98.5, summary: "Payments succeed.", section: Go gates}
      - {name: signup-first-session-vs-control, kind: gate, metric: journey_success_ratio, scope: {journeys: [auth, b2c-api]}, against: control_pp, op: ">=", threshold: -1, summary: "Sign-up and first session as good as control.", section: Go gates}
      - {name: p95-high, kind: trigger, metric: latency_p95, scope: {routes: critical}, against: absolute, op: ">", threshold: 160, for: {minutes: 5}, summary: "P95 above 160 ms for 5 minutes.", section: Rollback triggers}
      - {name: synthetic-failures, kind: trigger, metric: consecutive_failed_checks, against: absolute, op: ">=", threshold: 3, summary: "3 failed runs in a row.", section: Rollback triggers}
`;
const CHECK_NAMES = [...RUNBOOK.matchAll(/\{name: ([\w-]+),/g)].map((m) => m[1]!);
const SCALE = '0.05';

test('phase report over a real runner: ROLLBACK with evidence, every check, charts drawn offline, no secrets', { timeout: 120_000 }, async (t) => {
  const control = await sandbox();
  const canary = await sandbox({ buildId: 'b-canary' });
  t.after(async () => {
    await cleanupProcesses();
    await control.close();
    await canary.close();
  });
  const dir = tempDir('phase-report-');
  const results = join(dir, 'results');
  const runbook = join(dir, 'canary.yaml');
  const reportDir = join(dir, 'reports', 'ship-room'); // not there yet: the gate makes it
  writeFileSync(runbook, RUNBOOK);
  const runner = startRunner(['run', '--every', '1s', '--project', 'api', '--target', `control=${control.url}`, '--target', `canary=${canary.url}`],
    baseEnv({ ...sandboxEnv(canary.url), RESULTS_DIR: results, RUNNER_ID: `phase-report-${process.pid}` }));
  await runner.waitForCycles(4, 30_000);

  // Search and details slow down on the canary: p95-high holds after five 3-second minutes.
  await canary.fault({ route: '/api/scholarships', latencyMs: 220 });
  const gate = (at: string, extra: string[] = []) =>
    runCli(['gate', '--phase', '5', '--runbook', runbook, '--results', results, '--time-scale', SCALE, '--at', at, '--json', ...extra], baseEnv(), { timeoutMs: 30_000 });
  const at = await poll('rollback after the fault', async () => {
    const now = new Date().toISOString();
    return (JSON.parse((await gate(now)).stdout) as GateResult).decision === 'rollback' ? now : undefined;
  }, 60_000, 500);

  const run = await gate(at, ['--report', reportDir]);
  assert.equal(run.code, 1, run.stderr);
  const result = JSON.parse(run.stdout) as GateResult;
  assert.equal(result.decision, 'rollback');
  const md = join(reportDir, 'phase-5-default.md');
  const html = join(reportDir, 'phase-5-default.html');
  assert.equal(run.stderr, `report: ${md}\nreport: ${html}\n`);
  const markdown = readFileSync(md, 'utf8');
  const page = readFileSync(html, 'utf8');
  assert.match(markdown, /^### ROLLBACK · phase 5% · profile default/);
  assert.ok(markdown.includes(result.reason));
  for (const name of CHECK_NAMES) {
    assert.ok(markdown.includes(`| ${name} |`), `${name} in the markdown`);
    assert.ok(page.includes(`<td>${name}</td>`), `${name} in the page`);
  }
  const offenders = result.checks.find((c) => c.name === 'p95-high')!.evidence.offenders;
  assert.ok(offenders.length > 0);
  const seen = new Set((await canary.requests()).map((q) => q.syntheticId));
  for (const o of offenders) {
    assert.ok(seen.has(o.syntheticId), `${o.syntheticId} is in the canary's request log`);
    assert.ok(markdown.includes(`| ${o.syntheticId} | ${o.traceId} |`) && page.includes(o.traceId), o.syntheticId);
  }
  assert.ok(markdown.includes('1. Set the canary weight to 0 (@release-manager).'));
  // The route table, from the same window: the slow route is slow on the canary only.
  const row = /^\| GET \/api\/scholarships \| ([\d.]+) \/ ([\d.]+) \/ [\d.]+ \| ([\d.]+) \/ ([\d.]+) \/ [\d.]+ \|/m.exec(markdown);
  assert.ok(row, markdown);
  assert.ok(Number(row[2]) >= 200 && Number(row[4]) < Number(row[2]), `canary P95 ${row[2]} ms, control ${row[4]} ms`);

  // Secrets the sandboxes handed out to the runner, and the accounts' own.
  const issued = await Promise.all([control, canary].map(async (s) => (await fetch(`${s.url}/__sandbox/issued-secrets`)).json() as Promise<Record<string, string[]>>));
  const accounts = Object.values(SANDBOX_ACCOUNTS);
  const secrets = {
    password: accounts.map((a) => a.password),
    'account email': [...accounts.map((a) => a.email), ...issued.flatMap((i) => i.emails!)],
    'refresh token': issued.flatMap((i) => i.refreshTokens!),
    'session id or CSRF token': issued.flatMap((i) => i.sessionSecrets!),
    'checkout nonce or client token': issued.flatMap((i) => i.checkoutSecrets!),
  };
  assert.ok(secrets['refresh token'].length > 3, 'the runs really handled secrets');
  assert.deepEqual(findLeaks([reportDir], secrets), []);

  // The page, from disk, in real Chromium.
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const url = pathToFileURL(html).href;
  const requests: string[] = [];
  const problems: string[] = [];
  tab.on('request', (r) => requests.push(r.url()));
  tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  tab.on('pageerror', (e) => problems.push(e.message));
  await tab.goto(url);
  const drawn = Number(await (await tab.waitForFunction(() => document.body.dataset.chartsDrawn, undefined, { timeout: 10_000 })).jsonValue());
  assert.deepEqual(requests, [url], 'the page itself, nothing else');
  assert.deepEqual(problems, []);
  const canvases = await tab.$$eval('canvas', (all) => all.map((c) => {
    const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
    // The chart's own data: a chart of nothing but axes would prove nothing.
    const chart = (globalThis as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: Array<{ data: unknown[] }> } } } }).Chart.getChart(c);
    return { id: c.id, painted, values: chart.data.datasets.flatMap((d) => d.data).filter((v) => typeof v === 'number').length };
  }));
  assert.equal(canvases.length, drawn);
  assert.deepEqual(canvases.map((c) => c.id).sort(), ['checks-count', 'checks-ms', 'checks-percent', 'routes-p50', 'routes-p95', 'routes-p99']);
  for (const c of canvases) assert.ok(c.painted > 2000 && c.values > 0, `${c.id}: ${c.painted} pixels painted, ${c.values} values`);
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  await tab.screenshot({ path: join(ROOT, 'test-output', 'phase-report.png'), fullPage: true });
  assert.ok(existsSync(join(ROOT, 'test-output', 'phase-report.png')));
});

test('--report mistakes: one line naming the flag, exit 2, nothing decided', async () => {
  const results = tempDir('phase-report-flags-');
  const cases: Array<[string[], RegExp]> = [
    [['gate', '--report', join(results, 'r')], /^synthetics: --report \S+: needs --phase 5\|25\|50\|100/],
    [['gate', '--serve', '--report', join(results, 'r')], /^synthetics: --report DIR: not with --serve/],
    [['gate', '--phase', '5', '--report', '/dev/null/reports'], /^synthetics: --report \/dev\/null\/reports: cannot create the directory \(ENOTDIR\)$/m],
  ];
  await Promise.all(cases.map(async ([args, re]) => {
    const res = await runCli([...args, '--results', results], baseEnv(), { timeoutMs: 30_000 });
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.match(res.stderr, re);
  }));
});
