import { summarize, type LatencySummary } from '../src/core/percentiles.ts';
import type { CallRecord, JourneyResult } from '../src/core/records.ts';
import { toLines, type CallLine } from './results-store/lines.ts';

export interface RouteLatency extends LatencySummary {
  route: string;
  budgetMs: number;
  overBudget: number;
}

/**
 * P50/P95/P99 per `METHOD /route` over first attempts' calls. Retries are left out, as in the
 * metrics: a retry that happens to be fast must not make a slow route look healthy.
 */
export function routeLatencies(calls: Iterable<Pick<CallRecord, 'method' | 'route' | 'durationMs' | 'budgetMs' | 'overBudget'>>): RouteLatency[] {
  const byRoute = new Map<string, { durations: number[]; budgetMs: number; overBudget: number }>();
  for (const c of calls) {
    const key = `${c.method} ${c.route}`;
    const entry = byRoute.get(key) ?? { durations: [], budgetMs: c.budgetMs, overBudget: 0 };
    entry.durations.push(c.durationMs);
    if (c.overBudget) entry.overBudget += 1;
    byRoute.set(key, entry);
  }
  return [...byRoute.entries()]
    .map(([route, e]) => ({ route, budgetMs: e.budgetMs, overBudget: e.overBudget, ...summarize(e.durations) }))
    .sort((a, b) => a.route.localeCompare(b.route));
}

/**
 * A server-latency sample: an API call of a first attempt that got an answer. A refused
 * connection has no latency to speak of, a retry that happens to be fast must not make a slow
 * route look healthy, and a browser's timing is user experience, not the server latency the
 * budgets hold.
 */
export const isLatencySample = (call: Pick<CallLine, 'retry' | 'status' | 'source'>): boolean =>
  !call.retry && call.status > 0 && call.source === 'api';

/** The latency samples of results still in memory, as the store would give them back. */
export function latencySamples(results: JourneyResult[]): CallLine[] {
  return toLines(results).filter((l): l is CallLine => l.type === 'call' && isLatencySample(l));
}

export function formatLatencies(rows: RouteLatency[]): string {
  const fmt = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(1));
  const table = [['ROUTE', 'N', 'P50', 'P95', 'P99', 'BUDGET', 'OVER']];
  for (const r of rows) table.push([r.route, String(r.count), fmt(r.p50), fmt(r.p95), fmt(r.p99), String(r.budgetMs), String(r.overBudget)]);
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
