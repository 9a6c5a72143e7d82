import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

// scrypt at a deliberately small cost: the sandbox must answer logins in a few
// milliseconds (latency budgets are checked against it), yet never keep a
// password in the clear.
const COST = 1024;
const KEY_LENGTH = 32;

export function hashPasswordSync(password: string): string {
  const salt = randomBytes(16);
  return format(salt, scryptSync(password, salt, KEY_LENGTH, { N: COST }));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return format(salt, await derive(password, salt));
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, , saltB64, hashB64] = stored.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await derive(password, Buffer.from(saltB64, 'base64'));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Compared against when the email is unknown, so a wrong email costs the same
// time as a wrong password and timing does not reveal which accounts exist.
export const DUMMY_HASH = hashPasswordSync('not-a-real-password');

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: COST }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function format(salt: Buffer, key: Buffer): string {
  return `scrypt$${COST}$${salt.toString('base64')}$${key.toString('base64')}`;
}
