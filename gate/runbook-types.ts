/**
 * The canary runbook as data (runbook/canary.yaml, validated by schemas/runbook/runbook.schema.json):
 * the shapes every consumer of the runbook reads (the gate, the endpoint, generated rules and
 * reports). Durations are milliseconds once loaded (the YAML says "90m", "5m", "60s").
 */

/** The fixed catalogue of what a check can measure. Units: latency and timings in ms; ratios in percent. */
export const METRICS = [
  'latency_p95', //               ms, API first-attempt calls of the scoped routes
  'latency_p99', //               ms
  'error_5xx_ratio', //           % of calls answered 5xx
  'client_error_ratio', //        % of calls a client would see fail (no answer, 5xx, or a status the journey did not expect)
  'non_user_4xx_ratio', //        % of calls answered a 4xx the journey did not expect
  'auth_error_ratio', //          % of calls to /api/auth/* and /api/me that failed their check
  'schema_failure_ratio', //      % of calls whose body broke its schema
  'journey_success_ratio', //     % of journey runs that passed (first time or on retry); aborted runs excluded
  'consecutive_failed_checks', // the longest run of consecutive failed journey runs at the window's end, per journey × device
  'payment_failure_ratio', //     % of payment journey runs that failed
  'payment_success_ratio', //     % of payment journey runs that passed
  'consecutive_payment_failures', // consecutive failed payment journey runs at the window's end
  'time_to_value_p80', //         ms, B2C landing → first match visible (browser journeys)
  'time_to_first_interaction_p80', // ms, provider dashboard tiles usable (browser journeys)
  'error_budget_spent', //        % of the weekly error budget (from the profile's SLO) spent by failed journey runs in the window
] as const;
export type MetricName = (typeof METRICS)[number];

/**
 * How the observed canary value is held to the threshold:
 * - absolute: canary op threshold
 * - control_pp: (canary − control) op threshold, in percentage points (ratio metrics)
 * - control_ratio: canary / control op threshold (1.3 = 30% worse)
 * - baseline_ratio: canary / baseline op threshold (needs --baseline)
 * - control_sigma: |canary − control mean| / control σ op threshold, per one-minute bucket
 */
export type Comparison = 'absolute' | 'control_pp' | 'control_ratio' | 'baseline_ratio' | 'control_sigma';
export type Op = '<' | '<=' | '>' | '>=';

export interface CheckScope {
  /** `METHOD /route` patterns, or 'critical' for the critical routes of the budgets. */
  routes?: string[] | 'critical';
  journeys?: string[];
  cohort?: 'student' | 'provider' | 'anonymous';
}

export interface Check {
  /** Stable id: an alert name part, a label value, a line in the verdict table. */
  name: string;
  kind: 'gate' | 'trigger';
  metric: MetricName;
  scope?: CheckScope;
  against: Comparison;
  op: Op;
  threshold: number;
  /**
   * Gates: the window the value is computed over (ms; default the phase's observation window).
   * Triggers: the rolling window the one-minute buckets are taken from.
   */
  windowMs?: number;
  /**
   * Triggers: the condition must hold in each of the last N one-minute buckets (`for` N
   * consecutive minutes), or on each of the last N checks (journey runs).
   */
  for?: { minutes: number } | { checks: number };
  /** Only in these phases (percent); default every phase. */
  phases?: number[];
  /** What the ship-room reads: one sentence, and the runbook section it comes from. */
  summary: string;
  section?: string;
}

export interface PaymentCaps {
  /** Real transactions allowed in the phase; undefined with `normal`. */
  maxTransactions?: number;
  maxAmountUsd?: number;
  totalUsd?: number;
  /** Normal payment volume from this phase on. */
  normal?: boolean;
}

export interface Phase {
  percent: 5 | 25 | 50 | 100;
  /** The observation window before the phase may advance (ms). */
  observeMs: number;
  payments: PaymentCaps;
}

export interface Profile {
  name: string;
  description: string;
  phases: Phase[];
  checks: Check[];
  /** Minimum samples (calls or runs) a gate needs to say go; fewer: hold. */
  minSamples: number;
  /** The SLO the error budget is counted against, in percent (99.9). */
  sloPercent: number;
}

export interface Runbook {
  /** Where it was loaded from (for messages). */
  source: string;
  /**
   * `--time-scale` (1 in production): every window and observation duration above is already
   * multiplied by it; `for.minutes` stays in minutes and is counted in buckets of `bucketMs`.
   */
  timeScale: number;
  /** The length of the one-minute bucket `for.minutes` and control_sigma count in (60000 × timeScale). */
  bucketMs: number;
  monitor: {
    cadenceMs: number;
    backoff: { retries: number; minDelayMs: number; factor: number; maxDelayMs: number };
    userAgent: string;
    e2eFlag: string;
  };
  /** Role → placeholder handle to page (`@sre-oncall`), never a person's name. */
  roles: Record<string, string>;
  rollbackSteps: string[];
  profiles: Record<string, Profile>;
}
