// The ship-room page, live: a sandbox pair with a fault in the canary, a real runner, `gate --serve`
// with a token, and the page opened in real Chromium. It must show ROLLBACK and name the trigger,
// open the failing journey's reason and ids, make no request beyond the gate, carry no secret (nor
// do its JSON endpoints), show GO once the fault is cleared and the window has passed, and HOLD
// with the runner marked stale once the runner stops.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from '@playwright/test';
import { SANDBOX_ACCOUNTS } from '../../sandbox/defaults.ts';
import { CHROMIUM_ARGS, findChromium } from '../../src/core/chromium.ts';
import { RUNBOOK } from '../support/api-runbook.ts';
import { baseEnv, ROOT, startCli, tempDir } from '../support/cli.ts';
import { findLeaks } from '../support/leaks.ts';
import { sandbox, sandboxEnv } from '../support/sandbox.ts';
import { cleanupProcesses, poll, startRunner, track } from '../runner/helpers.ts';

const TOKEN = 'ship-room-test-token-7f3a9c';
const SCALE = '0.05'; // a minute is 3 s, the 10-minute phase window 30 s
/** The API runbook with a streak trigger: three failed runs in a row roll back. */
const WITH_STREAK = `${RUNBOOK}      - {name: synthetic-failures, kind: trigger, metric: consecutive_failed_checks, against: absolute, op: ">=", threshold: 3, summary: "3 failed runs in a row.", section: Rollback triggers}\n`;

