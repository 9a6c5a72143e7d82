import { createHash, randomBytes } from 'node:crypto';

// Opaque ids on purpose: clients must not be able to guess or order them.
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

/** The same key always gives the same id, so seeded data is stable across runs. */
export function seededId(prefix: string, key: string): string {
  return `${prefix}_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
