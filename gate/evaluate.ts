import type { CheckVerdict, Decision, GateResult, Offender, PhaseStart } from './decision-types.ts';
import type { Measured } from './measure.ts';
import type { Check, Comparison, Op, Profile, Runbook } from './runbook-types.ts';
import type { GateSource } from './source.ts';
import { latencyRegression, median } from './stats.ts';

export interface GateInputs {
  runbook: Runbook;
  profile: string;
  phase: number;
  /** What the gate reads from (the results store, Prometheus), covering `now − lookbackMs(...)` to `now`. */
  source: GateSource;
  now: number;
  /** The phase's observation window (or --window), already time-scaled. */
  windowMs: number;
  /** The one-minute bucket of "for N consecutive minutes", time-scaled. */
  bucketMs: number;
  /** No cycle from a target within this long: its data is stale (a dead runner's last lines linger). */
  staleAfterMs: number;
  /** Baseline values per metric (the gate's --baseline). */
  baseline?: Partial<Record<string, number>>;
  /** When the phase began for the canary's build (gate/phase-start.ts); undefined: when the build was first seen. */
  phaseStart?: (build: string) => Promise<PhaseStart>;
}

/** How far back the gate must read for this profile and phase. */
export function lookbackMs(profile: Profile, windowMs: number, bucketMs: number): number {
  return Math.max(windowMs, ...profile.checks.map((c) => c.windowMs ?? triggerLookback(c, bucketMs)));
}

/**
 * A trigger looks back three times its run of minutes: empty minutes neither make nor break a
 * streak, and a slow canary's cycles can leave every other minute empty.
 */
function triggerLookback(check: Check, bucketMs: number): number {
  return check.for && 'minutes' in check.for ? 3 * check.for.minutes * bucketMs : 0;
}

export const satisfies = (value: number, op: Op, threshold: number): boolean =>
  op === '<' ? value < threshold : op === '<=' ? value <= threshold : op === '>' ? value > threshold : value >= threshold;

const STREAK_METRICS = new Set(['consecutive_failed_checks', 'consecutive_payment_failures']);
const LATENCY_METRICS = new Set(['latency_p95', 'latency_p99']);
const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '—' : Number.isInteger(n) ? String(n) : n.toFixed(2));

/** The compared value: canary alone, or against control or baseline. Null: a side has nothing to compare. */
function compared(against: Comparison, canary: number | null, control: number | null, baseline: number | undefined): number | null {
  if (canary === null) return null;
  switch (against) {
    case 'absolute':
      return canary;
    case 'control_pp':
      return control === null ? null : canary - control;
    case 'control_ratio':
      return control === null || control === 0 ? null : canary / control;
    case 'baseline_ratio':
      return baseline === undefined || baseline === 0 ? null : canary / baseline;
    case 'control_sigma':
      return null; // per bucket, below
  }
}

interface Ctx extends GateInputs {
  prof: Profile;
}

async function measureBoth(check: Check, from: number, to: number, ctx: Ctx): Promise<{ c: Measured; k: Measured }> {
  const opts = { sloPercent: ctx.prof.sloPercent };
  const [c, k] = await Promise.all([
    ctx.source.measure(check.metric, check.scope, 'canary', from, to, opts),
    ctx.source.measure(check.metric, check.scope, 'control', from, to, opts),
  ]);
  return { c, k };
}

/** Latency against control: significance and an effect beyond a tolerance, or it is noise. */
/**
 * Latency against control: Mann–Whitney U over the window's samples and, since the runner probes
 * both targets in the same cycle, the Wilcoxon signed-rank test over per-minute pairs (canary and
 * control medians of the same minute), which takes out the noise both share.
 */
function latencyStats(check: Check, c: Measured, k: Measured, buckets: Array<{ c: Measured; k: Measured }> = []) {
  if (!LATENCY_METRICS.has(check.metric) || !c.values?.length || !k.values?.length) return undefined;
  const pairs = buckets
    .filter((b) => b.c.values?.length && b.k.values?.length)
    .map((b) => [median(b.c.values!), median(b.k.values!)] as [number, number]);
  return latencyRegression({ canary: c.values, control: k.values, pairs, toleranceMs: 5 });
}

