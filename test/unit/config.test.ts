import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { CONFIG_KEYS } from '../../src/config/keys.ts';
import { ConfigError } from '../../src/core/errors.ts';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems;
  }
  return [];
};

test('defaults give a valid config that targets the embedded sandbox', () => {
  const config = loadConfig({});
  assert.equal(config.baseUrl, undefined);
  assert.equal(config.budgets.criticalMs, 150);
  assert.equal(config.retry.retries, 2);
  assert.equal(config.runIntervalMs, 60_000);
  assert.deepEqual(config.devices, ['desktop']);
});

test('a bad value is one line naming the key, the problem and an example fix', () => {
  const problems = problemsOf({ RETRIES: 'lots' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^config RETRIES="lots": must be a whole number \(e\.g\. RETRIES=2\)$/);
});

test('every problem is reported at once, not just the first', () => {
  const problems = problemsOf({ RETRIES: '99', RUN_INTERVAL: 'soon', DEVICES: 'desktop,tablet', LATENCY_BUDGETS: '{"/api/x": 10}' });
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('config RETRIES="99": must be <= 10')));
  assert.ok(problems.some((p) => p.startsWith('config RUN_INTERVAL="soon": must be a duration')));
  assert.ok(problems.includes('config DEVICES="desktop,tablet": item 2 must be one of desktop, mobile (e.g. DEVICES=desktop,mobile)'));
  assert.ok(problems.some((p) => p.startsWith('config LATENCY_BUDGETS="{"/api/x": 10}": key "/api/x" must match pattern')));
});

test('a URL without a scheme is refused', () => {
  assert.match(problemsOf({ BASE_URL: 'canary.example.test', ...accounts() })[0]!, /^config BASE_URL="canary.example.test": must match pattern/);
});

function accounts(): Record<string, string> {
  return {
    SYNTH_STUDENT_EMAIL: 's@example.test', SYNTH_STUDENT_PASSWORD: 'pw-student',
    SYNTH_PROVIDER_EMAIL: 'p@example.test', SYNTH_PROVIDER_PASSWORD: 'pw-provider',
    SYNTH_QUOTA_EMAIL: 'q@example.test', SYNTH_QUOTA_PASSWORD: 'pw-quota',
  };
}

test('a real target needs real accounts; secrets are never echoed', () => {
  const problems = problemsOf({ BASE_URL: 'https://canary.example.test', SYNTH_STUDENT_PASSWORD: 'hunter2-secret' });
  assert.ok(problems.some((p) => p === 'config SYNTH_STUDENT_EMAIL: required when BASE_URL is set (set it in the environment or .env; see .env.example)'));
  assert.ok(problems.some((p) => p.startsWith('config SYNTH_QUOTA_PASSWORD: required')));
  assert.ok(!problems.some((p) => p.includes('SYNTH_STUDENT_PASSWORD')), 'the given password is not a problem');
  const bad = problemsOf({ ...accounts(), BASE_URL: 'https://x.test', SYNTH_EXPIRED_TOKEN: '' , SYNTH_STUDENT_EMAIL: 'not-an-email' });
  assert.equal(bad.length, 1);
  assert.match(bad[0]!, /^config SYNTH_STUDENT_EMAIL="not-an-email": must match format "email"/);
  const config = loadConfig({ ...accounts(), BASE_URL: 'https://canary.example.test/' });
  assert.equal(config.baseUrl, 'https://canary.example.test');
  assert.equal(config.accounts.student?.password, 'pw-student');
});

test('the target named canary is labelled canary', () => {
  assert.equal(loadConfig({ TARGET_NAME: 'canary' }).canary, true);
  assert.equal(loadConfig({ TARGET_NAME: 'control' }).canary, false);
  assert.equal(loadConfig({ CANARY: 'yes' }).canary, true);
});

test('.env.example documents exactly the config keys', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const keys = [...text.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
  assert.deepEqual(keys.sort(), CONFIG_KEYS.map((k) => k.key).sort(), 'regenerate: npx tsx scripts/gen-env-example.ts > .env.example');
  for (const k of CONFIG_KEYS) assert.ok(text.includes(k.meaning.slice(0, 30)), `${k.key} has its meaning in .env.example`);
  // It must load as-is (QA copies it to .env to run against a local sandbox).
  const env = Object.fromEntries([...text.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  loadConfig({ ...env, BASE_URL: 'http://127.0.0.1:4010' });
});

test('EVIDENCE: on-failure by default; off, on-failure or always; a bad value is one line with the fix', () => {
  assert.deepEqual(loadConfig({}).evidence, { mode: 'on-failure', mask: [] });
  assert.deepEqual(loadConfig({ EVIDENCE: 'always', EVIDENCE_MASK: '.who, [data-testid=account-email]' }).evidence, { mode: 'always', mask: ['.who', '[data-testid=account-email]'] });
  assert.equal(loadConfig({ EVIDENCE: 'off' }).evidence.mode, 'off');
  assert.deepEqual(problemsOf({ EVIDENCE: 'sometimes' }), ['config EVIDENCE="sometimes": must be one of off, on-failure, always (e.g. EVIDENCE=on-failure)']);
});
