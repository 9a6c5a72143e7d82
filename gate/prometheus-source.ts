import { CRITICAL_ROUTES } from '../src/core/budgets.ts';
import type { Measured } from './measure.ts';
import type { CheckScope, MetricName } from './runbook-types.ts';
import type { GateSource, SideName } from './source.ts';

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

const REQUESTS = 'synthetic_request_duration_seconds';
/** Every request a client made, first attempts, retries and browser-timed alike (as the store counts them). */
const ALL_REQUESTS = '__name__=~"synthetic_(request|retry_request|browser_request)_duration_seconds_count"';
const PAYMENT_JOURNEYS = 'payments-.*';
const WEEK_MS = 7 * 24 * 3_600_000;
const QUERY_TIMEOUT_MS = 10_000;

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
/** A PromQL range of exactly the window (scaled windows are fractions of a second apart). */
const seconds = (ms: number) => `${Math.max(1, Math.round(ms))}ms`;

/**
 * Prometheus over the pushed metrics (several runners, several regions): the same questions as
 * the results store, answered with PromQL over the window ending at `to`. What the metrics do not
 * carry (which call failed which check, the ids of offending calls) is null or empty here, and the
 * verdict says so; the results store has it.
 */
export class PrometheusSource implements GateSource {
  constructor(private readonly url: string, private readonly lookback: { from: number; to: number }) {}

