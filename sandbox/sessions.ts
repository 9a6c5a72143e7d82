// Cookie sessions for the web UI. The session id travels in an HttpOnly cookie;
// the CSRF token in a readable one, which the page's script copies into the
// x-csrf-token header (double submit, checked against the server's copy).
import { timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import { SESSION_TTL_SECONDS } from './defaults.ts';
import { randomToken } from './ids.ts';

export const SESSION_COOKIE = 'sid';
export const CSRF_COOKIE = 'csrf_token';

export interface Session {
  id: string;
  userId: string;
  csrfToken: string;
  expiresAtMs: number;
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private createdSinceSweep = 0;

  constructor(private readonly ttlSeconds = SESSION_TTL_SECONDS) {}

  create(userId: string, nowMs = Date.now()): Session {
    this.sweep(nowMs);
    const session: Session = {
      id: randomToken(32),
      userId,
      csrfToken: randomToken(24),
      expiresAtMs: nowMs + this.ttlSeconds * 1000,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session named by the request's cookie, if it exists and is still alive. */
  fromRequest(req: Request, nowMs = Date.now()): Session | undefined {
    const sid = readCookie(req, SESSION_COOKIE);
    if (!sid) return undefined;
    const session = this.sessions.get(sid);
    if (!session || session.expiresAtMs <= nowMs) return undefined;
    return session;
  }

  /** Every live session id and CSRF token (the leak test greps a run's output for them). */
  secrets(): string[] {
    return [...this.sessions.values()].flatMap((s) => [s.id, s.csrfToken]);
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(nowMs: number): void {
    if (++this.createdSinceSweep < 1000) return;
    this.createdSinceSweep = 0;
    for (const [id, s] of this.sessions) if (s.expiresAtMs <= nowMs) this.sessions.delete(id);
  }
}

export function csrfMatches(session: Session, header: string | undefined): boolean {
  if (!header) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function setSessionCookies(req: Request, res: Response, session: Session): void {
  const base: CookieOptions = {
    path: '/',
    sameSite: 'lax',
    secure: req.secure,
    maxAge: session.expiresAtMs - Date.now(),
  };
  res.cookie(SESSION_COOKIE, session.id, { ...base, httpOnly: true });
  res.cookie(CSRF_COOKIE, session.csrfToken, { ...base, httpOnly: false });
}

export function clearSessionCookies(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { path: '/' });
  res.clearCookie(CSRF_COOKIE, { path: '/' });
}

// No cookie-parser dependency: two cookies of base64url values need no more.
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return undefined;
}
