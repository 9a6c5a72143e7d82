import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scrubber } from '../../src/core/scrub.ts';

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
