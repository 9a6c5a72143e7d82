import type { SuiteConfig } from '../config/load.ts';

/**
 * The delay before retry n (1-based): minDelay × factor^(n-1), capped. No jitter: one runner's
 * retries of one journey cannot stampede, and a predictable schedule is easier to reason about
 * against a 60 s cycle.
 */
export function backoffDelay(retry: SuiteConfig['retry'], n: number): number {
  return Math.min(retry.maxDelayMs, Math.round(retry.minDelayMs * retry.factor ** (n - 1)));
}

/** Worst-case time spent waiting between attempts of one journey. */
export function totalBackoff(retry: SuiteConfig['retry']): number {
  let total = 0;
  for (let n = 1; n <= retry.retries; n++) total += backoffDelay(retry, n);
  return total;
}