  private async query(expr: string, at: number): Promise<Vector> {
    const params = new URLSearchParams({ query: expr, time: String(at / 1000) });
    const res = await fetch(`${this.url.replace(/\/+$/, '')}/api/v1/query?${params}`, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Vector } };
    if (body.status !== 'success') throw new Error(`prometheus ${this.url}: ${body.error ?? `status ${res.status}`}`);
    return body.data?.result ?? [];
  }

  private async scalar(expr: string, at: number): Promise<number | null> {
    const v = Number((await this.query(expr, at))[0]?.value[1]);
    return Number.isFinite(v) ? v : null;
  }

  /** A selector's label matchers for one side, the journeys and cohort of a scope. */
  private matchers(side: SideName, scope: CheckScope | undefined, journeyPattern?: string): string {
    const m = [`canary="${side === 'canary'}"`];
    const journeys = scope?.journeys ? scope.journeys.map(esc).join('|') : journeyPattern;
    if (journeys) m.push(`journey=~"${journeys}"`);
    if (scope?.cohort) m.push(`cohort="${esc(scope.cohort)}"`);
    return m.join(',');
  }

  /** `increase(…)` of a request series over the window, restricted to the scope's routes (one term per route). */
  private requests(series: string, side: SideName, scope: CheckScope | undefined, range: string, extra = ''): string {
    const base = this.matchers(side, { ...scope, journeys: undefined }) + extra;
    const routes = scope?.routes === 'critical' ? [...CRITICAL_ROUTES] : scope?.routes;
    if (!routes) return `increase(${series}{${base}}[${range}])`;
    return routes.map((r) => {
      const [method, path] = r.split(' ');
      return `increase(${series}{${base},method="${esc(method!)}",path="${esc(path!)}"}[${range}])`;
    }).join(' or ');
  }

  async measure(metric: MetricName, scope: CheckScope | undefined, side: SideName, from: number, to: number, ctx: { sloPercent: number }): Promise<Measured> {
    const r = seconds(to - from);
    const none: Measured = { value: null, samples: 0, offenders: [] };
    const ratio = async (bad: string, all: string, invert = false): Promise<Measured> => {
      const [b, a] = await Promise.all([this.scalar(`sum(${bad})`, to), this.scalar(`sum(${all})`, to)]);
      if (!a) return { ...none, samples: Math.round(a ?? 0) };
      const pct = (100 * (b ?? 0)) / a;
      return { value: invert ? 100 - pct : pct, samples: Math.round(a), offenders: [] };
    };
    const quantile = async (q: number, bucket: string, count: string): Promise<Measured> => {
      const [v, n] = await Promise.all([this.scalar(`histogram_quantile(${q}, sum by (le) (${bucket}))`, to), this.scalar(`sum(${count})`, to)]);
      return { value: v === null || !n ? null : v * 1000, samples: Math.round(n ?? 0), offenders: [] };
    };
    const runs = (extra: string, pattern?: string) => `increase(synthetic_journey_runs_total{${this.matchers(side, scope, pattern)}${extra}}[${r}])`;
    const sel = (pattern?: string) => this.matchers(side, scope, pattern);
    switch (metric) {
      case 'latency_p95':
      case 'latency_p99':
        return quantile(metric === 'latency_p95' ? 0.95 : 0.99, this.requests(`${REQUESTS}_bucket`, side, scope, r), this.requests(`${REQUESTS}_count`, side, scope, r));
      case 'error_5xx_ratio':
        return ratio(`increase({${ALL_REQUESTS},${this.matchers(side, { ...scope, journeys: undefined })},status_class="5xx"}[${r}])`, `increase({${ALL_REQUESTS},${this.matchers(side, { ...scope, journeys: undefined })}}[${r}])`);
      case 'schema_failure_ratio':
        return ratio(`increase(synthetic_schema_failures_total{${sel()}}[${r}])`, `increase({${ALL_REQUESTS},${this.matchers(side, { ...scope, journeys: undefined })}}[${r}])`);
      case 'journey_success_ratio':
        return ratio(runs(',outcome=~"passed|flaky"'), runs(',outcome!="aborted"'));
      case 'payment_success_ratio':
        return ratio(runs(',outcome=~"passed|flaky"', PAYMENT_JOURNEYS), runs(',outcome!="aborted"', PAYMENT_JOURNEYS));
      case 'payment_failure_ratio':
        return ratio(runs(',outcome="failed"', PAYMENT_JOURNEYS), runs(',outcome!="aborted"', PAYMENT_JOURNEYS));
      case 'consecutive_failed_checks':
      case 'consecutive_payment_failures': {
        const pattern = metric === 'consecutive_payment_failures' ? PAYMENT_JOURNEYS : undefined;
        const [v, n] = await Promise.all([
          this.scalar(`max(last_over_time(synthetic_consecutive_failures{${sel(pattern)}}[${r}]))`, to),
          this.scalar(`sum(${runs('', pattern)})`, to),
        ]);
        return { value: v, samples: Math.round(n ?? 0), offenders: [] };
      }
      case 'time_to_value_p80':
      case 'time_to_first_interaction_p80': {
        const timing = metric === 'time_to_value_p80' ? 'time_to_value' : 'time_to_first_interaction';
        const s = `${sel()},timing="${timing}"`;
        return quantile(0.8, `increase(synthetic_user_timing_seconds_bucket{${s}}[${r}])`, `increase(synthetic_user_timing_seconds_count{${s}}[${r}])`);
      }
      case 'error_budget_spent': {
        const m = await ratio(runs(',outcome="failed"'), runs(',outcome!="aborted"'));
        return { ...m, value: m.value === null ? null : ((m.value / (100 - ctx.sloPercent)) * ((to - from) / WEEK_MS)) * 100 };
      }
      // Which call failed which check is in the results store only.
      case 'client_error_ratio':
      case 'non_user_4xx_ratio':
      case 'auth_error_ratio':
        return none;
    }
  }

  async freshness(): Promise<Array<{ target: string; last: number }>> {
    const v = await this.query(`max by (target) (max_over_time(synthetic_last_cycle_timestamp_seconds[${seconds(this.lookback.to - this.lookback.from)}]))`, this.lookback.to);
    return v.map((s) => ({ target: s.metric.target ?? '?', last: Number(s.value[1]) * 1000 })).sort((a, b) => a.target.localeCompare(b.target));
  }

  async canaryFirstSeen(): Promise<number | undefined> {
    // The oldest last-cycle time of the canary's current build in the lookback: its evidence starts there.
    const build = (await this.query('max by (build_id) (timestamp(synthetic_journey_success{canary="true"}))', this.lookback.to))
      .sort((a, b) => Number(b.value[1]) - Number(a.value[1]))[0]?.metric.build_id;
    if (!build) return undefined;
    const first = await this.scalar(`min(min_over_time(timestamp(synthetic_journey_success{canary="true",build_id="${esc(build)}"})[${seconds(this.lookback.to - this.lookback.from)}:1s]))`, this.lookback.to);
    return first === null ? undefined : first * 1000;
  }

  async hasResults(side: SideName): Promise<boolean> {
    const n = await this.scalar(`count(last_over_time(synthetic_journey_runs_total{canary="${side === 'canary'}"}[${seconds(this.lookback.to - this.lookback.from)}]))`, this.lookback.to);
    return (n ?? 0) > 0;
  }
}
