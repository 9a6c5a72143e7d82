import type { GateResult } from '../../gate/decision-types.ts';
import type { Runbook } from '../../gate/runbook-types.ts';
import { slice, type Side, type WindowSamples } from '../../gate/samples.ts';
import { isLatencySample } from '../../reporters/latency.ts';
import type { JourneyLine } from '../../reporters/results-store/index.ts';
import { CRITICAL_ROUTES } from '../../src/core/budgets.ts';
import { percentile } from '../../src/core/percentiles.ts';
import { compareRoutes, type RouteComparison } from '../route-latency.ts';

/**
 * What the ship-room page shows, panel by panel, as plain JSON: the page renders it and tools read
 * the same endpoints. Built from the gate's own verdict and the lines its reader read for the
 * window, so the page can never say something the gate did not.
 */

export interface JourneyCell {
  journey: string;
  target: string;
  device: string;
  canary: boolean;
  lastOutcome: JourneyLine['outcome'];
  lastAt: string;
  runs: number;
  flaky: number;
  failed: number;
  /** Failed runs in a row at the window's end (aborted runs skipped), as the gate counts them. */
  consecutiveFailures: number;
  /** The newest failed run: what to look up in the app's logs. */
  lastFailure?: {
    at: string;
    reason: string;
    problems: string[];
    /** One per attempt: `syn-<runId>-*` matches every call of that attempt. */
    syntheticIds: string[];
    traceIds: string[];
    evidence: Array<{ attempt: number; screenshot?: string; trace?: string; withheld?: string }>;
  };
}

export interface RouteSeries {
  route: string;
  /** Bucket ends (epoch ms) and each side's P95 in that bucket (ms; null: no call). */
  at: number[];
  canaryP95: Array<number | null>;
  controlP95: Array<number | null>;
}

export interface ShipRoomView {
  generatedAt: string;
  profiles: string[];
  phases: number[];
  decision: Pick<GateResult, 'decision' | 'reason' | 'phase' | 'profile' | 'window' | 'freshness'>;
  checks: GateResult['checks'];
  /** Latency thresholds to draw on the route charts (ms), from the profile's absolute latency checks. */
  latencyThresholds: Array<{ check: string; kind: 'gate' | 'trigger'; metric: string; ms: number }>;
  routes: { summary: RouteComparison[]; series: RouteSeries[] } | { unavailable: string };
  journeys: JourneyCell[] | { unavailable: string };
  runbook: {
    payments: Runbook['profiles'][string]['phases'][number]['payments'] | undefined;
    roles: Record<string, string>;
    rollbackSteps: string[];
  };
}

export const PANELS = ['decision', 'checks', 'routes', 'journeys', 'runbook'] as const;
export type PanelName = (typeof PANELS)[number];

/** At most this many points per route chart: the window's buckets, merged when there are more. */
const MAX_POINTS = 60;

function journeyCells(samples: WindowSamples): JourneyCell[] {
  const cells = new Map<string, JourneyLine[]>();
  for (const side of [samples.canary, samples.control]) {
    for (const j of side.journeys) {
      const key = `${j.target}|${j.journey}|${j.device}`;
      const runs = cells.get(key);
      if (runs) runs.push(j);
      else cells.set(key, [j]);
    }
  }
  return [...cells.values()].map((runs) => {
    const last = runs.at(-1)!;
    const judged = runs.filter((r) => r.outcome !== 'aborted');
    let streak = 0;
    for (let i = judged.length - 1; i >= 0 && judged[i]!.outcome === 'failed'; i--) streak++;
    const failure = [...runs].reverse().find((r) => r.outcome === 'failed');
    return {
      journey: last.journey, target: last.target, device: last.device, canary: last.canary === 'true',
      lastOutcome: last.outcome, lastAt: last.startedAt, runs: runs.length,
      flaky: runs.filter((r) => r.outcome === 'flaky').length, failed: runs.filter((r) => r.outcome === 'failed').length,
      consecutiveFailures: streak,
      ...(failure ? {
        lastFailure: {
          at: failure.startedAt,
          reason: failure.reason ?? failure.attempts.at(-1)?.reason ?? 'failed',
          problems: failure.attempts.at(-1)?.problems ?? [failure.attempts.at(-1)?.reason ?? failure.reason ?? 'failed'],
          syntheticIds: failure.attempts.filter((a) => a.runId !== '-').map((a) => `syn-${a.runId}-*`),
          traceIds: failure.attempts.filter((a) => a.traceId !== '-').map((a) => a.traceId),
          evidence: failure.attempts.filter((a) => a.evidence).map((a) => ({ attempt: a.attempt, ...a.evidence })),
        },
      } : {}),
    };
  }).sort((a, b) => Number(b.canary) - Number(a.canary) || b.consecutiveFailures - a.consecutiveFailures || b.failed - a.failed
    || a.journey.localeCompare(b.journey) || a.target.localeCompare(b.target) || a.device.localeCompare(b.device));
}

function p95Of(side: Side, route: string): number | null {
  const values = side.calls.filter((c) => isLatencySample(c) && `${c.method} ${c.route}` === route).map((c) => c.durationMs);
  return values.length ? percentile(values, 95) : null;
}

/** Per critical route, each side's P95 per bucket across the window: how the latency moved. */
function routeSeries(samples: WindowSamples, bucketMs: number): RouteSeries[] {
  const step = Math.max(bucketMs, Math.ceil((samples.to - samples.from) / MAX_POINTS));
  const ends: number[] = [];
  for (let t = samples.to; t > samples.from; t -= step) ends.unshift(t);
  const routes = [...new Set([...samples.canary.calls, ...samples.control.calls].map((c) => `${c.method} ${c.route}`))].filter((r) => CRITICAL_ROUTES.has(r)).sort();
  const buckets = ends.map((to) => ({ to, canary: slice(samples.canary, to - step, to), control: slice(samples.control, to - step, to) }));
  return routes.map((route) => ({
    route,
    at: ends,
    canaryP95: buckets.map((b) => p95Of(b.canary, route)),
    controlP95: buckets.map((b) => p95Of(b.control, route)),
  }));
}

/** The page's data: the verdict and, when the gate read the results store, the window's lines behind it. */
export function shipRoomView(opts: { result: GateResult; runbook: Runbook; samples?: WindowSamples; now: number }): ShipRoomView {
  const { result, runbook, samples } = opts;
  const profile = runbook.profiles[result.profile]!;
  const unavailable = { unavailable: 'the gate reads Prometheus here, which keeps no journey runs or per-call samples: run the gate on the results store for this panel' };
  return {
    generatedAt: new Date(opts.now).toISOString(),
    profiles: Object.keys(runbook.profiles),
    phases: profile.phases.map((p) => p.percent),
    decision: { decision: result.decision, reason: result.reason, phase: result.phase, profile: result.profile, window: result.window, freshness: result.freshness },
    checks: result.checks,
    latencyThresholds: profile.checks
      .filter((c) => (c.metric === 'latency_p95' || c.metric === 'latency_p99') && c.against === 'absolute' && (!c.phases || c.phases.includes(result.phase)))
      .map((c) => ({ check: c.name, kind: c.kind, metric: c.metric, ms: c.threshold })),
    routes: samples ? { summary: compareRoutes(samples), series: routeSeries(samples, runbook.bucketMs) } : unavailable,
    journeys: samples ? journeyCells(samples) : unavailable,
    runbook: {
      payments: profile.phases.find((p) => p.percent === result.phase)?.payments,
      roles: runbook.roles,
      rollbackSteps: runbook.rollbackSteps,
    },
  };
}
