// `synthetics baseline` for real: three cycles of every journey (browser ones in Chromium) against
// a sandbox, the gate reading the file it wrote, and the HTML page opened from disk in Chromium.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium } from '@playwright/test';
import type { Baseline } from '../../artefacts/baseline.ts';
import { CHROMIUM_ARGS, findChromium } from '../../src/core/chromium.ts';
import { baseEnv, ROOT, runCli, tempDir } from '../support/cli.ts';
import { findLeaks } from '../support/leaks.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';

let sb: SandboxHandle;
let out: string;
let env: NodeJS.ProcessEnv;
let baseline: Baseline;

before(async () => {
  sb = await sandbox();
  out = tempDir('baseline-');
  env = baseEnv(sandboxEnv(sb.url));
});
after(async () => {
  await sb.close();
});

test('baseline runs the cycles and writes what the gate compares with', { timeout: 240_000 }, async () => {
  const run = await runCli(['baseline', '--cycles', '3', '--project', 'all', '--base-url', sb.url, '--out', out], env);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  // Not a terminal: one plain line per cycle instead of a bar.
  for (const n of [1, 2, 3]) assert.match(run.stderr, new RegExp(`baseline: cycle ${n}/3 done, 10 journeys, 0 failed`));

  baseline = JSON.parse(readFileSync(join(out, 'baseline.json'), 'utf8')) as Baseline;
  assert.equal(baseline.version, 1);
  assert.equal(baseline.cycles, 3);
  assert.equal(baseline.target.origin, sb.url);
  assert.ok(baseline.endpoints.length > 10, `${baseline.endpoints.length} endpoints`);
  for (const e of baseline.endpoints) {
    assert.ok(e.n >= 3, `${e.route}: n ${e.n}`);
    assert.ok(e.p50! <= e.p95! && e.p95! <= e.p99!, `${e.route}: percentiles in order`);
    assert.equal(e.histogram.counts.reduce((a, b) => a + b, 0), e.n, `${e.route}: histogram holds every sample`);
  }
  for (const j of baseline.journeys) assert.equal(j.passed + j.flaky, 3, `${j.journey}/${j.device}`);
  // What the runbook's baseline_ratio checks read.
  assert.deepEqual(Object.keys(baseline.metrics).sort(), ['latency_p95', 'time_to_first_interaction_p80', 'time_to_value_p80']);
  for (const v of Object.values(baseline.metrics)) assert.ok(typeof v === 'number' && v > 0);
  assert.equal(baseline.userTimings.timeToValueMs.n, 3);
  assert.match(readFileSync(join(out, 'baseline.md'), 'utf8'), /\| GET \/api\/scholarships \| yes \| \d+ \|/);

  // The gate takes the file: no complaint about --baseline, and every baseline check has its number.
  const gate = await runCli(['gate', '--phase', '5', '--profile', 'strict', '--json', '--baseline', join(out, 'baseline.json'), '--results', join(out, 'results')], env);
  assert.ok([0, 1, 2].includes(gate.code!), gate.stdout + gate.stderr);
  assert.doesNotMatch(gate.stderr, /--baseline/);
  const verdict = JSON.parse(gate.stdout) as { checks: Array<{ name: string; against: string; reason: string; observed: { baseline?: number } }> };
  const compared = verdict.checks.filter((c) => c.against === 'baseline_ratio');
  assert.equal(compared.length, 3);
  for (const c of compared) {
    assert.doesNotMatch(c.reason, /needs a baseline/, c.name);
    assert.equal(typeof c.observed.baseline, 'number', c.name);
  }
});

test('the HTML page is self-contained, draws every chart and holds no secret', { timeout: 120_000 }, async () => {
  assert.ok(baseline, 'the run above wrote a baseline');
  const html = join(out, 'baseline.html');
  const url = pathToFileURL(html).href;
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.chartsDrawn !== undefined);
    assert.deepEqual(requests, [url], 'the page loads nothing but itself');
    assert.deepEqual(errors, []);

    const canvases = await page.$$eval('canvas', (all) => all.map((c) => {
      const blank = document.createElement('canvas');
      blank.width = c.width;
      blank.height = c.height;
      return { id: c.id, width: c.width, height: c.height, drawn: c.toDataURL() !== blank.toDataURL() };
    }));
    // Percentiles, one histogram per endpoint, journeys, user timings.
    assert.equal(canvases.length, baseline.endpoints.length + 3);
    assert.equal(await page.evaluate(() => document.body.dataset.chartsDrawn), String(canvases.length));
    for (const c of canvases) assert.ok(c.drawn && c.width > 100 && c.height > 100, `canvas ${c.id} (${c.width}×${c.height}) has pixels`);
    // Nothing wider than the page (a table or chart that overflows would scroll sideways).
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal overflow');

    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-output', 'baseline.png'), fullPage: true });
  } finally {
    await browser.close();
  }

  const issued = (await (await fetch(`${sb.url}/__sandbox/issued-secrets`)).json()) as Record<string, string[]>;
  const fromEnv = (suffix: string) => Object.entries(env).filter(([k, v]) => k.startsWith('SYNTH_') && k.endsWith(suffix) && v).map(([, v]) => v!);
  assert.ok(issued.refreshTokens!.length > 0 && fromEnv('_PASSWORD').length === 3, 'the run really handled secrets');
  const leaks = findLeaks([out], {
    password: fromEnv('_PASSWORD'),
    'account email': [...fromEnv('_EMAIL'), ...issued.emails!],
    'refresh token': issued.refreshTokens!,
    'session id or CSRF token': issued.sessionSecrets!,
    'checkout nonce or client token': issued.checkoutSecrets!,
  });
  assert.deepEqual(leaks, [], leaks.map((l) => `${l.what} in ${l.file}`).join('\n'));
});
