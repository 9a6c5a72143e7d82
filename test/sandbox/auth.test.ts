import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { SANDBOX_ACCOUNTS, assertErrorBody, call, login, useSandbox } from './helpers.ts';

let base: string;
useSandbox((s) => (base = s.url));

describe('signup and login', () => {
  it('signs up a synthetic account with e2e=1 and never sets a cookie', async () => {
    const email = `synthetic+${randomUUID()}@example.test`;
    const reply = await call(base, 'POST', '/api/auth/signup?e2e=1', {
      body: { email, password: 'correct-horse', role: 'student' },
    });
    assert.equal(reply.status, 201);
    assert.deepEqual(Object.keys(reply.body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'user']);
    assert.equal(reply.body.user.email, email);
    assert.equal(reply.body.user.role, 'student');
    assert.equal(reply.body.expiresIn, 900);
    assert.equal(reply.headers.get('set-cookie'), null);
    const state = await call(base, 'GET', '/__sandbox/state');
    assert.equal(state.body.users.find((u: any) => u.email === email).synthetic, true);

    const taken = await call(base, 'POST', '/api/auth/signup', {
      body: { email, password: 'correct-horse', role: 'student' },
    });
    assert.equal(taken.status, 409);
    assertErrorBody(taken.body, 'conflict');
  });

  it('marks accounts created without e2e=1 as real', async () => {
    const email = `real-${randomUUID()}@example.test`;
    await call(base, 'POST', '/api/auth/signup', { body: { email, password: 'correct-horse', role: 'student' } });
    const state = await call(base, 'GET', '/__sandbox/state');
    assert.equal(state.body.users.find((u: any) => u.email === email).synthetic, false);
  });

  it('validates signups and lists every problem', async () => {
    const reply = await call(base, 'POST', '/api/auth/signup', {
      body: { email: 'not-an-email', password: 'short', role: 'provider' },
    });
    assert.equal(reply.status, 400);
    assertErrorBody(reply.body, 'invalid_request');
    for (const field of ['email', 'password', 'role']) assert.match(reply.body.error.message, new RegExp(`"${field}"`));
  });

  it('logs in with the same shape as signup; a wrong password is 401 invalid_credentials', async () => {
    const { email, password } = SANDBOX_ACCOUNTS.student;
    const ok = await call(base, 'POST', '/api/auth/login', { body: { email, password } });
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'user']);
    assert.equal(ok.headers.get('set-cookie'), null);
    const [h, p, s] = ok.body.accessToken.split('.');
    assert.ok(h && p && s);
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    assert.equal(claims.sub, ok.body.user.id);
    assert.equal(claims.role, 'student');
    assert.equal(claims.exp - claims.iat, 900);
    const bad = await call(base, 'POST', '/api/auth/login', { body: { email, password: 'wrong-password' } });
    assert.equal(bad.status, 401);
    assertErrorBody(bad.body, 'invalid_credentials');
    const unknown = await call(base, 'POST', '/api/auth/login', { body: { email: 'nobody@example.test', password } });
    assert.equal(unknown.status, 401);
  });

  it('logs in fast', async () => {
    const { email, password } = SANDBOX_ACCOUNTS.student;
    await call(base, 'POST', '/api/auth/login', { body: { email, password } });
    const started = performance.now();
    for (let i = 0; i < 10; i++) await call(base, 'POST', '/api/auth/login', { body: { email, password } });
    const perLogin = (performance.now() - started) / 10;
    assert.ok(perLogin < 30, `${perLogin.toFixed(1)} ms per login`);
  });
});

describe('bearer tokens', () => {
  it('identifies the caller on /api/me', async () => {
    const { accessToken, user } = await login(base, 'student');
    const me = await call(base, 'GET', '/api/me', { token: accessToken });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { id: user.id, email: SANDBOX_ACCOUNTS.student.email, role: 'student' });
  });

  it('answers 401 unauthorized for a missing, malformed or forged token', async () => {
    const { accessToken } = await login(base, 'student');
    const forged = accessToken.slice(0, -2) + (accessToken.endsWith('AA') ? 'BB' : 'AA');
    const variants: Record<string, string>[] = [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer nonsense' }, { authorization: `Bearer ${forged}` }];
    for (const headers of variants) {
      const reply = await call(base, 'GET', '/api/me', { headers });
      assert.equal(reply.status, 401, JSON.stringify(headers));
      assertErrorBody(reply.body, 'unauthorized');
    }
  });

  it('answers 401 token_expired for the sandbox’s expired token', async () => {
    const { token } = (await call(base, 'GET', '/__sandbox/expired-token')).body;
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.ok(claims.exp < Date.now() / 1000);
    const reply = await call(base, 'GET', '/api/me', { token });
    assert.equal(reply.status, 401);
    assertErrorBody(reply.body, 'token_expired');
  });

  it('rotates refresh tokens: the used one is dead, an expired one says so', async () => {
    const { refreshToken, accessToken } = await login(base, 'student');
    const first = await call(base, 'POST', '/api/auth/refresh', { body: { refreshToken } });
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.body).sort(), ['accessToken', 'expiresIn', 'refreshToken']);
    assert.notEqual(first.body.refreshToken, refreshToken);
    assert.notEqual(first.body.accessToken, accessToken);
    assert.equal((await call(base, 'GET', '/api/me', { token: first.body.accessToken })).status, 200);

    const replay = await call(base, 'POST', '/api/auth/refresh', { body: { refreshToken } });
    assert.equal(replay.status, 401);
    assertErrorBody(replay.body, 'unauthorized');

    const next = await call(base, 'POST', '/api/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
    assert.equal(next.status, 200);

    const unknown = await call(base, 'POST', '/api/auth/refresh', { body: { refreshToken: 'never-issued' } });
    assertErrorBody(unknown.body, 'unauthorized');

    const expired = (await call(base, 'GET', '/__sandbox/expired-refresh-token')).body.refreshToken;
    const late = await call(base, 'POST', '/api/auth/refresh', { body: { refreshToken: expired } });
    assert.equal(late.status, 401);
    assertErrorBody(late.body, 'token_expired');
  });

  it('answers 403 forbidden for the wrong role', async () => {
    const provider = (await login(base, 'provider')).accessToken;
    const reply = await call(base, 'POST', '/api/saved', { token: provider, body: { scholarshipId: 'x' } });
    assert.equal(reply.status, 403);
    assertErrorBody(reply.body, 'forbidden');
  });

  it('answers the quota account with 429 over_quota and retry-after on any /api call', async () => {
    const { accessToken } = await login(base, 'quota');
    for (const path of ['/api/me', '/api/scholarships', '/api/flags', '/api/unknown']) {
      const reply = await call(base, 'GET', path, { token: accessToken });
      assert.equal(reply.status, 429, path);
      assertErrorBody(reply.body, 'over_quota');
      const retryAfter = Number(reply.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `retry-after ${retryAfter}`);
    }
  });
});
