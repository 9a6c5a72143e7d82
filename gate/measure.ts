import { isLatencySample } from '../reporters/latency.ts';
import type { CallLine, JourneyLine } from '../reporters/results-store/index.ts';
import { CRITICAL_ROUTES } from '../src/core/budgets.ts';
import { percentile } from '../src/core/percentiles.ts';
import type { Offender } from './decision-types.ts';
import type { CheckScope, MetricName } from './runbook-types.ts';
import type { Side } from './samples.ts';

/** What a metric read from one side of one window: the value (null: nothing to read), how many samples, and who is to blame. */
export interface Measured {
  value: number | null;
  samples: number;
  /** The calls or runs that pulled the value the wrong way, worst first (at most three). */
  offenders: Offender[];
  /** Latency metrics: the samples themselves (ms), for the statistical tests. */
  values?: number[];
}

const PAYMENT_JOURNEY = /^payments?-/;
const WEEK_MS = 7 * 24 * 3_600_000;

const callOffender = (c: CallLine, what: string): Offender => ({ syntheticId: c.syntheticId, traceId: c.traceId, at: c.at, what });
const runOffender = (j: JourneyLine): Offender => {
  const last = j.attempts.at(-1);
  return { syntheticId: last ? `syn-${last.runId}-*` : '-', traceId: last?.traceId ?? '-', at: j.startedAt, what: `${j.journey}/${j.device}: ${j.reason ?? j.outcome}` };
};

function inScope(scope: CheckScope | undefined, call: CallLine): boolean {
  if (call.source === 'probe') return false;
  const routes = scope?.routes;
  if (routes === 'critical' && !CRITICAL_ROUTES.has(`${call.method} ${call.route}`)) return false;
  if (Array.isArray(routes) && !routes.includes(`${call.method} ${call.route}`)) return false;
  if (scope?.journeys && !scope.journeys.includes(call.journey)) return false;
  if (scope?.cohort && call.cohort !== scope.cohort) return false;
  return true;
}

function journeysInScope(scope: CheckScope | undefined, side: Side, payments = false): JourneyLine[] {
  return side.journeys.filter((j) =>
    (!scope?.journeys ? !payments || PAYMENT_JOURNEY.test(j.journey) : scope.journeys.includes(j.journey))
    && (!scope?.cohort || j.cohort === scope.cohort));
}

/** Share (percent) of `items` for which `bad` holds, with the first three bad ones as offenders. */
function share<T>(items: T[], bad: (t: T) => boolean, offender: (t: T) => Offender): Measured {
  const hits = items.filter(bad);
  return { value: items.length ? (100 * hits.length) / items.length : null, samples: items.length, offenders: hits.slice(-3).reverse().map(offender) };
}

function latency(calls: CallLine[], p: number): Measured {
  const samples = calls.filter(isLatencySample);
  const values = samples.map((c) => c.durationMs);
  const worst = [...samples].sort((a, b) => b.durationMs - a.durationMs).slice(0, 3);
  return {
    value: values.length ? percentile(values, p) : null, samples: values.length, values,
    offenders: worst.map((c) => callOffender(c, `${c.method} ${c.route}: ${c.durationMs} ms`)),
  };
}

/** The current run of failed runs per journey × device (aborted runs skipped), the longest of them. */
function streak(journeys: JourneyLine[]): Measured {
  const byKey = new Map<string, JourneyLine[]>();
  for (const j of journeys) {
    if (j.outcome === 'aborted') continue;
    const key = `${j.target}|${j.journey}|${j.device}`;
    const runs = byKey.get(key);
    if (runs) runs.push(j);
    else byKey.set(key, [j]);
  }
  let longest = 0;
  let offenders: Offender[] = [];
  for (const runs of byKey.values()) {
    let n = 0;
    for (let i = runs.length - 1; i >= 0 && runs[i]!.outcome === 'failed'; i--) n++;
    if (n > longest) {
      longest = n;
      offenders = runs.slice(-Math.min(n, 3)).reverse().map(runOffender);
    }
  }
  return { value: byKey.size ? longest : null, samples: [...byKey.values()].reduce((a, r) => a + r.length, 0), offenders };
}

