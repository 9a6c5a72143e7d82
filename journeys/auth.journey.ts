import { randomBytes, randomUUID } from 'node:crypto';
import { CheckFailure } from '../src/core/errors.ts';
import type { ApiResponse } from '../fixtures/api-client.ts';
import { account, type Session } from './steps/accounts.ts';
import { searchScholarships } from './steps/b2c.ts';
import { apiJourney } from './journey.ts';

/** The contract's security headers; HSTS only matters (and is only required) over HTTPS. */
export function securityHeaderProblems(res: ApiResponse, url: string, isHtml: boolean): string[] {
  const h = res.headers;
  const problems: string[] = [];
  if (h['x-content-type-options'] !== 'nosniff') problems.push('x-content-type-options is not nosniff');
  const frameDenied = /^deny$/i.test(h['x-frame-options'] ?? '') || /frame-ancestors\s+'none'/.test(h['content-security-policy'] ?? '');
  if (!frameDenied) problems.push("neither x-frame-options DENY nor CSP frame-ancestors 'none'");
  if (!h['referrer-policy']) problems.push('referrer-policy missing');
  if (isHtml && !h['content-security-policy']) problems.push('content-security-policy missing on HTML');
  if (url.startsWith('https:') && !h['strict-transport-security']) problems.push('strict-transport-security missing over HTTPS');
  return problems;
}

export default apiJourney({
  id: 'auth',
  title: 'Signup, login, token refresh, RBAC, CSRF and security headers',
  cohort: 'student',
  async run(ctx) {
    const { api, step } = ctx;
    const email = `synthetic+${randomUUID()}@example.test`;
    const password = `Syn-${randomBytes(12).toString('base64url')}`;

    const signedUp = await step('signup', async () => {
      const res = await api.post<Session>('/api/auth/signup', {
        body: { email, password, role: 'student' }, bodySchema: 'signup-request', expect: 201, schema: 'auth-session',
      });
      if (res.body.user.role !== 'student') throw new CheckFailure(`POST /api/auth/signup: role ${res.body.user.role}, expected student`);
      if (res.headers['set-cookie']) throw new CheckFailure('POST /api/auth/signup: a JSON auth endpoint set a cookie');
      return res.body;
    });

    const session = await step('login', async () => {
      const res = await api.post<Session>('/api/auth/login', { body: { email, password }, bodySchema: 'login-request', schema: 'auth-session' });
      if (res.body.user.id !== signedUp.user.id) throw new CheckFailure('POST /api/auth/login: logged in as another user');
      if (res.headers['set-cookie']) throw new CheckFailure('POST /api/auth/login: a JSON auth endpoint set a cookie');
      return res.body;
    });

    const refreshed = await step('token refresh', async () => {
      const res = await api.post<{ accessToken: string; refreshToken: string }>('/api/auth/refresh', {
        body: { refreshToken: session.refreshToken }, bodySchema: 'refresh-request', schema: 'auth-refresh',
      });
      if (res.body.refreshToken === session.refreshToken) throw new CheckFailure('POST /api/auth/refresh: refresh token did not rotate');
      // A used refresh token must be dead: replaying it is how a stolen token would be used.
      await api.post('/api/auth/refresh', {
        body: { refreshToken: session.refreshToken }, bodySchema: 'refresh-request', expect: 401, errorCode: 'unauthorized',
      });
      return res.body;
    });

    await step('rbac read', async () => {
      const me = await api.get<{ id: string; role: string }>('/api/me', { token: refreshed.accessToken, schema: 'me' });
      if (me.body.id !== signedUp.user.id || me.body.role !== 'student') throw new CheckFailure('GET /api/me: not the signed-up student');
      await api.get('/api/provider/dashboard', { token: refreshed.accessToken, expect: 403, errorCode: 'forbidden' });
      await api.get('/api/me', { expect: 401, errorCode: 'unauthorized' });
    });

    await step('csrf', async () => {
      const [first] = await searchScholarships(ctx, 1);
      const student = account(ctx, 'student');
      const browserLike = await api.session();
      const login = await browserLike.post('/login', {
        form: { email: student.email, password: student.password, next: '/' }, expect: 303, schema: null, maxRedirects: 0,
        headers: { accept: 'text/html' },
      });
      if (!login.headers['set-cookie']) throw new CheckFailure('POST /login: no session cookie set');
      const body = { scholarshipId: first!.id };
      await browserLike.post('/api/saved', { body, bodySchema: 'saved-request', expect: 403, errorCode: 'csrf_failed' });
      await browserLike.post('/api/saved', { body, bodySchema: 'saved-request', headers: { 'x-csrf-token': 'not-the-token' }, expect: 403, errorCode: 'csrf_failed' });
      const csrf = await browserLike.get<{ csrfToken: string }>('/api/auth/csrf', { schema: 'csrf' });
      const saved = await browserLike.post('/api/saved', {
        body, bodySchema: 'saved-request', headers: { 'x-csrf-token': csrf.body.csrfToken }, expect: [201, 200], schema: 'saved',
      });
      if (saved.status === 201) {
        await browserLike.delete('/api/saved/:scholarshipId', {
          params: { scholarshipId: first!.id }, headers: { 'x-csrf-token': csrf.body.csrfToken }, expect: 204, schema: null,
        });
      }
    });

    await step('security headers', async () => {
      const page = await api.get('/', { schema: null, headers: { accept: 'text/html' } });
      const json = await api.get('/api/flags', { schema: 'flags' });
      const problems = [
        ...securityHeaderProblems(page, api.baseUrl, true).map((p) => `GET /: ${p}`),
        ...securityHeaderProblems(json, api.baseUrl, false).map((p) => `GET /api/flags: ${p}`),
      ];
      if (problems.length > 0) throw new CheckFailure(`security headers: ${problems.join('; ')}`);
    });
  },
});
