import { CheckFailure } from '../../src/core/errors.ts';

/**
 * A synthetic run must never move real money: anything but sandbox mode stops the journey at
 * once, before a nonce is validated, with a reason nobody can miss.
 */
export function assertSandboxMode(mode: unknown, where: string): void {
  if (mode !== 'sandbox') {
    throw new CheckFailure(
      `PAYMENTS NOT IN SANDBOX MODE: ${where} returned mode "${String(mode)}"; journey stopped before validation, no payment was attempted`,
    );
  }
}
