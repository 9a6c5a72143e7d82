import express, { type Request, type Response, type Router } from 'express';
import { checkCredentials } from '../../api/auth.ts';
import type { Deps } from '../../deps.ts';
import { clearSessionCookies, csrfMatches, setSessionCookies } from '../../sessions.ts';
import { html, keepE2e } from '../html.ts';
import { errorPage, sendPage } from '../layout.ts';

const formBody = express.urlencoded({ extended: false, limit: '10kb' });

export function loginPages(r: Router, deps: Deps): void {
  r.get('/login', deps.gate, (req, res) => {
    loginPage(req, res, 200);
  });

  r.post('/login', deps.gate, formBody, async (req, res) => {
    const email = typeof req.body?.email === 'string' ? req.body.email : '';
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    const user = email && password ? await checkCredentials(deps, email, password) : undefined;
    if (!user) return loginPage(req, res, 401, 'Wrong email or password.');
    const session = deps.sessions.create(user.id);
    setSessionCookies(req, res, session);
    deps.analytics.record('logins', res.locals.synthetic);
    res.redirect(303, keepE2e(safeNext(req.body?.next), res.locals.synthetic));
  });

  r.post('/logout', deps.gate, formBody, (req, res) => {
    const session = res.locals.principal?.session;
    if (session) {
      if (!csrfMatches(session, typeof req.body?.csrf === 'string' ? req.body.csrf : undefined)) {
        return errorPage(res, 403, 'Sign-out refused', 'The form was stale; reload the page and try again.');
      }
      deps.sessions.destroy(session.id);
    }
    clearSessionCookies(res);
    res.redirect(303, keepE2e('/', res.locals.synthetic));
  });
}

function loginPage(req: Request, res: Response, status: number, error?: string): void {
  const next = safeNext(req.body?.next ?? req.query.next);
  const synthetic = res.locals.synthetic;
  sendPage(
    res,
    {
      title: 'Sign in',
      name: 'login',
      body: html`<h1>Sign in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="login" method="post" action="${keepE2e('/login', synthetic)}">
  <input type="hidden" name="next" value="${next}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required data-testid="email">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required data-testid="password">
  <button type="submit" data-testid="login-submit">Sign in</button>
</form>`,
    },
    status,
  );
}

// Only a path on this site: `next` must never turn the login into an open
// redirect (`//evil.test`, `/\evil.test`, `https://…` are all refused).
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return '/';
  }
  if (/[\u0000-\u001f\u007f]/.test(next)) return '/';
  try {
    const base = 'http://sandbox.invalid';
    const url = new URL(next, base);
    return url.origin === base ? url.pathname + url.search + url.hash : '/';
  } catch {
    return '/';
  }
}
