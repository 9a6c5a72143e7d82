import { measure } from '../gate/measure.ts';
import type { Check, CheckScope, MetricName, Runbook } from '../gate/runbook-types.ts';
import type { Side } from '../gate/samples.ts';
import { isLatencySample } from '../reporters/latency.ts';
import { timeOf, type CallLine, type JourneyLine, type StoreLine } from '../reporters/results-store/index.ts';
import { budgetFor, CRITICAL_ROUTES, type Budgets } from '../src/core/budgets.ts';
import { percentile } from '../src/core/percentiles.ts';

/**
 * The performance baseline of one target, computed from the results store's lines alone (pure:
 * no clock, no files). `metrics` is what `synthetics gate --baseline` reads; the rest is for the
 * people reading the report.
 */

/** A distribution in ms; null where there was no sample. */
export interface Dist {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface EndpointBaseline extends Dist {
  /** `METHOD /route`. */
  route: string;
  critical: boolean;
  budgetMs: number;
  overBudget: number;
  /** Sample counts per bin: bin i holds edgesMs[i] ≤ ms < edgesMs[i + 1]. */
  histogram: { edgesMs: number[]; counts: number[] };
}

export interface JourneyBaseline extends Dist {
  journey: string;
  device: string;
  passed: number;
  flaky: number;
  failed: number;
  /** Cut short by the runner: not counted in n nor in the durations. */
  aborted: number;
}

export type UserTiming = Dist & { p80: number | null };
export type TimingName = 'timeToValueMs' | 'timeToFirstInteractionMs';

/** A runbook check that holds the canary to this baseline. */
export interface Comparison {
  check: string;
  profiles: string[];
  metric: MetricName;
  scope?: CheckScope;
  op: string;
  threshold: number;
  /** The baseline value it compares with (null: not measured), and on how many samples. */
  baseline: number | null;
  samples: number;
  /** The canary value at which the ratio reaches the threshold. */
  canaryLimit: number | null;
}

/** An absolute latency threshold of the runbook (P95/P99 on its scope), drawn beside the endpoints. */
export interface LatencyThreshold {
  check: string;
  profiles: string[];
  metric: 'latency_p95' | 'latency_p99';
  kind: 'gate' | 'trigger';
  op: string;
  thresholdMs: number;
  scope?: CheckScope;
}

export interface Baseline {
  version: 1;
  target: { name: string; origin: string };
  build: string | null;
  gitSha: string | null;
  cycles: number;
  window: { from: string; to: string };
  /** Per metric compared `against: baseline_ratio`: the gate's own measure, over that check's scope. */
  metrics: Partial<Record<MetricName, number>>;
  endpoints: EndpointBaseline[];
  journeys: JourneyBaseline[];
  userTimings: Record<TimingName, UserTiming>;
  comparisons: Comparison[];
  latencyThresholds: LatencyThreshold[];
  /** Anything a reader should know before trusting a number (a missing metric, a build change). */
  notes: string[];
}

export interface BaselineInput {
  lines: Iterable<StoreLine>;
  runbook: Runbook;
  budgets: Budgets;
  cycles: number;
  target: { name: string; origin: string };
  window: { from: number; to: number };
}

const r2 = (n: number) => Math.round(n * 100) / 100;

function dist(values: number[]): Dist {
  if (values.length === 0) return { n: 0, mean: null, p50: null, p95: null, p99: null, max: null };
  return {
    n: values.length,
    mean: r2(values.reduce((a, b) => a + b, 0) / values.length),
    p50: r2(percentile(values, 50)),
    p95: r2(percentile(values, 95)),
    p99: r2(percentile(values, 99)),
    max: r2(Math.max(...values)),
  };
}

/** 1, 2, 2.5 or 5 × 10^k: the smallest such step at or above `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw - 1e-9) ?? 10) * power;
}

/** About ten bins of a round width, from a round edge below the fastest sample. */
export function histogram(values: number[]): { edgesMs: number[]; counts: number[] } {
  if (values.length === 0) return { edgesMs: [], counts: [] };
  const min = Math.min(...values);
  const max = Math.max(...values);
  const step = niceStep(Math.max(0.1, (max - min) / 10));
  const start = Math.floor(min / step + 1e-9) * step;
  const bins = Math.floor((max - start) / step + 1e-9) + 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - start) / step + 1e-9))] += 1;
  const edgesMs = Array.from({ length: bins + 1 }, (_, i) => Number((start + i * step).toFixed(3)));
  return { edgesMs, counts };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const group = groups.get(k);
    if (group) group.push(t);
    else groups.set(k, [t]);
  }
  return groups;
}

/** Per route, the gate's latency samples: API calls of first attempts that got an answer. */
function endpoints(calls: CallLine[], budgets: Budgets): EndpointBaseline[] {
  const byRoute = groupBy(calls.filter(isLatencySample), (c) => `${c.method} ${c.route}`);
  return [...byRoute.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([route, samples]) => {
    const values = samples.map((c) => c.durationMs);
    const budgetMs = budgetFor(budgets, samples[0]!.method, samples[0]!.route);
    return {
      route, critical: CRITICAL_ROUTES.has(route), ...dist(values), budgetMs,
      overBudget: values.filter((v) => v > budgetMs).length, histogram: histogram(values),
    };
  });
}

