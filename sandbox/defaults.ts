// Documented sandbox credentials. They only ever unlock the in-memory sandbox;
// a real deployment's accounts come from the SYNTH_* environment variables.
export const SANDBOX_ACCOUNTS = {
  student: { email: 'synthetic-student@example.test', password: 'sandbox-student-pw' },
  provider: { email: 'synthetic-provider@example.test', password: 'sandbox-provider-pw' },
  quota: { email: 'synthetic-quota@example.test', password: 'sandbox-quota-pw' },
} as const;

export type AccountKind = keyof typeof SANDBOX_ACCOUNTS;

export interface Credentials {
  email: string;
  password: string;
}

export type AccountCredentials = Record<AccountKind, Credentials>;

/** Seconds the quota account is told to wait in `retry-after`. */
export const QUOTA_RETRY_AFTER_SECONDS = 60;

/** Lifetime of an access token, in seconds (the `expiresIn` of auth responses). */
export const ACCESS_TOKEN_TTL_SECONDS = 900;

/** Lifetime of a refresh token, in seconds. */
export const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

/** Lifetime of a cookie session, in seconds. */
export const SESSION_TTL_SECONDS = 8 * 3600;

// Real environment variables win over the sandbox defaults, so the sandbox can
// be run with the very credentials a suite is configured with.
export function resolveAccounts(env: NodeJS.ProcessEnv): AccountCredentials {
  const pick = (kind: AccountKind, prefix: string): Credentials => ({
    email: env[`SYNTH_${prefix}_EMAIL`] || SANDBOX_ACCOUNTS[kind].email,
    password: env[`SYNTH_${prefix}_PASSWORD`] || SANDBOX_ACCOUNTS[kind].password,
  });
  return {
    student: pick('student', 'STUDENT'),
    provider: pick('provider', 'PROVIDER'),
    quota: pick('quota', 'QUOTA'),
  };
}
