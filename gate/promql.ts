import { CRITICAL_ROUTES } from '../src/core/budgets.ts';
import type { CheckScope, MetricName } from './runbook-types.ts';

/**
 * The runbook's metric catalogue in PromQL, over the series the runner pushes (docs/metrics.md):
 * one definition that the gate's Prometheus source asks and the generated alerting and recording
 * rules evaluate, so an alert and `gate --source prometheus` never disagree about what a metric is.
 * Values are in the runbook's units: latency and timings in ms, ratios in percent.
 */

export const SERIES = {
  request: 'synthetic_request_duration_seconds',
  retryRequest: 'synthetic_retry_request_duration_seconds',
  browserRequest: 'synthetic_browser_request_duration_seconds',
  requestFailures: 'synthetic_request_failures_total',
  schemaFailures: 'synthetic_schema_failures_total',
  journeyRuns: 'synthetic_journey_runs_total',
  consecutiveFailures: 'synthetic_consecutive_failures',
  userTiming: 'synthetic_user_timing_seconds',
  lastCycle: 'synthetic_last_cycle_timestamp_seconds',
  runnerUp: 'synthetic_runner_up',
} as const;

/** The journeys whose runs are payments (gate/measure.ts reads the same names). */
export const PAYMENT_JOURNEYS = 'payments?-.*';
/** The routes an auth error is counted on (gate/measure.ts: /api/auth/* and /api/me). */
const AUTH_PATHS = '/api/auth/.*|/api/me';
const WEEK_MS = 7 * 24 * 3_600_000;
const TIMINGS = { time_to_value_p80: 'time_to_value', time_to_first_interaction_p80: 'time_to_first_interaction' } as const;

export const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** A PromQL duration: whole minutes or seconds where it is one, else milliseconds (scaled drills). */
export function promDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  if (whole % 3_600_000 === 0) return `${whole / 3_600_000}h`;
  if (whole % 60_000 === 0) return `${whole / 60_000}m`;
  if (whole % 1000 === 0) return `${whole / 1000}s`;
  return `${whole}ms`;
}

/** What one metric is made of; `valueExpr` and `samplesExpr` turn it into PromQL grouped as asked. */
export type MetricQuery =
  /** Percent of `all` that is `bad` (or what is left of it, `invert`), times `scale`. */
  | { kind: 'ratio'; bad: string; all: string; invert?: boolean; scale?: number }
  /** A quantile (0..1) of a histogram: `buckets` is its per-series increase, `count` its calls. */
  | { kind: 'quantile'; q: number; buckets: string; count: string }
  /** The largest value of a gauge over the range. */
  | { kind: 'max'; value: string; samples: string };

export interface QueryContext {
  /** Label matchers every series is held to (`canary="true"`, `region="eu"`). */
  matchers: string[];
  /** The PromQL range of the window (`5m`, `1500ms`). */
  range: string;
  sloPercent: number;
  /** The window in ms: the error budget is a share of the week's. */
  windowMs: number;
}

const selector = (name: string, matchers: string[]) => `${name}{${matchers.join(',')}}`;

function routesOf(scope: CheckScope | undefined): Array<{ method: string; path: string }> | undefined {
  const routes = scope?.routes === 'critical' ? [...CRITICAL_ROUTES] : scope?.routes;
  return routes?.map((r) => {
    const [method, path] = r.split(' ');
    return { method: method!, path: path! };
  });
}

/** `increase(name{…}[range])`, once per route of the scope (the routes are method × path pairs, no one regex can say them). */
function perRoute(name: string, matchers: string[], scope: CheckScope | undefined, range: string, fn: 'increase' | 'rate' = 'increase'): string {
  const routes = routesOf(scope);
  if (!routes) return `${fn}(${selector(name, matchers)}[${range}])`;
  return `(${routes.map((r) => `${fn}(${selector(name, [...matchers, `method="${esc(r.method)}"`, `path="${esc(r.path)}"`])}[${range}])`).join(' or ')})`;
}

/**
 * Every call a client made (first attempts, retries and browser-timed), as the results store
 * counts them. The three histograms share their labels, so their increases are told apart with a
 * label before the union: `{__name__=~…}` would make series with equal label sets, which PromQL refuses.
 */
export function allCalls(matchers: string[], scope: CheckScope | undefined, range: string, fn: 'increase' | 'rate' = 'increase'): string {
  return `(${[SERIES.request, SERIES.retryRequest, SERIES.browserRequest]
    .map((h, i) => `label_replace(${perRoute(`${h}_count`, matchers, scope, range, fn)}, "histogram", "${i}", "", "")`).join(' or ')})`;
}

/**
 * The metric as PromQL over `ctx`, or undefined where the metrics cannot say it: request series
 * carry the cohort but no journey, so a request metric scoped to journeys is the results store's
 * alone.
 */
