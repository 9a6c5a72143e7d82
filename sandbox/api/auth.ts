import type { Router } from 'express';
import { currentUser } from '../auth.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { EMAIL, literal, string, validate } from '../http/validate.ts';
import { randomId } from '../ids.ts';
import type { User } from '../model.ts';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../passwords.ts';
import type { Chain } from './chain.ts';
import { userView } from './views.ts';

// These endpoints answer with tokens in the body and never set a cookie:
// cookies belong to the web UI's form login.
export function authRoutes(r: Router, deps: Deps, on: Chain): void {
  const issue = (user: User) => ({
    accessToken: deps.tokens.signAccess(user.id, user.role),
    refreshToken: deps.tokens.issueRefresh(user.id),
    expiresIn: deps.tokens.accessTtlSeconds,
  });

  r.post('/auth/signup', ...on('public'), async (req, res) => {
    const body = validate<{ email: string; password: string; role: 'student' }>(req.body, {
      email: string({ maxLength: 254, pattern: EMAIL, patternHint: 'must be an email address' }),
      password: string({ minLength: 8, maxLength: 200 }),
      role: literal('student'),
    });
    if (deps.store.userByEmail(body.email)) {
      throw new ApiError(409, 'conflict', 'An account with this email already exists');
    }
    const passwordHash = await hashPassword(body.password);
    // Checked again after the await: two signups may race for one email.
    if (deps.store.userByEmail(body.email)) {
      throw new ApiError(409, 'conflict', 'An account with this email already exists');
    }
    const user = deps.store.addUser({
      id: randomId('usr'),
      email: body.email,
      role: 'student',
      passwordHash,
      quota: null,
      synthetic: res.locals.synthetic,
      createdAt: new Date().toISOString(),
    });
    deps.analytics.record('signups', res.locals.synthetic);
    res.status(201).json({ user: userView(user), ...issue(user) });
  });

  r.post('/auth/login', ...on('public'), async (req, res) => {
    const body = validate<{ email: string; password: string }>(req.body, {
      email: string(),
      password: string(),
    });
    const user = await checkCredentials(deps, body.email, body.password);
    if (!user) throw new ApiError(401, 'invalid_credentials', 'Wrong email or password');
    deps.analytics.record('logins', res.locals.synthetic);
    res.json({ user: userView(user), ...issue(user) });
  });

  r.post('/auth/refresh', ...on('public'), (req, res) => {
    const { refreshToken } = validate<{ refreshToken: string }>(req.body, {
      refreshToken: string({ minLength: 1 }),
    });
    const result = deps.tokens.redeemRefresh(refreshToken);
    if (!result.ok) {
      throw new ApiError(
        401,
        result.reason,
        result.reason === 'token_expired' ? 'Refresh token expired' : 'Refresh token is unknown or already used',
      );
    }
    const user = deps.store.users.get(result.userId);
    if (!user) throw new ApiError(401, 'unauthorized', 'Refresh token is unknown or already used');
    res.json(issue(user));
  });

  r.get('/auth/csrf', ...on('public'), (_req, res) => {
    const session = res.locals.principal?.session;
    if (!session) throw new ApiError(401, 'unauthorized', 'No cookie session: sign in at /login');
    res.json({ csrfToken: session.csrfToken });
  });

  r.get('/me', ...on('user'), (_req, res) => {
    res.json(userView(currentUser(res)));
  });
}

/** The user whose password this is, or undefined; same cost whether or not the email exists. */
export async function checkCredentials(deps: Deps, email: string, password: string): Promise<User | undefined> {
  const user = deps.store.userByEmail(email);
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  return ok && user ? user : undefined;
}
