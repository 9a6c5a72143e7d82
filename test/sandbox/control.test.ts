import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { call, formLogin, login, useSandbox } from './helpers.ts';

let base: string;
useSandbox((s) => (base = s.url));
beforeEach(async () => {
  await call(base, 'DELETE', '/__sandbox/requests');
  await call(base, 'DELETE', '/__sandbox/analytics');
});

describe('request log', () => {
  it('records what the caller sent, with the final status, and not the control surface', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await call(base, 'GET', '/api/scholarships?q=nursing&e2e=1', {
      headers: {
        'user-agent': 'ScholarshipAI-Canary/1.0 (+build abc123)',
        'x-synthetic-id': 'syn-1',
        traceparent,
      },
    });
    await call(base, 'GET', '/api/scholarships/sch_nope');
    await call(base, 'GET', '/__sandbox/faults');
    const log = (await call(base, 'GET', '/__sandbox/requests')).body;
    assert.equal(log.length, 2, JSON.stringify(log));
    const [first, second] = log;
    assert.equal(first.method, 'GET');
    assert.equal(first.path, '/api/scholarships');
    assert.deepEqual(first.query, { q: 'nursing', e2e: '1' });
    assert.equal(first.userAgent, 'ScholarshipAI-Canary/1.0 (+build abc123)');
    assert.equal(first.syntheticId, 'syn-1');
    assert.equal(first.traceparent, traceparent);
    assert.equal(first.status, 200);
    assert.equal(second.status, 404);
    assert.equal(second.syntheticId, null);
    assert.equal(second.traceparent, null);
  });

  it('clears on DELETE', async () => {
    await call(base, 'GET', '/api/flags');
    assert.equal((await call(base, 'DELETE', '/__sandbox/requests')).status, 204);
    assert.deepEqual((await call(base, 'GET', '/__sandbox/requests')).body, []);
  });
});

describe('analytics', () => {
  it('counts real traffic and leaves e2e=1 out', async () => {
    await fetch(`${base}/`);
    await fetch(`${base}/search?q=nursing`);
    await fetch(`${base}/?e2e=1`);
    await fetch(`${base}/search?q=nursing&e2e=1`);
    await call(base, 'GET', '/api/scholarships?q=art');
    await call(base, 'GET', '/api/scholarships?q=art&e2e=1');
    await login(base, 'student');
    await formLogin(base, 'student', '?e2e=1');
    await call(base, 'POST', '/api/auth/signup?e2e=1', {
      body: { email: `synthetic+${Date.now()}@example.test`, password: 'long-enough', role: 'student' },
    });
    const counters = (await call(base, 'GET', '/__sandbox/analytics')).body;
    assert.equal(counters.pageViews, 2);
    assert.equal(counters.searches, 2);
    assert.equal(counters.logins, 1);
    assert.equal(counters.signups, 0);
    assert.equal(counters.syntheticExcluded, 6);
  });
});

describe('unknown control paths', () => {
  it('answer a JSON 404', async () => {
    const reply = await call(base, 'GET', '/__sandbox/nope');
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, 'not_found');
  });
});
