import { metricQuery, promDuration, valueExpr, type MetricQuery } from '../gate/promql.ts';
import type { Check, Op, Profile, Runbook } from '../gate/runbook-types.ts';

/**
 * A rollback trigger of the runbook as one PromQL condition, with the window semantics the gate
 * uses: what the alerting rules, the Argo Rollouts Prometheus metrics and the Flagger metric
 * templates all evaluate, written once here.
 */
export interface CompiledTrigger {
  check: Check;
  profile: string;
  /** `SyntheticCanaryP95High`: the alert's name. */
  alert: string;
  /** `p95-high`, `strict-error-budget-phase-25`: the check's name, with the phase when it has one alert per phase. */
  id: string;
  /** The phase label: `all`, a list (`50`) or, for a window that is the phase's, that phase. */
  phase: string;
  /** The compared value (runbook units) and the condition `value op threshold`. */
  value: string;
  condition: string;
  /** 1 while the condition holds, 0 otherwise, with `for` folded in (for tools that have no `for`). */
  holds: string;
  /** Prometheus `for:` (ms): N consecutive one-minute buckets are N evaluations, the first plus N − 1 more. */
  forMs: number;
  /** The range each evaluation reads: one bucket, or the trigger's rolling window. */
  rangeMs: number;
  /** Per-series alerts (a streak per journey) carry these labels; the rest are one series. */
  by: string[];
  /** The threshold in words, with its unit and window: for summaries. */
  thresholdText: string;
}

export interface SkippedTrigger {
  check: Check;
  profile: string;
  why: string;
}

const STREAKS = new Set(['consecutive_failed_checks', 'consecutive_payment_failures']);

/**
 * The range a one-minute condition is read over: two buckets. The runner pushes once a cadence
 * (a minute) and Prometheus scrapes the Pushgateway every few seconds, so a one-minute range holds
 * the minute's single counter step only when the step falls after the range's first scrape: about
 * a quarter of one-minute windows would see no increase at all (no value, so `for:` starts over),
 * and five consecutive minutes would rarely all be seen. Two buckets always hold the last push.
 */
export const rateWindowMs = (runbook: Runbook) => 2 * runbook.bucketMs;
const LATENCY = /latency|time_to/;

