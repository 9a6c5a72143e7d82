import type { Measured } from './measure.ts';
import { esc, metricQuery, promDuration, samplesExpr, valueExpr } from './promql.ts';
import type { CheckScope, MetricName } from './runbook-types.ts';
import type { GateSource, SideName } from './source.ts';

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;

const QUERY_TIMEOUT_MS = 10_000;

/** One instant query through the Prometheus HTTP API (`GET /api/v1/query`), bounded. */
export async function promQuery(url: string, expr: string, at: number): Promise<Vector> {
  const params = new URLSearchParams({ query: expr, time: String(at / 1000) });
  const res = await fetch(`${url.replace(/\/+$/, '')}/api/v1/query?${params}`, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Vector } };
  if (body.status !== 'success') throw new Error(`prometheus ${url}: ${body.error ?? `status ${res.status}`}`);
  return body.data?.result ?? [];
}

/**
 * Prometheus over the pushed metrics (several runners, several regions): the same questions as
 * the results store, answered with the PromQL of gate/promql.ts (what the generated alerts ask
 * too) over the window ending at `to`. What the metrics do not carry (the ids of offending calls,
 * a request metric scoped to journeys) is null or empty here, and the verdict says so; the results
 * store has it.
 */
export class PrometheusSource implements GateSource {
  constructor(private readonly url: string, private readonly lookback: { from: number; to: number }) {}

  private query(expr: string, at: number): Promise<Vector> {
    return promQuery(this.url, expr, at);
  }

  private async scalar(expr: string, at: number): Promise<number | null> {
    const v = Number((await this.query(expr, at))[0]?.value[1]);
    return Number.isFinite(v) ? v : null;
  }

  async measure(metric: MetricName, scope: CheckScope | undefined, side: SideName, from: number, to: number, ctx: { sloPercent: number }): Promise<Measured> {
    const q = metricQuery(metric, scope, { matchers: [`canary="${side === 'canary'}"`], range: promDuration(to - from), sloPercent: ctx.sloPercent, windowMs: to - from });
    if (!q) return { value: null, samples: 0, offenders: [] };
    const [value, samples] = await Promise.all([this.scalar(valueExpr(q), to), this.scalar(samplesExpr(q), to)]);
    const n = Math.round(samples ?? 0);
    return { value: n > 0 ? value : null, samples: n, offenders: [] };
  }

  async freshness(): Promise<Array<{ target: string; last: number }>> {
    const v = await this.query(`max by (target) (max_over_time(synthetic_last_cycle_timestamp_seconds[${promDuration(this.lookback.to - this.lookback.from)}]))`, this.lookback.to);
    return v.map((s) => ({ target: s.metric.target ?? '?', last: Number(s.value[1]) * 1000 })).sort((a, b) => a.target.localeCompare(b.target));
  }

  async canaryBuild(): Promise<{ build: string; firstSeen: number } | undefined> {
    // The oldest last-cycle time of the canary's current build in the lookback: its evidence starts there.
    const newest = (await this.query('max by (build_id) (timestamp(synthetic_journey_success{canary="true"}))', this.lookback.to))
      .sort((a, b) => Number(b.value[1]) - Number(a.value[1]))[0];
    const build = newest?.metric.build_id;
    if (!build) return undefined;
    const first = await this.scalar(`min(min_over_time(timestamp(synthetic_journey_success{canary="true",build_id="${esc(build)}"})[${promDuration(this.lookback.to - this.lookback.from)}:1s]))`, this.lookback.to);
    // A build scraped for the first time within the last second has no point on the 1 s subquery
    // grid yet: its newest sample is then its first (later, never earlier: the gate waits longer).
    return { build, firstSeen: (first ?? Number(newest.value[1])) * 1000 };
  }

  async hasResults(side: SideName): Promise<boolean> {
    const n = await this.scalar(`count(last_over_time(synthetic_journey_runs_total{canary="${side === 'canary'}"}[${promDuration(this.lookback.to - this.lookback.from)}]))`, this.lookback.to);
    return (n ?? 0) > 0;
  }
}
