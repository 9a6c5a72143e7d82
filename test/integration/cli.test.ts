import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { baseEnv, closedPort, readResults, runCli, startCli, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv } from '../support/sandbox.ts';

const STACK = /\n\s+at /;

test('a bad config value is one line naming the key and the fix, exit 2, no stack', async () => {
  const res = await runCli(['run', '--once'], baseEnv({ RETRIES: 'many', RUN_INTERVAL: 'soon' }));
  assert.equal(res.code, 2);
  assert.equal(res.stdout, '');
  assert.deepEqual(res.stderr.trim().split('\n'), [
    'synthetics: config RUN_INTERVAL="soon": must be a duration like 60s, 500ms or 5m (e.g. RUN_INTERVAL=60s)',
    'synthetics: config RETRIES="many": must be a whole number (e.g. RETRIES=2)',
  ]);
});

test('a real target without accounts is refused before anything runs', async () => {
  const res = await runCli(['run', '--once', '--base-url', 'https://canary.example.test'], baseEnv());
  assert.equal(res.code, 2);
  assert.match(res.stderr, /^synthetics: config SYNTH_STUDENT_EMAIL: required when BASE_URL is set/m);
  assert.doesNotMatch(res.stderr, STACK);
});

test('a refused connection fails every journey with a one-line "target unreachable" reason', async () => {
  const port = await closedPort();
  const results = tempDir('unreachable-');
  const res = await runCli(['run', '--once', '--project', 'api'], baseEnv({ ...sandboxEnv(`http://127.0.0.1:${port}`), RESULTS_DIR: results }));
  assert.equal(res.code, 1);
  assert.doesNotMatch(res.stdout + res.stderr, STACK);
  const journeys = readResults(results).filter((l) => l.type === 'journey');
  assert.equal(journeys.length, 7);
  for (const j of journeys) assert.equal(j.reason, `target unreachable: http://127.0.0.1:${port} (ECONNREFUSED)`, String(j.journey));
});

test('an unknown host is "target unreachable" too', async () => {
  const results = tempDir('unknown-host-');
  const res = await runCli(['run', '--once', '--journey', 'health'], baseEnv({ ...sandboxEnv('http://no-such-host.invalid'), RESULTS_DIR: results }));
  assert.equal(res.code, 1);
  assert.match(res.stdout, /target unreachable: http:\/\/no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\)/);
  assert.doesNotMatch(res.stdout + res.stderr, STACK);
});

test('no browser: one line that says what to install, exit 2', async () => {
  const res = await runCli(['run', '--once', '--project', 'browser'], baseEnv({ CHROMIUM_PATH: '/nonexistent/chromium' }));
  assert.equal(res.code, 2);
  assert.equal(res.stderr.trim(), 'synthetics: no Chromium found (looked at /nonexistent/chromium): install it with "apt-get install -y chromium" or set CHROMIUM_PATH to a Chromium/Chrome binary');
});

test('usage mistakes are one line too', async () => {
  const unknown = await runCli(['run', '--once', '--journey', 'checkout-v2'], baseEnv());
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^synthetics: --journey checkout-v2: unknown \(known: health, guardrail, /);
  const both = await runCli(['run'], baseEnv());
  assert.equal(both.code, 2);
  assert.match(both.stderr, /needs exactly one of --once or --every/);
  const badTarget = await runCli(['run', '--every', '60s', '--target', 'canary'], baseEnv());
  assert.equal(badTarget.code, 2);
  assert.match(badTarget.stderr, /--target "canary": must be NAME=URL/);
});

test('with no URL, run --once starts the embedded sandbox and passes', { timeout: 120_000 }, async () => {
  const res = await runCli(['run', '--once', '--project', 'api'], baseEnv({ RESULTS_DIR: tempDir('embedded-'), CRITICAL_BUDGET_MS: '1234' }));
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stderr, /no BASE_URL: targeting the embedded sandbox at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(res.stdout, /7 of 7 journeys passed, 0 failed/);
  assert.match(res.stdout, /GET \/api\/scholarships\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+1234\s+0$/m);
});

test('synthetics sandbox --port 0 prints its URL, serves the contract and stops on SIGTERM', async () => {
  const sb = startCli(['sandbox', '--port', '0'], baseEnv());
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${sb.output()}`)), 15_000);
    sb.child.stdout!.on('data', () => {
      const m = /sandbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(sb.output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  sb.child.kill('SIGTERM');
  assert.equal(await sb.exited, 0);
});

test('two cron-started runs against one target never overlap: the second is skipped', { timeout: 60_000 }, async () => {
  const sb = await sandbox();
  try {
    await sb.fault({ route: '/api/flags', latencyMs: 2500 });
    const results = tempDir('lock-');
    const env = baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: results, RUNNER_ID: 'cron-a' });
    const first = runCli(['run', '--once', '--journey', 'guardrail'], env);
    await new Promise((r) => setTimeout(r, 1200));
    const second = await runCli(['run', '--once', '--journey', 'guardrail'], env);
    assert.equal(second.code, 0);
    assert.match(second.stderr, /target default: another run \(pid \d+\) is still going; skipped/);
    assert.equal(second.stdout, '', 'the second run ran no journey');
    await first;
    // Released: the next run goes ahead.
    await sb.clearFaults();
    const third = await runCli(['run', '--once', '--journey', 'guardrail'], env);
    assert.equal(third.code, 0);
    assert.match(third.stdout, /1 of 1 journeys passed/);
  } finally {
    await sb.close();
  }
});

test('several targets in one run, from a targets file, each with its own labels', { timeout: 60_000 }, async () => {
  const sb = await sandbox();
  try {
    const dir = tempDir('targets-');
    const targets = join(dir, 'targets.json');
    writeFileSync(targets, JSON.stringify([{ name: 'canary', url: sb.url }, { name: 'control', url: sb.url }]));
    const res = await runCli(['run', '--once', '--journey', 'health', '--targets', targets], baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: dir }));
    assert.equal(res.code, 0, res.stdout + res.stderr);
    // Targets run concurrently: the store's order is whichever finished first.
    const journeys = readResults(dir).filter((l) => l.type === 'journey').map((l) => [String(l.target), String(l.canary)]).sort((a, b) => a[0]!.localeCompare(b[0]!));
    assert.deepEqual(journeys, [['canary', 'true'], ['control', 'false']]);
    assert.match(res.stdout, /target canary \(http:\/\/127\.0\.0\.1:\d+\)/);
    assert.match(res.stdout, /target control \(http:\/\/127\.0\.0\.1:\d+\)/);
  } finally {
    await sb.close();
  }
});

test('.env is read from the working directory, and the real environment wins over it', async () => {
  const dir = tempDir('dotenv-');
  writeFileSync(join(dir, '.env'), 'RETRIES=lots\nREGION=from-dotenv\n');
  const env = baseEnv();
  delete env.RETRIES;
  const bad = await runCli(['config'], env, { cwd: dir });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim(), 'synthetics: config RETRIES="lots": must be a whole number (e.g. RETRIES=2)');
  const overridden = await runCli(['config'], { ...env, RETRIES: '1' }, { cwd: dir });
  assert.equal(overridden.code, 0, overridden.stderr);
  assert.equal(overridden.stdout.trim(), 'config ok');
});
