import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { baseEnv, readResults, runCli, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';

let sb: SandboxHandle;
before(async () => {
  sb = await sandbox();
});
after(async () => {
  await sb.close();
});

/** One run of the named journeys; returns the exit code and the last journey line per journey. */
async function run(journeys: string[], project = 'api', extraEnv: Record<string, string> = {}) {
  const results = tempDir('faults-');
  const res = await runCli(['run', '--once', '--project', project, '--journey', journeys.join(',')], baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: results, ...extraEnv }));
  const lines = readResults(results).filter((l) => l.type === 'journey');
  return { ...res, reasons: Object.fromEntries(lines.map((l) => [l.journey as string, String(l.reason ?? '')])) };
}

const cases: Array<{ name: string; fault: Record<string, unknown>; journey: string; project?: string; env?: Record<string, string>; reason: RegExp }> = [
  {
    name: 'latency over budget names the route, the time and the budget',
    fault: { route: '/api/scholarships/:id', latencyMs: 300 },
    journey: 'b2c-api',
    env: { CRITICAL_BUDGET_MS: '150' }, // the default, which the test support relaxes elsewhere
    reason: /^GET \/api\/scholarships\/:id: \d{3,} ms, over its 150 ms budget/,
  },
  {
    name: 'a 5xx names the route and the status',
    fault: { route: '/api/pricing', status: 503 },
    journey: 'payments-api',
    reason: /^GET \/api\/pricing: status 503 \(injected_fault\), expected 200$/,
  },
  {
    name: 'drop: drift names the route, the schema and the missing field',
    fault: { route: '/api/scholarships', drift: 'drop:items' },
    journey: 'b2c-api',
    reason: /^GET \/api\/scholarships: schema scholarship-list: field "items" is missing$/,
  },
  {
    name: 'type: drift names the field and the expected type',
    fault: { route: '/api/flags', drift: 'type:flags' },
    journey: 'guardrail',
    reason: /^GET \/api\/flags: schema flags: field "flags" must be object, got string$/,
  },
  {
    name: 'a 5xx behind a page names the API route the page called',
    fault: { route: '/api/checkout/init', status: 500 },
    journey: 'payments-browser',
    project: 'browser',
    reason: /^POST \/api\/checkout\/init \(page\): status 500/,
  },
];

for (const c of cases) {
  test(c.name, async () => {
    await sb.clearFaults();
    await sb.fault(c.fault);
    const { code, reasons, stdout } = await run([c.journey], c.project, c.env);
    await sb.clearFaults();
    assert.equal(code, 1, stdout);
    assert.match(reasons[c.journey] ?? '', c.reason);
    assert.match(stdout, new RegExp(`${c.journey}\\s+\\S+\\s+FAIL`), 'the table shows the failure');
  });
}

test('a mode other than sandbox stops the payment journey loudly', async () => {
  await sb.clearFaults();
  await sb.fault({ route: '/api/checkout/init', drift: 'set:mode=live' });
  const { code, reasons } = await run(['payments-api']);
  await sb.clearFaults();
  assert.equal(code, 1);
  assert.match(reasons['payments-api']!, /^PAYMENTS NOT IN SANDBOX MODE: POST \/api\/checkout\/init returned mode "live"; journey stopped before validation/);
  const validations = (await sb.requests()).filter((r) => r.path === '/api/checkout/validate');
  assert.equal(validations.length, 0, 'no nonce was validated');
});

test('the browser payment journey stops before validation when checkout is not in sandbox mode', { timeout: 60_000 }, async () => {
  await sb.clearFaults();
  await sb.clearRequests();
  await sb.fault({ route: '/api/checkout/init', drift: 'set:mode=live' });
  const { code, reasons } = await run(['payments-browser'], 'browser');
  await sb.clearFaults();
  assert.equal(code, 1);
  assert.match(reasons['payments-browser']!, /^PAYMENTS NOT IN SANDBOX MODE: POST \/api\/checkout\/init \(page\) returned mode "live"/);
  const requests = await sb.requests();
  assert.ok(requests.some((r) => r.path === '/api/checkout/init'), 'the page did start a checkout');
  assert.equal(requests.filter((r) => r.path === '/api/checkout/validate').length, 0, 'the page never validated a nonce');
});

test('with faults cleared, every journey, API and browser, passes', async () => {
  await sb.clearFaults();
  const all = ['health', 'guardrail', 'b2c-api', 'auth', 'provider-api', 'payments-api', 'negative', 'b2c-browser', 'provider-browser', 'payments-browser'];
  const { code, reasons, stdout } = await run(all, 'all');
  assert.equal(code, 0, stdout);
  assert.deepEqual(Object.keys(reasons).sort(), [...all].sort());
  assert.match(stdout, /10 of 10 journeys passed/);
});
