// Who is calling, and may they. Runs per route (not per router) so that a 401,
// 403 or 429 is measured under the route's pattern like any other response.
import type { Request, RequestHandler, Response } from 'express';
import type { Deps } from './deps.ts';
import { QUOTA_RETRY_AFTER_SECONDS } from './defaults.ts';
import { ApiError } from './http/errors.ts';
import type { Principal } from './http/locals.ts';
import type { Role } from './model.ts';
import { csrfMatches } from './sessions.ts';

/** `public`: anyone; `user`: any signed-in role; a role: only that role. */
export type Access = 'public' | 'user' | Role;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function guard(deps: Deps, access: Access): RequestHandler {
  return (req, res, next) => {
    const principal = identify(deps, req);
    if (principal?.via === 'session' && UNSAFE.has(req.method)) {
      if (!csrfMatches(principal.session!, req.get('x-csrf-token'))) {
        throw new ApiError(403, 'csrf_failed', 'Missing or wrong x-csrf-token for this session');
      }
    }
    // The quota account exists to prove the 429 path without flooding the app.
    if (principal && principal.user.quota !== null && principal.user.quota <= 0) {
      throw new ApiError(429, 'over_quota', 'API quota exhausted for this account', {
        'retry-after': String(QUOTA_RETRY_AFTER_SECONDS),
      });
    }
    res.locals.principal = principal;
    if (access !== 'public') requirePrincipal(res, access);
    next();
  };
}

/** The signed-in user of a guarded route. */
export function currentUser(res: Response) {
  const principal = res.locals.principal;
  if (!principal) throw new ApiError(401, 'unauthorized', 'Authentication required');
  return principal.user;
}

// A bearer header, when present, decides alone: a bad token is a 401 even if a
// session cookie came along, so a client never silently runs as someone else.
function identify(deps: Deps, req: Request): Principal | undefined {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError(401, 'unauthorized', 'Authorization must be "Bearer <accessToken>"');
    const result = deps.tokens.verifyAccess(match[1]);
    if (!result.ok) {
      throw new ApiError(
        401,
        result.reason,
        result.reason === 'token_expired' ? 'Access token expired' : 'Invalid access token',
      );
    }
    const user = deps.store.users.get(result.claims.sub);
    if (!user) throw new ApiError(401, 'unauthorized', 'Invalid access token');
    return { user, via: 'bearer' };
  }
  const session = deps.sessions.fromRequest(req);
  if (!session) return undefined;
  const user = deps.store.users.get(session.userId);
  return user ? { user, via: 'session', session } : undefined;
}

function requirePrincipal(res: Response, access: Exclude<Access, 'public'>): void {
  const principal = res.locals.principal;
  if (!principal) throw new ApiError(401, 'unauthorized', 'Authentication required');
  if (access !== 'user' && principal.user.role !== access) {
    throw new ApiError(403, 'forbidden', `This endpoint is for the ${access} role`);
  }
}