test('the ship-room page shows why the gate says what it says, live, with nothing leaving the gate', { timeout: 300_000 }, async (t) => {
  const control = await sandbox();
  const canary = await sandbox({ buildId: 'b-canary' });
  const dir = tempDir('shiproom-');
  const results = join(dir, 'results');
  const runbook = join(dir, 'canary.yaml');
  writeFileSync(runbook, WITH_STREAK);
  const out = join(ROOT, 'test-output');
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  t.after(async () => {
    await browser.close();
    await cleanupProcesses();
    await Promise.all([control.close(), canary.close()]);
  });

  const runner = startRunner(['run', '--every', '1s', '--project', 'api', '--target', `control=${control.url}`, '--target', `canary=${canary.url}`],
    baseEnv({ ...sandboxEnv(canary.url), RESULTS_DIR: results, RUNNER_ID: `shiproom-${process.pid}` }));
  const gate = startCli(['gate', '--serve', '--port', '0', '--runbook', runbook, '--results', results, '--time-scale', SCALE, '--refresh', '1s'], baseEnv({ GATE_TOKEN: TOKEN }));
  track(gate.child);
  const origin = await poll('the gate to listen', async () => /gate listening on (http:\/\/[\d.:]+)/.exec(gate.output())?.[1], 20_000, 100);
  await runner.waitForCycles(4, 30_000);
  // The rollout tool's first question begins phase 5 (a person opening the page never does).
  const asked = await fetch(`${origin}/api/v1/decision?phase=5`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const phaseStart = ((await asked.json()) as { window: { phaseStart: { at: string; how: string } } }).window.phaseStart;
  assert.equal(phaseStart.how, 'first-asked');

  // Search fails on the canary: b2c-api fails every cycle, and after three in a row the streak trigger fires.
  await canary.fault({ route: '/api/scholarships', status: 500 });

  const tab = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const requests: string[] = [];
  const problems: string[] = [];
  tab.on('request', (r) => requests.push(r.url()));
  tab.on('pageerror', (e) => problems.push(e.message));
  tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await tab.goto(`${origin}/?token=${TOKEN}`);
  assert.equal(new URL(tab.url()).search, '', 'the token leaves the address bar at once (it lives in an HttpOnly cookie)');

  await tab.waitForFunction(() => document.body.dataset.decision === 'rollback', undefined, { timeout: 90_000 });
  assert.equal(await tab.textContent('#decision'), 'ROLLBACK');
  const fired = await tab.locator('#checks tr', { hasText: 'synthetic-failures' }).textContent();
  assert.match(fired!, /FIRED/, 'the trigger is named, with its status in words');
  assert.match((await tab.textContent('#reason'))!, /synthetic-failures/);

  // The failing journey's cell opens its reason and the ids to look up in the app's logs.
  await tab.locator('#journeys button[data-journey="b2c-api"][data-target="canary"]').click();
  const details = (await tab.textContent('#details'))!;
  assert.match(details, /status 500/);
  const ids = [...details.matchAll(/syn-([0-9a-f]{12})-\*/g)].map((m) => m[1]!);
  assert.ok(ids.length > 0, details);
  const runIds = new Set((await canary.requests()).map((q) => q.syntheticId?.split('-')[1]));
  for (const id of ids) assert.ok(runIds.has(id), `syn-${id}-* is in the canary's own request log`);
  assert.match(details, /[0-9a-f]{32}/, 'a trace id');
  await tab.screenshot({ path: join(out, 'shiproom-rollback.png'), fullPage: true });

  // The phase summary, as `gate --report` writes it.
  await tab.click('#summary-button');
  await tab.waitForFunction(() => (document.getElementById('summary') as HTMLTextAreaElement).value.length > 0);
  assert.match(await tab.inputValue('#summary'), /^### ROLLBACK · phase 5% · profile default/);

  // Every panel has its JSON; none of it (nor the page) carries a secret or the token.
  const saved = join(dir, 'served');
  mkdirSync(saved);
  const auth = { authorization: `Bearer ${TOKEN}` };
  for (const path of ['/', '/api/v1/view', ...['decision', 'checks', 'routes', 'journeys', 'runbook'].map((p) => `/api/v1/view/${p}`), '/api/v1/summary.md']) {
    const res = await fetch(`${origin}${path}?phase=5`, { headers: auth });
    assert.equal(res.status, 200, path);
    const text = await res.text();
    assert.ok(!text.includes(TOKEN), `${path} carries no token`);
    writeFileSync(join(saved, `${path.replace(/\W+/g, '_') || 'root'}.txt`), text);
  }
  assert.equal((await fetch(`${origin}/api/v1/view`)).status, 401, 'behind the token');
  assert.equal((await fetch(`${origin}/evidence/..%2F..%2Fetc%2Fpasswd`, { headers: auth })).status, 404, 'no path outside the evidence');
  const issued = await Promise.all([control, canary].map(async (s) => (await fetch(`${s.url}/__sandbox/issued-secrets`)).json() as Promise<Record<string, string[]>>));
  const accounts = Object.values(SANDBOX_ACCOUNTS);
  assert.deepEqual(findLeaks([saved], {
    password: accounts.map((a) => a.password),
    'account email': [...accounts.map((a) => a.email), ...issued.flatMap((i) => i.emails!)],
    'refresh token': issued.flatMap((i) => i.refreshTokens!),
    'session id or CSRF token': issued.flatMap((i) => i.sessionSecrets!),
  }), []);

  // Fault cleared: once its failures have left the (scaled) window, the page says go by itself.
  await canary.clearFaults();
  await tab.waitForFunction(() => document.body.dataset.decision === 'go', undefined, { timeout: 120_000 });
  assert.equal(await tab.textContent('#decision'), 'GO');
  assert.equal(await tab.textContent('#phase-start'), `phase 5% began ${phaseStart.at.slice(0, 10)} ${phaseStart.at.slice(11, 19)} UTC (first asked for this build)`);
  await tab.screenshot({ path: join(out, 'shiproom-go.png'), fullPage: true });

  // The runner stops: its data goes stale, the page holds and says which runner.
  await runner.stop('SIGKILL');
  await tab.waitForFunction(() => document.body.dataset.decision === 'hold', undefined, { timeout: 60_000 });
  assert.match((await tab.textContent('#freshness'))!, /STALE/);
  await tab.screenshot({ path: join(out, 'shiproom-stale.png'), fullPage: true });

  const gateOrigin = new URL(origin).origin;
  assert.deepEqual(requests.filter((u) => new URL(u).origin !== gateOrigin), [], 'no request beyond the gate');
  assert.deepEqual(problems, []);
});