function userTiming(journeys: JourneyLine[], name: 'timeToValueMs' | 'timeToFirstInteractionMs'): Measured {
  const timed = journeys.flatMap((j) => j.attempts
    .filter((a) => a.status === 'passed')
    .flatMap((a) => {
      const ms = (a as { timings?: Record<string, number> }).timings?.[name];
      return typeof ms === 'number' ? [{ j, ms, traceId: a.traceId, runId: a.runId }] : [];
    }));
  const values = timed.map((t) => t.ms);
  const worst = [...timed].sort((a, b) => b.ms - a.ms).slice(0, 3);
  return {
    value: values.length ? percentile(values, 80) : null, samples: values.length, values,
    offenders: worst.map((t) => ({ syntheticId: `syn-${t.runId}-*`, traceId: t.traceId, at: t.j.startedAt, what: `${t.j.journey}/${t.j.device}: ${Math.round(t.ms)} ms` })),
  };
}

/** One metric of the catalogue over one side's lines. */
export function measure(metric: MetricName, scope: CheckScope | undefined, side: Side, ctx: { windowMs: number; sloPercent: number }): Measured {
  const calls = side.calls.filter((c) => inScope(scope, c));
  switch (metric) {
    case 'latency_p95':
      return latency(calls, 95);
    case 'latency_p99':
      return latency(calls, 99);
    case 'error_5xx_ratio':
      return share(calls, (c) => c.status >= 500, (c) => callOffender(c, `${c.method} ${c.route}: status ${c.status}`));
    case 'client_error_ratio':
      return share(calls, (c) => c.status === 0 || c.status >= 500 || c.problem !== undefined, (c) => callOffender(c, c.problem ?? `${c.method} ${c.route}: status ${c.status}`));
    case 'non_user_4xx_ratio':
      return share(calls, (c) => c.status >= 400 && c.status < 500 && c.problem !== undefined, (c) => callOffender(c, c.problem ?? `status ${c.status}`));
    case 'auth_error_ratio':
      return share(calls.filter((c) => c.route.startsWith('/api/auth/') || c.route === '/api/me'), (c) => c.problem !== undefined || c.status === 0, (c) => callOffender(c, c.problem ?? `status ${c.status}`));
    case 'schema_failure_ratio':
      return share(calls.filter((c) => c.schemaOutcome !== 'none'), (c) => c.schemaOutcome === 'fail', (c) => callOffender(c, c.problem ?? `${c.method} ${c.route}: schema ${c.schema}`));
    case 'journey_success_ratio': {
      const runs = journeysInScope(scope, side).filter((j) => j.outcome !== 'aborted');
      const failed = share(runs, (j) => j.outcome === 'failed', runOffender);
      return { ...failed, value: failed.value === null ? null : 100 - failed.value };
    }
    case 'consecutive_failed_checks':
      return streak(journeysInScope(scope, side));
    case 'payment_failure_ratio':
      return share(journeysInScope(scope, side, true).filter((j) => j.outcome !== 'aborted'), (j) => j.outcome === 'failed', runOffender);
    case 'payment_success_ratio': {
      const failed = share(journeysInScope(scope, side, true).filter((j) => j.outcome !== 'aborted'), (j) => j.outcome === 'failed', runOffender);
      return { ...failed, value: failed.value === null ? null : 100 - failed.value };
    }
    case 'consecutive_payment_failures':
      return streak(journeysInScope(scope, side, true));
    case 'time_to_value_p80':
      return userTiming(journeysInScope(scope, side), 'timeToValueMs');
    case 'time_to_first_interaction_p80':
      return userTiming(journeysInScope(scope, side), 'timeToFirstInteractionMs');
    case 'error_budget_spent': {
      // The share of failed runs, against the budget the SLO leaves, scaled from this window to a week.
      const runs = journeysInScope(scope, side).filter((j) => j.outcome !== 'aborted');
      const failed = share(runs, (j) => j.outcome === 'failed', runOffender);
      const budget = 100 - ctx.sloPercent;
      return { ...failed, value: failed.value === null ? null : ((failed.value / budget) * (ctx.windowMs / WEEK_MS)) * 100 };
    }
  }
}

