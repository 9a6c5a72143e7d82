import type { Account } from '../../src/core/target.ts';
import { CheckFailure } from '../../src/core/errors.ts';
import type { JourneyContext } from '../journey.ts';

export type Role = 'student' | 'provider' | 'quota';

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; role: string };
}

export function account(ctx: JourneyContext, role: Role): Account {
  const found = ctx.target.accounts[role];
  if (!found) {
    const key = `SYNTH_${role.toUpperCase()}`;
    throw new CheckFailure(`${key}_EMAIL / ${key}_PASSWORD not set for target ${ctx.target.name}`);
  }
  return found;
}

/** JSON login (no cookies): the bearer session most API journeys act with. */
export async function logIn(ctx: JourneyContext, role: Role): Promise<Session> {
  const { email, password } = account(ctx, role);
  const res = await ctx.api.post<Session>('/api/auth/login', {
    body: { email, password },
    bodySchema: 'login-request',
    schema: 'auth-session',
  });
  return res.body;
}