async function evaluateGate(check: Check, ctx: Ctx): Promise<CheckVerdict> {
  const windowMs = check.windowMs ?? ctx.windowMs;
  const from = ctx.now - windowMs;
  const { c, k } = await measureBoth(check, from, ctx.now, ctx);
  const baseline = ctx.baseline?.[check.metric];
  const value = compared(check.against, c.value, k.value, baseline);
  const stats = check.against.startsWith('control') ? latencyStats(check, c, k) : undefined;
  const needsControl = check.against.startsWith('control');
  const few = !STREAK_METRICS.has(check.metric) && (c.samples < ctx.prof.minSamples || (needsControl && k.samples < ctx.prof.minSamples));
  let ok: boolean | undefined;
  let reason: string;
  if (check.against === 'baseline_ratio' && baseline === undefined) {
    ok = undefined;
    reason = `needs a baseline for ${check.metric} (pass --baseline FILE)`;
  } else if (value === null || few) {
    ok = undefined;
    reason = `too few samples: canary ${c.samples}, control ${k.samples} (at least ${ctx.prof.minSamples} each)`;
  } else {
    ok = satisfies(value, check.op, check.threshold);
    reason = `${check.metric} ${describeValue(check.against, value)} ${ok ? 'meets' : 'misses'} ${check.op} ${check.threshold}`;
  }
  return verdict(check, ok, c, k, baseline, reason, from, ctx.now, undefined, stats);
}

function describeValue(against: Comparison, value: number): string {
  return against === 'absolute' ? `is ${fmt(value)}` : against === 'control_pp' ? `is ${fmt(value)} pp from control` : `is ${fmt(value)}× ${against === 'baseline_ratio' ? 'baseline' : 'control'}`;
}

async function evaluateTrigger(check: Check, ctx: Ctx): Promise<CheckVerdict> {
  const { bucketMs, now } = ctx;
  // Runs of checks (consecutive failed journey runs): the streak at the window's end is the value.
  if (STREAK_METRICS.has(check.metric) || !check.for || 'checks' in check.for) {
    const windowMs = check.windowMs ?? ctx.windowMs;
    const from = now - windowMs;
    const { c, k } = await measureBoth(check, from, now, ctx);
    const value = compared(check.against === 'control_sigma' ? 'absolute' : check.against, c.value, k.value, ctx.baseline?.[check.metric]);
    const fired = value !== null && satisfies(value, check.op, check.threshold);
    const missing = check.against === 'baseline_ratio' && ctx.baseline?.[check.metric] === undefined
      ? `needs a baseline for ${check.metric} (pass --baseline FILE)`
      : c.samples === 0 ? 'no samples in the window' : 'nothing to compare against';
    const reason = value === null ? missing : `${check.metric} is ${fmt(value)}${fired ? `, ${check.op} ${check.threshold}` : ''}`;
    return verdict(check, value === null ? true : !fired, c, k, ctx.baseline?.[check.metric], reason, from, now, STREAK_METRICS.has(check.metric) ? c.value ?? 0 : undefined);
  }
  // "For N consecutive minutes": the condition in each of the last N non-empty one-minute buckets.
  const minutes = check.for.minutes;
  const lookback = check.windowMs ?? triggerLookback(check, bucketMs);
  const from = now - lookback;
  const buckets: Array<{ c: Measured; k: Measured; from: number; to: number }> = [];
  for (let to = now; to > from; to -= bucketMs) buckets.push({ ...(await measureBoth(check, to - bucketMs, to, ctx)), from: to - bucketMs, to });
  const sigma = check.against === 'control_sigma' ? await controlSpread(check, ctx) : undefined;
  let held = 0;
  let newest: { c: Measured; k: Measured; value: number } | undefined;
  const offenders: Offender[] = [];
  for (const b of buckets) {
    const value = check.against === 'control_sigma'
      ? (b.c.value === null || !sigma ? null : Math.abs(b.c.value - sigma.mean) / sigma.sd)
      : compared(check.against, b.c.value, b.k.value, ctx.baseline?.[check.metric]);
    if (value === null) continue; // an empty minute neither makes nor breaks a streak
    newest ??= { c: b.c, k: b.k, value };
    if (!satisfies(value, check.op, check.threshold)) break;
    held += 1;
    if (offenders.length < 3) offenders.push(...b.c.offenders.slice(0, 3 - offenders.length));
  }
  let fired = held >= minutes;
  // Latency against control: a regression needs significance and an effect, or it is shared noise.
  const whole = await measureBoth(check, from, now, ctx);
  const stats = check.against.startsWith('control') ? latencyStats(check, whole.c, whole.k, buckets) : undefined;
  let reason = newest
    ? `${check.metric} ${describeValue(check.against === 'control_sigma' ? 'absolute' : check.against, newest.value)}${check.against === 'control_sigma' ? 'σ from control' : ''} in the newest minute; held ${held} consecutive minute(s), ${minutes} needed`
    : 'no samples in the window';
  if (fired && stats && !stats.regression) {
    fired = false;
    reason += `; not significant against control (${stats.reason})`;
  }
  const c = newest?.c ?? whole.c;
  return verdict(check, !fired, { ...c, offenders: offenders.length ? offenders : c.offenders }, newest?.k ?? whole.k, ctx.baseline?.[check.metric], reason, from, now, held, stats);
}

