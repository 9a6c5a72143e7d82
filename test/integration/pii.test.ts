import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SANDBOX_ACCOUNTS } from '../../sandbox/defaults.ts';
import { baseEnv, runCli, runPlaywright, tempDir } from '../support/cli.ts';
import { filesUnder, findLeaks } from '../support/leaks.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';

let sb: SandboxHandle;
before(async () => {
  sb = await sandbox();
});
after(async () => {
  await sb.close();
});

test('no password, token or account email appears in anything a run writes', { timeout: 300_000 }, async () => {
  const out = tempDir('pii-');
  const env = baseEnv({ ...sandboxEnv(sb.url), RESULTS_DIR: join(out, 'results'), DEVICES: 'desktop,mobile' });

  // The runner: a green run of every journey, then a failing one (failure reasons are written too).
  const green = await runCli(['run', '--once', '--project', 'all'], env);
  assert.equal(green.code, 0, green.stdout + green.stderr);
  await sb.fault({ route: '/api/auth/refresh', drift: 'type:refreshToken' });
  await sb.fault({ route: '/api/me', status: 500 });
  const red = await runCli(['run', '--once', '--project', 'api'], env);
  await sb.clearFaults();
  assert.equal(red.code, 1);
  writeFileSync(join(out, 'runner.log'), green.stdout + green.stderr + red.stdout + red.stderr);

  // Playwright Test: HTML and JSON reports, test-results, the same results store.
  const pw = await runPlaywright(['--project', 'api', '--project', 'desktop'], {
    ...env, PW_OUTPUT_DIR: join(out, 'test-results'), PW_HTML_DIR: join(out, 'html'), PW_JSON_FILE: join(out, 'report.json'),
  });
  writeFileSync(join(out, 'playwright.log'), pw.stdout + pw.stderr);
  assert.equal(pw.code, 0, pw.stdout + pw.stderr);

  const issued = (await (await fetch(`${sb.url}/__sandbox/issued-secrets`)).json()) as Record<string, string[]>;
  const accounts = Object.values(SANDBOX_ACCOUNTS);
  const secrets = {
    password: accounts.map((a) => a.password),
    'account email': [...accounts.map((a) => a.email), ...issued.emails!],
    'refresh token': issued.refreshTokens!,
    'session id or CSRF token': issued.sessionSecrets!,
    'checkout nonce or client token': issued.checkoutSecrets!,
  };
  assert.ok(issued.refreshTokens!.length > 5 && issued.emails!.some((e) => e.startsWith('synthetic+')), 'the runs really handled secrets');
  const files = filesUnder(out);
  assert.ok(files.some((f) => f.endsWith('.ndjson')) && files.some((f) => f.endsWith('index.html')) && files.some((f) => f.endsWith('report.json')), files.join('\n'));
  const leaks = findLeaks([out], secrets);
  assert.deepEqual(leaks, [], `leaks:\n${leaks.map((l) => `${l.what} in ${l.file}`).join('\n')}`);
});

test('the leak check itself finds a planted secret (it is able to fail)', () => {
  const dir = tempDir('pii-canary-');
  writeFileSync(join(dir, 'a.ndjson'), '{"reason":"login failed for sandbox-student-pw"}\n');
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ attachments: [{ body: Buffer.from('token eyJhbGciOi.eyJzdWIiOiJ1.c2lnbmF0dXJl').toString('base64') }] }));
  const leaks = findLeaks([dir], { password: ['sandbox-student-pw'] });
  assert.deepEqual(leaks.map((l) => l.what).sort(), ['a JWT-shaped access token', 'password']);
});