function journeys(lines: JourneyLine[]): JourneyBaseline[] {
  return [...groupBy(lines, (j) => `${j.journey} ${j.device}`).values()].map((runs) => {
    const counted = runs.filter((j) => j.outcome !== 'aborted');
    const count = (outcome: JourneyLine['outcome']) => runs.filter((j) => j.outcome === outcome).length;
    return {
      journey: runs[0]!.journey, device: runs[0]!.device, ...dist(counted.map((j) => j.durationMs)),
      passed: count('passed'), flaky: count('flaky'), failed: count('failed'), aborted: count('aborted'),
    };
  }).sort((a, b) => a.journey.localeCompare(b.journey) || a.device.localeCompare(b.device));
}

/** The same attempts the gate reads a user timing from: passed ones that measured it. */
function userTiming(lines: JourneyLine[], name: TimingName): UserTiming {
  const values = lines.flatMap((j) => j.attempts.filter((a) => a.status === 'passed').flatMap((a) => {
    const ms = a.timings?.[name];
    return typeof ms === 'number' ? [ms] : [];
  }));
  const { n, mean, p50, p95, p99, max } = dist(values);
  return { n, mean, p50, p80: values.length ? r2(percentile(values, 80)) : null, p95, p99, max };
}

const scopeText = (scope?: CheckScope) => JSON.stringify(scope ?? {});

/** Every check of every profile with `pick`, once per check name (profiles share checks by anchor). */
function checksOf(runbook: Runbook, pick: (c: Check) => boolean) {
  const byName = new Map<string, { check: Check; profiles: string[]; sloPercent: number }>();
  for (const [profile, p] of Object.entries(runbook.profiles)) {
    for (const check of p.checks.filter(pick)) {
      const seen = byName.get(check.name);
      if (seen) seen.profiles.push(profile);
      else byName.set(check.name, { check, profiles: [profile], sloPercent: p.sloPercent });
    }
  }
  return [...byName.values()];
}

export function computeBaseline(input: BaselineInput): Baseline {
  const notes: string[] = [];
  const all = [...input.lines].sort((a, b) => Date.parse(timeOf(a)) - Date.parse(timeOf(b)));
  // One build, as the gate keeps one canary build: a target redeployed mid-run is measured as its newest build.
  const build = all.filter((l): l is JourneyLine => l.type === 'journey').at(-1)?.build_id ?? null;
  const lines = build === null ? all : all.filter((l) => l.build_id === build);
  const otherBuilds = build === null ? [] : [...new Set(all.filter((l) => l.build_id !== build).map((l) => l.build_id))];
  if (otherBuilds.length) notes.push(`the target changed build during the run: lines of build ${otherBuilds.join(', ')} were left out, only ${build}'s are measured`);
  const side: Side = {
    calls: lines.filter((l): l is CallLine => l.type === 'call'),
    journeys: lines.filter((l): l is JourneyLine => l.type === 'journey'),
    build: build ?? undefined,
    lastSeen: new Map(),
  };

  const metrics: Partial<Record<MetricName, number>> = {};
  const scopeOf = new Map<MetricName, string>();
  const comparisons: Comparison[] = [];
  const ctx = (sloPercent: number) => ({ windowMs: input.window.to - input.window.from, sloPercent });
  for (const { check, profiles, sloPercent } of checksOf(input.runbook, (c) => c.against === 'baseline_ratio')) {
    const m = measure(check.metric, check.scope, side, ctx(sloPercent));
    // The gate looks a baseline up by metric name alone: two scopes for one metric cannot both be right.
    const first = scopeOf.get(check.metric);
    if (first === undefined) {
      scopeOf.set(check.metric, scopeText(check.scope));
      if (m.value !== null) metrics[check.metric] = m.value;
      else notes.push(`${check.metric} (check ${check.name}) had no samples: the gate cannot compare with it (run the journeys that measure it)`);
    } else if (first !== scopeText(check.scope)) {
      notes.push(`${check.metric}: check ${check.name} scopes it as ${scopeText(check.scope)}, another check as ${first}; the baseline holds the first (the gate keys baselines by metric name)`);
    }
    const baseline = metrics[check.metric] ?? null;
    comparisons.push({
      check: check.name, profiles, metric: check.metric, ...(check.scope ? { scope: check.scope } : {}), op: check.op, threshold: check.threshold,
      baseline, samples: m.samples, canaryLimit: baseline === null ? null : r2(baseline * check.threshold),
    });
  }

  const latencyThresholds = checksOf(input.runbook, (c) => c.against === 'absolute' && (c.metric === 'latency_p95' || c.metric === 'latency_p99'))
    .map(({ check, profiles }) => ({
      check: check.name, profiles, metric: check.metric as LatencyThreshold['metric'], kind: check.kind, op: check.op,
      thresholdMs: check.threshold, ...(check.scope ? { scope: check.scope } : {}),
    }));

  return {
    version: 1,
    target: input.target,
    build,
    gitSha: side.journeys.at(-1)?.git_sha ?? null,
    cycles: input.cycles,
    window: { from: new Date(input.window.from).toISOString(), to: new Date(input.window.to).toISOString() },
    metrics,
    endpoints: endpoints(side.calls, input.budgets),
    journeys: journeys(side.journeys),
    userTimings: { timeToValueMs: userTiming(side.journeys, 'timeToValueMs'), timeToFirstInteractionMs: userTiming(side.journeys, 'timeToFirstInteractionMs') },
    comparisons,
    latencyThresholds,
    notes,
  };
}