/** Control's per-minute values over the window: what "3σ from control" is measured against. */
async function controlSpread(check: Check, ctx: Ctx): Promise<{ mean: number; sd: number } | undefined> {
  const values: number[] = [];
  for (let to = ctx.now; to > ctx.now - ctx.windowMs; to -= ctx.bucketMs) {
    const v = (await ctx.source.measure(check.metric, check.scope, 'control', to - ctx.bucketMs, to, { sloPercent: ctx.prof.sloPercent })).value;
    if (v !== null) values.push(v);
  }
  if (values.length < 3) return undefined;
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  // A perfectly steady control would make any difference infinite σ: floor the spread at 1% of the mean.
  const sd = Math.max(Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)), Math.abs(mean) * 0.01, 1e-9);
  return { mean, sd };
}

function verdict(
  check: Check, ok: boolean | undefined, c: Measured, k: Measured, baseline: number | undefined, reason: string,
  from: number, to: number, heldFor?: number, stats?: ReturnType<typeof latencyStats>,
): CheckVerdict {
  return {
    name: check.name, kind: check.kind, metric: check.metric, ok,
    observed: { canary: c.value, control: k.value, ...(baseline !== undefined ? { baseline } : {}) },
    against: check.against, op: check.op, threshold: check.threshold,
    samples: { canary: c.samples, control: k.samples },
    ...(heldFor !== undefined ? { heldFor } : {}),
    ...(stats ? { statistics: stats.tests } : {}),
    reason,
    evidence: { window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, offenders: ok === false ? c.offenders.slice(0, 3) : [] },
  };
}

