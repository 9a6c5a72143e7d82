import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scrubber, scrubPatterns } from '../../src/core/scrub.ts';

test('registered secrets are replaced wherever they appear', () => {
  const s = new Scrubber();
  s.addSecret('opaque-refresh-7f3a9c');
  assert.equal(s.scrub('refresh failed for opaque-refresh-7f3a9c twice: opaque-refresh-7f3a9c'), 'refresh failed for [secret] twice: [secret]');
});

test('short values are not registered (they would blank out ordinary words)', () => {
  const s = new Scrubber();
  s.addSecret('abc');
  assert.equal(s.scrub('abc abc'), 'abc abc');
});

test('JWTs, bearer tokens, emails and key=value secrets are caught by pattern', () => {
  const s = new Scrubber();
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzEiLCJleHAiOjF9.c2lnbmF0dXJlLXZhbHVl';
  const out = s.scrub(`token ${jwt}; Authorization: Bearer abcdefghijkl; user synthetic+1234@example.test; {"password":"p4ss-word","nonce":"n-1"} refreshToken=rt_123456`);
  assert.ok(!out.includes(jwt));
  assert.ok(!out.includes('abcdefghijkl'));
  assert.ok(!out.includes('synthetic+1234@example.test'));
  assert.ok(!out.includes('p4ss-word'));
  assert.ok(!out.includes('rt_123456'));
  assert.ok(!out.includes('"n-1"'));
  assert.match(out, /\[email\]/);
});

test('synthetic ids, schema hashes and route patterns survive', () => {
  const s = new Scrubber();
  const text = 'syn-a1b2c3d4e5f6-003 GET /api/scholarships/:id schema scholarship-detail 9f86d081884c';
  assert.equal(s.scrub(text), text);
});

test('seen tokens are bounded, oldest out first; configured credentials are never dropped', () => {
  const s = new Scrubber();
  s.addSecret('configured-password', true);
  for (let i = 0; i < 2500; i++) s.addSecret(`token-number-${i}`);
  assert.equal(s.scrub('token-number-2499'), '[secret]');
  assert.equal(s.scrub('token-number-0 '), 'token-number-0 ', 'the oldest seen token was dropped');
  assert.equal(s.scrub('configured-password'), '[secret]');
});

test('a URL keeps its host but never its credentials', () => {
  const s = new Scrubber();
  assert.equal(
    s.scrub('pushgateway http://user:s3cr3t-pass@127.0.0.1:9091/metrics failed; BASE_URL=https://qa:p%40ss@canary.example.test'),
    'pushgateway http://[redacted]@127.0.0.1:9091/metrics failed; BASE_URL=https://[redacted]@canary.example.test',
  );
  // A raw "@" in the password: everything up to the last "@" before the host goes.
  assert.equal(s.scrub('"url":"http://u:p@ss@push.example.test/x"'), '"url":"http://[redacted]@push.example.test/x"');
  // An address after a URL is not taken for its userinfo.
  assert.equal(s.scrub('GET http://127.0.0.1:80/api?e2e=1 for a@b.test'), 'GET http://127.0.0.1:80/api?e2e=1 for [email]');
});

test('a config key name followed by prose stays whole; its value, when given, goes', () => {
  const s = new Scrubber();
  const line = 'config SYNTH_STUDENT_PASSWORD: required when BASE_URL is set (set it in the environment or .env; see .env.example)';
  assert.equal(s.scrub(line), line);
  assert.equal(s.scrub('config SYNTH_EXPIRED_TOKEN: must NOT have fewer than 1 characters'), 'config SYNTH_EXPIRED_TOKEN: must NOT have fewer than 1 characters');
  assert.equal(s.scrub('SYNTH_STUDENT_PASSWORD=hunter2-secret'), 'SYNTH_STUDENT_PASSWORD=[redacted]');
  assert.equal(s.scrub('{"SYNTH_QUOTA_PASSWORD": "q-pass-123"}'), '{"SYNTH_QUOTA_PASSWORD": [redacted]}');
  // Field names, query parameters and headers are values wherever they are.
  assert.equal(s.scrub('{"password":"p4ss-word","csrfToken":"c-123456"}'), '{"password":[redacted],"csrfToken":[redacted]}');
  assert.equal(s.scrub('/cb?access_token=at-123456&state=1'), '/cb?access_token=[redacted]&state=1');
  assert.equal(s.scrub('x-csrf-token: abc123 sent'), 'x-csrf-token: [redacted] sent');
  assert.equal(s.scrub('password: hunter2-secret'), 'password: [redacted]');
  // Words that merely contain a secret word are left alone.
  const reason = 'POST /api/auth/refresh: schema auth-tokens: field "accessToken" is missing';
  assert.equal(s.scrub(reason), reason);
});

test('scrubKnown takes out registered secrets only: a composed message keeps its example address', () => {
  const s = new Scrubber();
  s.addSecret('pinned-pass-123', true);
  s.addSecret('seen-token-456789');
  const message = 'config SYNTH_STUDENT_EMAIL="x": must match format "email" (e.g. SYNTH_STUDENT_EMAIL=synthetic-student@example.test)';
  assert.equal(s.scrubKnown(message), message);
  assert.equal(s.scrubKnown('login with pinned-pass-123 and seen-token-456789'), 'login with [secret] and [secret]');
  // The full scrub still takes the address out of anything else the suite writes.
  assert.match(s.scrub(message), /SYNTH_STUDENT_EMAIL=\[email\]/);
});

test('long words cost linear time, not quadratic', () => {
  const s = new Scrubber();
  const started = Date.now();
  for (const big of ['a'.repeat(200_000), 'a.'.repeat(100_000), `${'X_'.repeat(100_000)}PASSWORD: x`, 'token='.repeat(30_000)]) s.scrub(big);
  assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
  assert.equal(s.scrub(`${'a'.repeat(50_000)}@example.test`), '[email]');
});

test('knownSecrets: every pinned and seen secret, as a copy the caller cannot use to change the scrubber', () => {
  const s = new Scrubber();
  s.addSecret('configured-password', true);
  s.addSecret('seen-token-123456');
  s.addSecret('short');
  const known = s.knownSecrets();
  assert.deepEqual(known, ['configured-password', 'seen-token-123456']);
  known.length = 0;
  known.push('not-a-secret-at-all');
  assert.deepEqual(s.knownSecrets(), ['configured-password', 'seen-token-123456']);
  assert.equal(s.scrub('not-a-secret-at-all'), 'not-a-secret-at-all');
});

test('scrub is scrubKnown then scrubPatterns', () => {
  const s = new Scrubber();
  s.addSecret('seen-token-123456');
  const text = 'seen-token-123456 for a@b.test; {"password":"x"} Bearer abcdefghijkl';
  assert.equal(s.scrub(text), scrubPatterns(s.scrubKnown(text)));
  assert.equal(scrubPatterns(text), 'seen-token-123456 for [email]; {"password":[redacted]} Bearer [token]');
});
