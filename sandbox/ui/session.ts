import type { Request, RequestHandler, Response } from 'express';
import type { Deps } from '../deps.ts';
import type { Principal } from '../http/locals.ts';
import type { Role } from '../model.ts';
import { keepE2e } from './html.ts';
import { errorPage } from './layout.ts';

/** Pages only know cookie sessions; a missing or stale cookie just means signed out. */
export function uiSession(deps: Deps): RequestHandler {
  return (req, res, next) => {
    const session = deps.sessions.fromRequest(req);
    const user = session && deps.store.users.get(session.userId);
    res.locals.principal = user ? { user, via: 'session', session } : undefined;
    next();
  };
}

/**
 * The signed-in principal with the right role, or undefined after answering
 * for the page: a redirect to the login page (coming back here afterwards,
 * e2e=1 kept) or a 403 page for the wrong role.
 */
export function pageUser(req: Request, res: Response, role?: Role): Principal | undefined {
  const principal = res.locals.principal;
  if (!principal) {
    res.redirect(303, loginUrl(req.originalUrl, res.locals.synthetic));
    return undefined;
  }
  if (role && principal.user.role !== role) {
    errorPage(res, 403, 'Not allowed', `This page is for ${role} accounts.`);
    return undefined;
  }
  return principal;
}

export function loginUrl(next: string, synthetic: boolean): string {
  return keepE2e(`/login?next=${encodeURIComponent(next)}`, synthetic);
}