/** Every gate and trigger of the phase, and the decision with its one-sentence reason. */
export async function evaluate(inputs: GateInputs): Promise<GateResult> {
  const prof = inputs.runbook.profiles[inputs.profile];
  if (!prof) throw new Error(`no profile ${inputs.profile}`);
  const phase = prof.phases.find((p) => p.percent === inputs.phase);
  if (!phase) throw new Error(`no phase ${inputs.phase} in profile ${inputs.profile}`);
  const ctx: Ctx = { ...inputs, prof };
  const { now, source } = inputs;

  const freshness = (await source.freshness()).map(({ target, last }) => ({ target, lastCycle: new Date(last).toISOString(), stale: now - last > inputs.staleAfterMs }));
  const canary = await source.canaryBuild();
  const windowFrom = now - inputs.windowMs;
  const phaseStart = canary && inputs.phaseStart ? await inputs.phaseStart(canary.build) : undefined;
  const begun = phaseStart ? (phaseStart.at === null ? undefined : Date.parse(phaseStart.at)) : canary?.firstSeen;
  const elapsedMs = canary === undefined || begun === undefined ? 0 : Math.max(0, now - Math.max(windowFrom, canary.firstSeen, begun));

  const checks = await Promise.all(prof.checks
    .filter((c) => !c.phases || c.phases.includes(inputs.phase))
    .map((c) => (c.kind === 'gate' ? evaluateGate(c, ctx) : evaluateTrigger(c, ctx))));
  const [hasCanary, hasControl] = await Promise.all([source.hasResults('canary'), source.hasResults('control')]);

  const fired = checks.filter((c) => c.kind === 'trigger' && c.ok === false);
  const stale = freshness.filter((f) => f.stale);
  const failedGates = checks.filter((c) => c.kind === 'gate' && c.ok === false);
  const unknownGates = checks.filter((c) => c.kind === 'gate' && c.ok === undefined);
  let decision: Decision;
  let reason: string;
  // A trigger is a rollback even on few samples and stale companions: the minimum guards go, not rollback.
  if (fired.length > 0) {
    decision = 'rollback';
    reason = `rollback: ${fired.map((c) => `${c.name} (${c.reason})`).join('; ')}`;
  } else if (!hasCanary || !hasControl) {
    decision = 'hold';
    reason = `hold: no ${hasCanary ? 'control' : 'canary'} results in the window`;
  } else if (stale.length > 0) {
    decision = 'hold';
    reason = `hold: stale data from ${stale.map((s) => `${s.target} (last cycle ${s.lastCycle})`).join(', ')}`;
  } else if (elapsedMs < inputs.windowMs) {
    decision = 'hold';
    reason = `hold: the ${fmtDuration(inputs.windowMs)} window has not elapsed (${fmtDuration(elapsedMs)}${sinceWhat(phaseStart, inputs.phase)})`;
  } else if (failedGates.length > 0) {
    decision = 'hold';
    reason = `hold (no go): ${failedGates.map((c) => `${c.name} (${c.reason})`).join('; ')}`;
  } else if (unknownGates.length > 0) {
    decision = 'hold';
    reason = `hold: ${unknownGates.map((c) => `${c.name} (${c.reason})`).join('; ')}`;
  } else {
    decision = 'go';
    reason = `go: all ${checks.filter((c) => c.kind === 'gate').length} gates met and no rollback trigger held over ${fmtDuration(inputs.windowMs)}`;
  }
  return {
    decision, reason, phase: inputs.phase, profile: inputs.profile,
    window: {
      from: new Date(windowFrom).toISOString(), to: new Date(now).toISOString(), elapsedMs, requiredMs: inputs.windowMs,
      ...(phaseStart ? { phaseStart } : {}),
    },
    freshness, checks,
  };
}

/** What the elapsed time counts from, for the hold sentence. */
function sinceWhat(start: PhaseStart | undefined, phase: number): string {
  if (!start) return ' of canary data';
  switch (start.how) {
    case 'since':
      return ` since phase ${phase} began at ${start.at}, as the caller said`;
    case 'first-asked':
      return ` since phase ${phase} began at ${start.at}, when it was first asked about for this build`;
    case 'not-asked':
      return `: phase ${phase} has not begun for this build (no rollout tool has asked about it yet)`;
    case 'unavailable':
      return `: ${start.note ?? 'the phase start could not be read'}, so it counts from now`;
  }
}

export function fmtDuration(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(ms % 3_600_000 ? 1 : 0)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(ms % 60_000 ? 1 : 0)} min`;
  return `${(ms / 1000).toFixed(1)} s`;
}

