import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CANARY_USER_AGENT } from '../../src/core/tagging.ts';
import { baseEnv, readResults, runCli, runPlaywright, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle, type SandboxRequest } from '../support/sandbox.ts';

let sb: SandboxHandle;
before(async () => {
  sb = await sandbox();
});
after(async () => {
  await sb.close();
});

/** Every request must be tagged: 100%, not a sample. Returns the untagged ones. */
function untagged(requests: SandboxRequest[]): SandboxRequest[] {
  return requests.filter((r) =>
    r.query.e2e !== '1' ||
    !r.userAgent?.startsWith(CANARY_USER_AGENT) ||
    !/^syn-[0-9a-f]{12}-\d{3,}$/.test(r.syntheticId ?? '') ||
    !/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(r.traceparent ?? ''));
}

function checkTagging(requests: SandboxRequest[]): void {
  const bad = untagged(requests);
  assert.deepEqual(bad.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)} ${r.userAgent} ${r.syntheticId}`), []);
  // Each request has its own id, except that a browser follows a redirect with the headers of the
  // request that got it (the follow-up is part of the same call).
  const byId = new Map<string, SandboxRequest[]>();
  for (const r of requests) byId.set(r.syntheticId!, [...(byId.get(r.syntheticId!) ?? []), r]);
  for (const [id, list] of byId) {
    if (list.length === 1) continue;
    assert.ok(list.slice(0, -1).every((r) => (r.status ?? 0) >= 300 && (r.status ?? 0) < 400), `${id} reused outside a redirect chain: ${list.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')}`);
  }
}

test('runner: every request of every journey, API and browser (desktop and mobile), is tagged', { timeout: 240_000 }, async () => {
  await sb.clearRequests();
  const results = tempDir('tagging-');
  const run = await runCli(['run', '--once', '--project', 'all'], baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: results, DEVICES: 'desktop,mobile' }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const requests = await sb.requests();
  // Pages, their static assets and their fetches, as well as the API client's calls.
  for (const path of ['/api/scholarships', '/login', '/search', '/pricing', '/provider/dashboard']) {
    assert.ok(requests.some((r) => r.path === path), `${path} was requested`);
  }
  assert.ok(requests.some((r) => r.path.startsWith('/static/')), 'static assets were requested');
  assert.ok(requests.some((r) => r.method === 'PUT' && /\/draft$/.test(r.path)), 'the page autosaved');
  checkTagging(requests);

  // The synthetic ids the store recorded are the ones the app saw: logs and results join on them.
  const seen = new Set(requests.map((r) => r.syntheticId));
  const recorded = readResults(results).filter((l) => l.type === 'call');
  assert.ok(recorded.length > 50);
  for (const c of recorded) assert.ok(seen.has(c.syntheticId as string), `recorded ${String(c.syntheticId)} reached the app`);
  const devices = new Set(readResults(results).filter((l) => l.type === 'journey').map((l) => l.device));
  assert.deepEqual([...devices].sort(), ['api', 'desktop', 'mobile']);
});

test('Playwright Test: api, desktop and mobile projects pass, every request tagged, results stored', { timeout: 300_000 }, async () => {
  await sb.clearRequests();
  const out = tempDir('pw-');
  const run = await runPlaywright(['--project', 'api', '--project', 'desktop', '--project', 'mobile'], {
    ...baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: join(out, 'results') }),
    PW_OUTPUT_DIR: join(out, 'test-results'), PW_HTML_DIR: join(out, 'html'),
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /13 of 13 journeys passed, 0 failed/);
  checkTagging(await sb.requests());
  const journeys = readResults(join(out, 'results')).filter((l) => l.type === 'journey');
  assert.equal(journeys.length, 13);
  assert.deepEqual([...new Set(journeys.map((j) => j.device))].sort(), ['api', 'desktop', 'mobile']);
  assert.ok(journeys.every((j) => j.outcome === 'passed'));
});

test('Playwright Test: a fault fails the affected spec with the precise reason', { timeout: 120_000 }, async () => {
  await sb.fault({ route: '/api/provider/dashboard', status: 502 });
  const out = tempDir('pw-fault-');
  const run = await runPlaywright(['--project', 'api', '--grep', 'provider-api'], {
    ...baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: join(out, 'results') }),
    PW_OUTPUT_DIR: join(out, 'test-results'), PW_HTML_DIR: join(out, 'html'),
  });
  await sb.clearFaults();
  assert.equal(run.code, 1);
  const [journey] = readResults(join(out, 'results')).filter((l) => l.type === 'journey');
  assert.equal(journey?.outcome, 'failed');
  assert.equal(journey?.reason, 'GET /api/provider/dashboard: status 502 (injected_fault), expected 200');
});
