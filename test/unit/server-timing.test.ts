import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverTimingMs } from '../../fixtures/api-client.ts';

test('reads the app metric of a Server-Timing header', () => {
  assert.equal(serverTimingMs('app;dur=12.5'), 12.5);
  assert.equal(serverTimingMs('db;dur=4, app;desc="handler";dur=200.1'), 200.1);
  assert.equal(serverTimingMs('APP; dur = 3'), 3);
  assert.equal(serverTimingMs('db;dur=4', 'db'), 4);
});

test('no header, no app metric or no usable dur gives undefined', () => {
  assert.equal(serverTimingMs(undefined), undefined);
  assert.equal(serverTimingMs(''), undefined);
  assert.equal(serverTimingMs('db;dur=4'), undefined);
  assert.equal(serverTimingMs('app'), undefined);
  assert.equal(serverTimingMs('app;dur=abc'), undefined);
  assert.equal(serverTimingMs('app;dur=1.2.3'), undefined);
});
