/**
 * Removes secrets and PII from any text the suite writes (logs, reasons, reports, results).
 * Known secrets (passwords from config, tokens seen in responses) are replaced exactly; patterns
 * catch what was never registered. Synthetic ids and schema hashes survive: they are the
 * correlation keys, not secrets.
 */

/**
 * Credentials in a URL's userinfo (`https://user:pass@host`): the whole userinfo goes, the host
 * stays. Greedy up to the last `@` before the host ends, so a password with a raw `@` goes too.
 */
const URL_CREDENTIALS: [RegExp, string] = [/\b([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)[^\s/?#"'<>\\]*@/g, '$1[redacted]@'];

/**
 * `key: value` / `key=value` where the key names a secret field: JSON `"password":"x"`, a query
 * `access_token=x`, a header `authorization: Bearer x`, an env line `SYNTH_STUDENT_PASSWORD=x`.
 * Not an UPPER_CASE config key name followed by `: ` and prose (`SYNTH_STUDENT_PASSWORD: required
 * when …`): that is a message about the key, not its value.
 */
const SECRET_FIELD = /("?)(password|passwd|secret|token|nonce|cookie|authorization)("?\s*[:=]\s*)("[^"]*"|[^\s,;&}]+)/gi;

/** A config key's name as messages name it: upper case, with `_` (SYNTH_STUDENT_PASSWORD, SYNTH_EXPIRED_TOKEN). */
const CONFIG_KEY_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

function scrubField(match: string, quote: string, word: string, sep: string, _value: string, offset: number, text: string): string {
  // The whole name the secret word ends (`SYNTH_STUDENT_PASSWORD`, `access_token`, `x-csrf-token`),
  // found by looking back rather than in the pattern (a prefix there would cost quadratic time on long words).
  let start = offset;
  while (start > 0 && offset - start <= 64 && /[A-Za-z0-9_-]/.test(text[start - 1]!)) start--;
  const name = offset - start > 64 ? '' : text.slice(start, offset) + word;
  const aboutTheKey = !quote && CONFIG_KEY_NAME.test(name) && /^:\s+$/.test(sep);
  return aboutTheKey ? match : `${quote}${word}${sep}[redacted]`;
}

const PATTERNS: Array<[RegExp, string]> = [
  URL_CREDENTIALS,
  // JWT-shaped tokens (header.payload.signature, base64url).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g, '[token]'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [token]'],
  // Starts only where a run of local-part characters starts: linear, not quadratic, on long words.
  [/(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]'],
];

/**
 * The patterns alone, no known secrets: JWT and bearer tokens, emails, URL credentials and
 * secret-named fields. For a caller that replaces known secrets itself, in one pass over large
 * text (evidence traces), rather than once per secret.
 */
export function scrubPatterns(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out.replace(SECRET_FIELD, scrubField);
}

/** Removes the credentials of every URL in `text`, nothing else. */
export const scrubUrlCredentials = (text: string): string => text.replace(URL_CREDENTIALS[0], URL_CREDENTIALS[1]);

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

  /** Everything: known secrets, then the patterns (for logs, reasons, results, unexpected errors). */
  scrub(text: string): string {
    return scrubPatterns(this.scrubKnown(text));
  }

  /**
   * Known secrets only (pinned and seen), no patterns: for text the suite composed itself, such as
   * a usage or config message, which names keys but never echoes a secret key's value. Patterns
   * there would only garble it (an example address, "PASSWORD: required").
   */
  scrubKnown(text: string): string {
    let out = text;
    for (const secret of this.pinned) out = out.split(secret).join('[secret]');
    for (const secret of this.seen) out = out.split(secret).join('[secret]');
    return out;
  }

  /**
   * Every secret known now (pinned, then seen), as a copy: for a scan that checks scrubbed output
   * (evidence traces) without being able to change what the scrubber knows.
   */
  knownSecrets(): string[] {
    return [...this.pinned, ...this.seen];
  }
}

/** The process-wide scrubber: config secrets and every token a journey receives are added to it. */
export const scrubber = new Scrubber();
export const scrub = (text: string): string => scrubber.scrub(text);