export const alertName = (check: string) => `SyntheticCanary${check.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;

export function unitOf(metric: string): string {
  return LATENCY.test(metric) ? ' ms' : STREAKS.has(metric) ? ' runs' : metric.endsWith('_ratio') || metric === 'error_budget_spent' ? '%' : '';
}

/** Keep the threshold exact in PromQL (no float noise from `1.3 × 100`). */
const num = (n: number) => String(Number(n.toPrecision(12)));

/**
 * "Held in every one of N buckets": the min of 0/1 over the buckets is 1 only if each held, and
 * only over N buckets that have a value: min_over_time over one minute of data (a canary's first
 * minutes, a fresh Prometheus) would say "held for N" after one bad minute.
 */
function heldEveryBucket(holds: string, buckets: number, bucketMs: number): string {
  if (buckets <= 1) return holds;
  const range = `[${promDuration(buckets * bucketMs)}:${promDuration(bucketMs)}]`;
  return `(min_over_time((${holds})${range}) and count_over_time((${holds})${range}) >= ${buckets})`;
}

function compare(value: string, op: Op, threshold: number, bool = false): string {
  return `(${value}) ${op}${bool ? ' bool' : ''} ${num(threshold)}`;
}

/**
 * Every rollback trigger of the profiles, compiled; those PromQL cannot judge are skipped with the
 * reason (a baseline comparison with no baseline given, a request metric scoped to journeys).
 */
export function compileTriggers(runbook: Runbook, profiles: string[], baseline?: Partial<Record<string, number>>): { triggers: CompiledTrigger[]; skipped: SkippedTrigger[] } {
  const triggers: CompiledTrigger[] = [];
  const skipped: SkippedTrigger[] = [];
  for (const name of profiles) {
    const profile = runbook.profiles[name]!;
    for (const check of profile.checks.filter((c) => c.kind === 'trigger')) {
      const windows = windowsOf(check, profile, runbook);
      for (const w of windows) {
        const compiled = compileOne(runbook, profile, name, check, w, baseline);
        if ('why' in compiled) {
          skipped.push(compiled);
          break;
        }
        triggers.push(compiled);
      }
    }
  }
  return { triggers, skipped };
}

/**
 * The ranges a trigger is judged over. A trigger with neither `for` nor a window (the error
 * budget) is counted over the phase's observation window, so it is one alert per phase, each
 * labelled with its phase: only the phase the rollout is in matters, and the ship-room reads it.
 */
function windowsOf(check: Check, profile: Profile, runbook: Runbook): Array<{ rangeMs: number; phase: string; buckets: number }> {
  const phases = profile.phases.filter((p) => !check.phases || check.phases.includes(p.percent));
  const phaseLabel = check.phases ? check.phases.join(',') : 'all';
  if (check.for && 'minutes' in check.for) return [{ rangeMs: rateWindowMs(runbook), phase: phaseLabel, buckets: check.for.minutes }];
  if (check.windowMs) return [{ rangeMs: check.windowMs, phase: phaseLabel, buckets: 1 }];
  if (STREAKS.has(check.metric)) return [{ rangeMs: runbook.bucketMs, phase: phaseLabel, buckets: 1 }];
  return phases.map((p) => ({ rangeMs: p.observeMs, phase: String(p.percent), buckets: 1 }));
}

function compileOne(
  runbook: Runbook, profile: Profile, profileName: string, check: Check,
  w: { rangeMs: number; phase: string; buckets: number }, baseline: Partial<Record<string, number>> | undefined,
): CompiledTrigger | SkippedTrigger {
  const side = (canary: boolean): MetricQuery | undefined => metricQuery(check.metric, check.scope, {
    matchers: [`canary="${canary}"`], range: promDuration(w.rangeMs), sloPercent: profile.sloPercent, windowMs: w.rangeMs,
  });
  const canary = side(true);
  const control = side(false);
  if (!canary || !control) return { check, profile: profileName, why: `${check.metric} scoped to journeys is in the results store only (the request metrics carry no journey)` };
  const by = STREAKS.has(check.metric) ? ['target', 'journey', 'device'] : [];
  const c = valueExpr(canary, by);
  const k = valueExpr(control);
  let value: string;
  switch (check.against) {
    case 'absolute':
      value = c;
      break;
    case 'control_pp':
      value = `(${c}) - (${k})`;
      break;
    case 'control_ratio':
      value = `(${c}) / (${k})`;
      break;
    case 'baseline_ratio': {
      const b = baseline?.[check.metric];
      if (b === undefined || b <= 0) return { check, profile: profileName, why: `compares with the baseline's ${check.metric}: pass --baseline FILE (from "synthetics baseline")` };
      value = `(${c}) / ${num(b)}`;
      break;
    }
    case 'control_sigma': {
      // Control's one-minute values over the shortest observation window the trigger applies in,
      // as the gate measures them; a steady control's spread is floored at 1% of its mean.
      const windowMs = Math.min(...profile.phases.filter((p) => !check.phases || check.phases.includes(p.percent)).map((p) => p.observeMs));
      const perBucket = `(${valueExpr(metricQuery(check.metric, check.scope, { matchers: ['canary="false"'], range: promDuration(rateWindowMs(runbook)), sloPercent: profile.sloPercent, windowMs: rateWindowMs(runbook) })!)})[${promDuration(windowMs)}:${promDuration(runbook.bucketMs)}]`;
      const mean = `avg_over_time(${perBucket})`;
      value = `abs((${c}) - ${mean}) / ((stddev_over_time(${perBucket}) >= 0.01 * ${mean}) or 0.01 * ${mean})`;
      break;
    }
  }
  const condition = compare(value, check.op, check.threshold);
  const holds = heldEveryBucket(compare(value, check.op, check.threshold, true), w.buckets, runbook.bucketMs);
  const unit = check.against === 'absolute' ? unitOf(check.metric) : check.against === 'control_pp' ? ' pp over control' : check.against === 'control_sigma' ? 'σ from control' : check.against === 'baseline_ratio' ? '× baseline' : '× control';
  const span = w.buckets > 1 ? ` for ${w.buckets} consecutive ${promDuration(runbook.bucketMs)} evaluations` : STREAKS.has(check.metric) ? '' : ` over ${promDuration(w.rangeMs)}`;
  const phaseSuffix = w.phase !== 'all' && !check.phases ? `Phase${w.phase}` : '';
  return {
    check, profile: profileName, alert: alertName(check.name) + phaseSuffix, id: phaseSuffix ? `${check.name}-phase-${w.phase}` : check.name, phase: w.phase, value, condition, holds, by,
    forMs: (w.buckets - 1) * runbook.bucketMs, rangeMs: w.rangeMs, thresholdText: `${check.op} ${num(check.threshold)}${unit}${span}`,
  };
}
