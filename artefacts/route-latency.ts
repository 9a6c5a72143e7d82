import { readWindow, type Side, type WindowSamples } from '../gate/samples.ts';
import { isLatencySample, routeLatencies, type RouteLatency } from '../reporters/latency.ts';
import { CRITICAL_ROUTES } from '../src/core/budgets.ts';
import { summarize, type LatencySummary } from '../src/core/percentiles.ts';

/** One critical route over the gate's window: canary against control. A side with no calls has count 0 and NaN percentiles. */
export interface RouteComparison {
  /** `METHOD /route` */
  route: string;
  budgetMs: number;
  canary: LatencySummary;
  control: LatencySummary;
}

function byRoute(side: Side): Map<string, RouteLatency> {
  const calls = side.calls.filter((c) => isLatencySample(c) && CRITICAL_ROUTES.has(`${c.method} ${c.route}`));
  return new Map(routeLatencies(calls).map((r) => [r.route, r]));
}

const summaryOf = (r: RouteLatency | undefined): LatencySummary =>
  r ? { count: r.count, p50: r.p50, p95: r.p95, p99: r.p99, max: r.max } : summarize([]);

/** P50/P95/P99 per critical route, canary against control, from a window the gate's reader built. */
export function compareRoutes(samples: Pick<WindowSamples, 'canary' | 'control'>): RouteComparison[] {
  const canary = byRoute(samples.canary);
  const control = byRoute(samples.control);
  return [...new Set([...canary.keys(), ...control.keys()])].sort().map((route) => ({
    route,
    budgetMs: (canary.get(route) ?? control.get(route))!.budgetMs,
    canary: summaryOf(canary.get(route)),
    control: summaryOf(control.get(route)),
  }));
}

/**
 * The same lines the gate read for its window (its reader, so the canary side keeps only its
 * current build, as the gate's does), as per-route latency.
 */
export async function readRouteLatencies(resultsDir: string, window: { from: string; to: string }): Promise<RouteComparison[]> {
  return compareRoutes(await readWindow(resultsDir, Date.parse(window.from), Date.parse(window.to)));
}
