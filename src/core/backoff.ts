/** A retry schedule: the runner's RETRIES, RETRY_MIN_DELAY_MS, RETRY_FACTOR, RETRY_MAX_DELAY_MS. */
export interface RetrySchedule {
  retries: number;
  minDelayMs: number;
  factor: number;
  maxDelayMs: number;
}

/**
 * The delay before retry n (1-based): minDelay × factor^(n-1), capped. No jitter: one runner's
 * retries of one journey cannot stampede, and a predictable schedule is easier to reason about
 * against a 60 s cycle. Here, below both run modes, so a retry under Playwright Test waits what
 * the runner's would.
 */
export function backoffDelay(retry: RetrySchedule, n: number): number {
  return Math.min(retry.maxDelayMs, Math.round(retry.minDelayMs * retry.factor ** (n - 1)));
}

/** Worst-case time spent waiting between attempts of one journey. */
export function totalBackoff(retry: RetrySchedule): number {
  let total = 0;
  for (let n = 1; n <= retry.retries; n++) total += backoffDelay(retry, n);
  return total;
}
