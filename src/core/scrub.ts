/**
 * Removes secrets and PII from any text the suite writes (logs, reasons, reports, results).
 * Known secrets (passwords from config, tokens seen in responses) are replaced exactly; patterns
 * catch what was never registered. Synthetic ids and schema hashes survive: they are the
 * correlation keys, not secrets.
 */
const PATTERNS: Array<[RegExp, string]> = [
  // JWT-shaped tokens (header.payload.signature, base64url).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g, '[token]'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [token]'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]'],
  [/("?(?:password|passwd|secret|token|accessToken|refreshToken|clientToken|nonce|csrfToken|cookie|authorization)"?\s*[:=]\s*)("[^"]*"|[^\s,;&}]+)/gi, '$1[redacted]'],
];

/** Tokens seen during a run: enough for every token of many cycles, bounded for a runner that lives for weeks. */
const MAX_SEEN = 2000;

export class Scrubber {
  /** Configured credentials: kept for the life of the process. */
  private readonly pinned = new Set<string>();
  /** Tokens seen in traffic, oldest first; a token only matters while its attempt can still write. */
  private readonly seen = new Set<string>();

  /** Registers a value that must never be written; short values are ignored (too many false hits). */
  addSecret(value: string | undefined | null, pin = false): void {
    if (!value || value.length < 6 || this.pinned.has(value)) return;
    if (pin) {
      this.pinned.add(value);
      return;
    }
    this.seen.delete(value);
    this.seen.add(value);
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.pinned) out = out.split(secret).join('[secret]');
    for (const secret of this.seen) out = out.split(secret).join('[secret]');
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }
}

/** The process-wide scrubber: config secrets and every token a journey receives are added to it. */
export const scrubber = new Scrubber();
export const scrub = (text: string): string => scrubber.scrub(text);
