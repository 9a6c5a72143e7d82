// Access tokens are signed and stateless (HS256, JWT layout); refresh tokens
// are opaque and stateful, because rotation needs to remember which were used.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS } from './defaults.ts';
import { randomToken } from './ids.ts';
import type { Role } from './model.ts';

export interface AccessClaims {
  sub: string;
  role: Role;
  iat: number;
  exp: number;
  jti: string;
}

export type VerifyResult =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: 'unauthorized' | 'token_expired' };

export type RefreshResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'unauthorized' | 'token_expired' };

interface RefreshRecord {
  userId: string;
  expiresAtMs: number;
  used: boolean;
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export class Tokens {
  private readonly refresh = new Map<string, RefreshRecord>();
  private issuedSinceSweep = 0;

  constructor(
    private readonly secret: string,
    readonly accessTtlSeconds = ACCESS_TOKEN_TTL_SECONDS,
    private readonly refreshTtlSeconds = REFRESH_TOKEN_TTL_SECONDS,
  ) {}

  /** `ttlSeconds` may be negative: the sandbox hands out already-expired tokens for checks. */
  signAccess(sub: string, role: Role, ttlSeconds = this.accessTtlSeconds, nowMs = Date.now()): string {
    const iat = Math.floor(nowMs / 1000);
    const claims: AccessClaims = { sub, role, iat, exp: iat + ttlSeconds, jti: randomToken(9) };
    const unsigned = `${HEADER}.${base64url(JSON.stringify(claims))}`;
    return `${unsigned}.${this.sign(unsigned)}`;
  }

  verifyAccess(token: string, nowMs = Date.now()): VerifyResult {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) return { ok: false, reason: 'unauthorized' };
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const actual = Buffer.from(parts[2]);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      return { ok: false, reason: 'unauthorized' };
    }
    let claims: AccessClaims;
    try {
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as AccessClaims;
    } catch {
      return { ok: false, reason: 'unauthorized' };
    }
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
      return { ok: false, reason: 'unauthorized' };
    }
    if (claims.exp <= Math.floor(nowMs / 1000)) return { ok: false, reason: 'token_expired' };
    return { ok: true, claims };
  }

  issueRefresh(userId: string, ttlSeconds = this.refreshTtlSeconds, nowMs = Date.now()): string {
    this.sweep(nowMs);
    const token = randomToken(32);
    this.refresh.set(token, { userId, expiresAtMs: nowMs + ttlSeconds * 1000, used: false });
    return token;
  }

  /** Every refresh token still on record (the leak test greps a run's output for them). */
  refreshTokens(): string[] {
    return [...this.refresh.keys()];
  }

  /** Spends a refresh token: it never works a second time. */
  redeemRefresh(token: string, nowMs = Date.now()): RefreshResult {
    const record = this.refresh.get(token);
    if (!record || record.used) return { ok: false, reason: 'unauthorized' };
    if (record.expiresAtMs <= nowMs) return { ok: false, reason: 'token_expired' };
    record.used = true;
    return { ok: true, userId: record.userId };
  }

  // Used tokens are kept until they expire, so a replay is told "unauthorized"
  // rather than being indistinguishable from a typo; expired ones are dropped
  // now and then so a long-running sandbox does not grow without bound.
  private sweep(nowMs: number): void {
    if (++this.issuedSinceSweep < 1000) return;
    this.issuedSinceSweep = 0;
    for (const [token, record] of this.refresh) {
      if (record.expiresAtMs <= nowMs - 3600_000) this.refresh.delete(token);
    }
  }

  private sign(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
