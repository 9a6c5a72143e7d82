import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/**
 * The gate's token and request body: where a caller may put the token (a Bearer header, the
 * ship-room's HttpOnly cookie, Flagger's `metadata.token`), compared in constant time, and how
 * much body is read. The token is never echoed: `redact` takes it out of anything sent back.
 */
export const TOKEN_COOKIE = 'synthetics_gate';
/** Flagger's webhook payload is a few hundred bytes; anything near this is not Flagger. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Equal-length digests, so neither the comparison nor the length check leaks how much matched. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function bearerOf(req: http.IncomingMessage): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export function cookieTokenOf(req: http.IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** The request body up to `MAX_BODY_BYTES`; undefined when it is larger (the rest is discarded). */
export function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Flagger's payload: `{name, namespace, phase, checksum, metadata: {…}}`; the token may be in `metadata.token`. */
export function metadataTokenOf(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const token = (parsed as { metadata?: { token?: unknown } } | null)?.metadata?.token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** Every string inside `value` with `secret` replaced (values only: the JSON stays valid). */
export function redact(value: unknown, secret: string): unknown {
  if (typeof value === 'string') return value.includes(secret) ? value.split(secret).join('[redacted]') : value;
  if (Array.isArray(value)) return value.map((v) => redact(v, secret));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, secret)]));
  }
  return value;
}