export function metricQuery(metric: MetricName, scope: CheckScope | undefined, ctx: QueryContext): MetricQuery | undefined {
  const { range } = ctx;
  const matchers = scope?.cohort ? [...ctx.matchers, `cohort="${esc(scope.cohort)}"`] : ctx.matchers;
  const requestScoped = scope?.journeys !== undefined;
  const journeyMatchers = (payments = false) => {
    const m = [...matchers];
    if (scope?.journeys) m.push(`journey=~"${scope.journeys.map(esc).join('|')}"`);
    else if (payments) m.push(`journey=~"${PAYMENT_JOURNEYS}"`);
    return m;
  };
  const runs = (extra: string, payments = false) => `increase(${selector(SERIES.journeyRuns, [...journeyMatchers(payments), extra])}[${range}])`;
  const calls = (extra: string[] = []) => allCalls([...matchers, ...extra], scope, range);
  const failures = (extra: string[] = []) => perRoute(SERIES.requestFailures, [...matchers, ...extra], scope, range);
  switch (metric) {
    case 'latency_p95':
    case 'latency_p99':
      if (requestScoped) return undefined;
      return { kind: 'quantile', q: metric === 'latency_p95' ? 0.95 : 0.99, buckets: perRoute(`${SERIES.request}_bucket`, matchers, scope, range), count: perRoute(`${SERIES.request}_count`, matchers, scope, range) };
    case 'error_5xx_ratio':
      return requestScoped ? undefined : { kind: 'ratio', bad: calls(['status_class="5xx"']), all: calls() };
    case 'client_error_ratio':
      return requestScoped ? undefined : { kind: 'ratio', bad: failures(), all: calls() };
    case 'non_user_4xx_ratio':
      return requestScoped ? undefined : { kind: 'ratio', bad: failures(['status_class="4xx"']), all: calls() };
    case 'auth_error_ratio':
      return requestScoped ? undefined : { kind: 'ratio', bad: failures([`path=~"${AUTH_PATHS}"`]), all: calls([`path=~"${AUTH_PATHS}"`]) };
    case 'schema_failure_ratio':
      return requestScoped ? undefined : { kind: 'ratio', bad: perRoute(SERIES.schemaFailures, matchers, scope, range), all: calls() };
    case 'journey_success_ratio':
      return { kind: 'ratio', bad: runs('outcome="failed"'), all: runs('outcome!="aborted"'), invert: true };
    case 'payment_success_ratio':
      return { kind: 'ratio', bad: runs('outcome="failed"', true), all: runs('outcome!="aborted"', true), invert: true };
    case 'payment_failure_ratio':
      return { kind: 'ratio', bad: runs('outcome="failed"', true), all: runs('outcome!="aborted"', true) };
    case 'consecutive_failed_checks':
    case 'consecutive_payment_failures': {
      const payments = metric === 'consecutive_payment_failures';
      return { kind: 'max', value: `last_over_time(${selector(SERIES.consecutiveFailures, journeyMatchers(payments))}[${range}])`, samples: runs('outcome!="aborted"', payments) };
    }
    case 'time_to_value_p80':
    case 'time_to_first_interaction_p80': {
      const m = [...journeyMatchers(), `timing="${TIMINGS[metric]}"`];
      return { kind: 'quantile', q: 0.8, buckets: `increase(${selector(`${SERIES.userTiming}_bucket`, m)}[${range}])`, count: `increase(${selector(`${SERIES.userTiming}_count`, m)}[${range}])` };
    }
    case 'error_budget_spent':
      // Failed runs against the budget the SLO leaves, this window's share of the week's.
      return { kind: 'ratio', bad: runs('outcome="failed"'), all: runs('outcome!="aborted"'), scale: (100 * ctx.windowMs) / WEEK_MS / (100 - ctx.sloPercent) };
  }
}

const sumBy = (by: string[], expr: string) => `sum${by.length ? ` by (${by.join(', ')})` : ''} (${expr})`;

/** The metric's value in runbook units (ms, percent), one series per `by` group. A ratio with no bad series is 0, not absent. */
export function valueExpr(q: MetricQuery, by: string[] = []): string {
  switch (q.kind) {
    case 'quantile':
      return `histogram_quantile(${q.q}, ${sumBy(['le', ...by], q.buckets)}) * 1000`;
    case 'max':
      return `max${by.length ? ` by (${by.join(', ')})` : ''} (${q.value})`;
    case 'ratio': {
      const all = sumBy(by, q.all);
      const share = `100 * (${sumBy(by, q.bad)} or 0 * ${all}) / ${all}`;
      const value = q.invert ? `100 - ${share}` : share;
      return q.scale === undefined ? value : `(${value}) * ${Number(q.scale.toPrecision(6))}`;
    }
  }
}

/** How many calls or runs the value stands on. */
export function samplesExpr(q: MetricQuery, by: string[] = []): string {
  return sumBy(by, q.kind === 'ratio' ? q.all : q.kind === 'quantile' ? q.count : q.samples);
}
