import { staleAfterMs } from '../gate/decide.ts';
import { metricQuery, PAYMENT_JOURNEYS, promDuration, SERIES } from '../gate/promql.ts';
import type { MetricName, Op, Runbook } from '../gate/runbook-types.ts';
import { REQUEST_BUCKETS, USER_TIMING_BUCKETS } from '../reporters/metrics.ts';
import { HOLDING_RECORD, holdingLabels, holdingSelector, type RuleFile } from './prometheus-rules.ts';
import type { CompiledTrigger } from './triggers.ts';

/**
 * `promtool test rules` cases for the generated rules: for each alert, the series a runner would
 * push through a healthy stretch, a fault, and a recovery, and the moments the alert must not yet
 * fire, must fire, and must have resolved. The moments come from the runbook's semantics (N
 * consecutive buckets, a rolling window, a streak of runs, the staleness rule), never from the
 * rule's expression, so a rule that fires a bucket early or late fails its case.
 */

const SAMPLES_PER_BUCKET = 2;
/** Healthy buckets before the fault: control has a history to compare with. */
const HEALTHY_BUCKETS = 10;
const ROUTE = { method: 'GET', path: '/api/me' }; // critical and an auth route: every request metric reads it
const JOURNEYS = ['b2c-api', 'payments-checkout'];
const PAYMENT = new RegExp(`^${PAYMENT_JOURNEYS}$`);

type Fault = 'latency' | '5xx' | 'failed-check' | 'schema' | 'runs' | 'payment-runs' | 'timing';

function faultOf(metric: MetricName): Fault {
  switch (metric) {
    case 'latency_p95': case 'latency_p99': return 'latency';
    case 'error_5xx_ratio': return '5xx';
    case 'client_error_ratio': case 'non_user_4xx_ratio': case 'auth_error_ratio': return 'failed-check';
    case 'schema_failure_ratio': return 'schema';
    case 'journey_success_ratio': case 'consecutive_failed_checks': case 'error_budget_spent': return 'runs';
    case 'payment_failure_ratio': case 'payment_success_ratio': case 'consecutive_payment_failures': return 'payment-runs';
    case 'time_to_value_p80': case 'time_to_first_interaction_p80': return 'timing';
  }
}

/** promtool's expanding notation: runs of equal steps as `start+stepxN`, so hours of samples stay short. */
export function expand(values: number[]): string {
  const round = (n: number) => Number(n.toFixed(6));
  const parts: string[] = [];
  let i = 0;
  while (i < values.length) {
    // A drop (a streak back to 0) starts a new run: the notation only grows.
    const next = values[i + 1];
    const step = next === undefined || next < values[i]! ? 0 : round(next - values[i]!);
    let j = i + 1;
    while (j < values.length && round(values[j]! - values[j - 1]!) === step) j++;
    parts.push(`${round(values[i]!)}+${step}x${j - i - 1}`);
    i = j;
  }
  return parts.join(' ');
}

interface Timeline {
  bucketMs: number;
  samples: number;
  /** The fault's first and last sample (inclusive). */
  faultFrom: number;
  faultTo: number;
}

const labelText = (labels: Record<string, string>) => `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

/** A counter that grows `perSample(i)` at each sample. */
function counter(t: Timeline, perSample: (i: number, faulty: boolean) => number): string {
  const values = [0];
  for (let i = 1; i <= t.samples; i++) values.push(values[i - 1]! + perSample(i, i >= t.faultFrom && i <= t.faultTo));
  return expand(values);
}

/** The series a healthy canary and control push, with `fault` on the canary during the fault. */
function inputSeries(t: Timeline, fault: Fault): Array<{ series: string; values: string }> {
  const out: Array<{ series: string; values: string }> = [];
  const callsPerSample = 15;
  const runsPerSample = 1 / SAMPLES_PER_BUCKET;
  for (const canary of [true, false]) {
    const base = { target: canary ? 'canary' : 'control', canary: String(canary), region: 'test', device: 'api' };
    const faulty = (f: Fault) => canary && fault === f;
    const request = { ...base, ...ROUTE };
    // 2xx calls: fast when healthy; during a latency fault the canary's land past the last edge.
    const good = (i: number, inFault: boolean) => (inFault && (faulty('5xx') || faulty('failed-check')) ? 0 : callsPerSample);
    for (const le of [...REQUEST_BUCKETS.map(String), '+Inf']) {
      out.push({ series: `${SERIES.request}_bucket${labelText({ ...request, status_class: '2xx', le })}`, values: counter(t, (i, f) => (f && faulty('latency') && le !== '+Inf' ? 0 : good(i, f))) });
    }
    out.push({ series: `${SERIES.request}_count${labelText({ ...request, status_class: '2xx' })}`, values: counter(t, good) });
    const badClass = faulty('5xx') ? '5xx' : faulty('failed-check') ? '4xx' : undefined;
    if (badClass) {
      const bad = (_: number, f: boolean) => (f ? callsPerSample : 0);
      for (const le of [...REQUEST_BUCKETS.map(String), '+Inf']) out.push({ series: `${SERIES.request}_bucket${labelText({ ...request, status_class: badClass, le })}`, values: counter(t, bad) });
      out.push({ series: `${SERIES.request}_count${labelText({ ...request, status_class: badClass })}`, values: counter(t, bad) });
      out.push({ series: `${SERIES.requestFailures}${labelText({ ...request, status_class: badClass })}`, values: counter(t, bad) });
    }
    if (faulty('schema')) out.push({ series: `${SERIES.schemaFailures}${labelText({ ...request, journey: 'b2c-api', step: 'me' })}`, values: counter(t, (_, f) => (f ? callsPerSample : 0)) });
    for (const journey of JOURNEYS) {
      const fails = faulty('runs') || (faulty('payment-runs') && PAYMENT.test(journey));
      const runs = { ...base, journey, cohort: 'student' };
      out.push({ series: `${SERIES.journeyRuns}${labelText({ ...runs, outcome: 'passed' })}`, values: counter(t, (_, f) => (f && fails ? 0 : runsPerSample)) });
      out.push({ series: `${SERIES.journeyRuns}${labelText({ ...runs, outcome: 'failed' })}`, values: counter(t, (_, f) => (f && fails ? runsPerSample : 0)) });
      // The streak of failed runs: one more each bucket of the fault, 0 after a pass.
      const streak: number[] = [];
      for (let i = 0; i <= t.samples; i++) streak.push(fails && i >= t.faultFrom && i <= t.faultTo ? Math.ceil((i - t.faultFrom + 1) / SAMPLES_PER_BUCKET) : 0);
      out.push({ series: `${SERIES.consecutiveFailures}${labelText(runs)}`, values: expand(streak) });
    }
    for (const timing of ['time_to_value', 'time_to_first_interaction']) {
      const timed = { ...base, journey: 'b2c-browser', timing };
      for (const le of [...USER_TIMING_BUCKETS.map(String), '+Inf']) {
        out.push({ series: `${SERIES.userTiming}_bucket${labelText({ ...timed, le })}`, values: counter(t, (_, f) => (f && faulty('timing') && le !== '+Inf' ? 0 : runsPerSample)) });
      }
      out.push({ series: `${SERIES.userTiming}_count${labelText(timed)}`, values: counter(t, () => runsPerSample) });
    }
  }
  return out;
}

type Annotations = (alert: string) => Record<string, string>;

interface Expectation {
  at: number;
  /** The alerts firing then (one label set, or one per series); none: not firing. */
  labels?: Record<string, string> | Array<Record<string, string>>;
}

/** The annotations as Prometheus renders them for an alert with these labels (the rules template only `$labels`). */
function rendered(annotations: Record<string, string>, labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? '')]));
}

function alertCase(alert: string, annotations: Record<string, string>, t: Timeline, series: Array<{ series: string; values: string }>, checks: Expectation[]) {
  const ms = (i: number) => promDuration(i * (t.bucketMs / SAMPLES_PER_BUCKET));
  return {
    interval: promDuration(t.bucketMs / SAMPLES_PER_BUCKET),
    input_series: series,
    alert_rule_test: checks.map((c) => ({
      eval_time: ms(c.at), alertname: alert,
      exp_alerts: [c.labels ?? []].flat().map((labels) => ({ exp_labels: labels, exp_annotations: rendered(annotations, labels) })),
    })),
  };
}

/**
 * A rolling window with no `for:`: its alert fires or not at each evaluation on what the window
 * holds then, whatever the evaluations before it, so its case may run at a coarser
 * `evaluation_interval` (`step` buckets) as long as every moment it checks is an evaluation.
 */
const rollingWindow = (t: CompiledTrigger) => t.forMs === 0 && !t.check.metric.startsWith('consecutive') && !(t.check.for && 'minutes' in t.check.for);

function triggerCase(t: CompiledTrigger, bucketMs: number, annotations: Annotations, step = 1) {
  const B = SAMPLES_PER_BUCKET;
  const start = Math.ceil(HEALTHY_BUCKETS / step) * step * B;
  const labels = { severity: 'critical', phase: t.phase, trigger: t.check.name, canary: 'true', profile: t.profile, source: 'synthetics' };
  const streakTo = t.check.metric.startsWith('consecutive') ? (t.check.op === '>' ? t.check.threshold + 1 : Math.ceil(t.check.threshold)) : undefined;
  const buckets = t.forMs / bucketMs + 1;
  if (streakTo !== undefined) {
    // A streak: the alert fires at the run that reaches the threshold, not one before.
    const timeline = { bucketMs, faultFrom: start + 1, faultTo: start + (streakTo + 2) * B, samples: start + (streakTo + 4) * B };
    const fault = faultOf(t.check.metric);
    const failing = JOURNEYS.filter((j) => fault === 'runs' || PAYMENT.test(j));
    return alertCase(t.alert, annotations(t.alert), timeline, inputSeries(timeline, fault), [
      { at: start + (streakTo - 1) * B },
      { at: start + streakTo * B, labels: failing.map((journey) => ({ ...labels, target: 'canary', journey, device: 'api' })) },
      { at: timeline.faultTo + B },
    ]);
  }
  if (t.check.for && 'minutes' in t.check.for) {
    // N consecutive evaluations: pending at the first that sees the fault, firing N buckets in; resolved
    // once the (two-bucket) range holds no faulty minute, and not a bucket before.
    const span = Math.round(t.rangeMs / bucketMs) * B;
    const timeline = { bucketMs, faultFrom: start + 1, faultTo: start + (buckets + 1) * B, samples: start + (buckets + 2) * B + span };
    return alertCase(t.alert, annotations(t.alert), timeline, inputSeries(timeline, faultOf(t.check.metric)), [
      { at: start + (buckets - 1) * B },
      { at: start + buckets * B, labels },
      { at: timeline.faultTo + span - B, labels },
      { at: timeline.faultTo + span },
    ]);
  }
  // A rolling window: firing once the window is all fault, and until the fault has left it. The
  // fault lasts one evaluation step past the window, so that its last sample is an evaluation too.
  if (!rollingWindow(t) && step !== 1) throw new Error(`${t.profile}/${t.id}: its case needs an evaluation every bucket`);
  const w = Math.round(t.rangeMs / bucketMs) * B;
  const timeline = { bucketMs, faultFrom: start + 1, faultTo: start + w + step * B, samples: start + 2 * w + (step + 2) * B };
  return alertCase(t.alert, annotations(t.alert), timeline, inputSeries(timeline, faultOf(t.check.metric)), [
    { at: start },
    { at: start + w, labels },
    { at: timeline.faultTo, labels },
    { at: timeline.faultTo + w },
  ]);
}

/** The staleness alerts: a runner that stops cycling, a group that goes away, a clean stop marked. */
function stalenessCases(runbook: Runbook, annotations: Annotations) {
  const bucketMs = runbook.bucketMs;
  const B = SAMPLES_PER_BUCKET;
  const start = HEALTHY_BUCKETS * B;
  const stale = staleAfterMs(runbook);
  // Evaluations happen once a bucket: the first one past the staleness bound (or at it, for `for:`).
  const firstPast = (ms: number) => (Math.floor(ms / bucketMs) + 1) * B;
  const firstAtOrPast = (ms: number) => Math.ceil(ms / bucketMs) * B;
  const samples = start + firstPast(stale) + 4 * B;
  const stepS = bucketMs / B / 1000;
  const side = (canary: boolean) => ({ target: canary ? 'canary' : 'control', canary: String(canary), region: 'test' });
  const cycles = (canary: boolean, until: number, then: 'constant' | 'stale') => {
    const upTo = expand(Array.from({ length: until + 1 }, (_, i) => i * stepS));
    const rest = samples - until;
    if (rest === 0) return { series: `${SERIES.lastCycle}${labelText(side(canary))}`, values: upTo };
    return { series: `${SERIES.lastCycle}${labelText(side(canary))}`, values: then === 'stale' ? `${upTo} ${Array(rest).fill('stale').join(' ')}` : `${upTo} ${until * stepS}+0x${rest - 1}` };
  };
  const live = (canary: boolean) => cycles(canary, samples, 'constant');
  const warn = (trigger: string) => ({ severity: 'warning', phase: 'all', trigger, source: 'synthetics' });
  const staleFire = start + firstPast(stale);
  // Absent, or 0, from the first evaluation after the last cycle; firing `for:` the staleness bound later.
  const goneFire = start + B + firstAtOrPast(stale);
  return [
    alertCase('SyntheticRunnerStale', annotations('SyntheticRunnerStale'), { bucketMs, samples, faultFrom: 0, faultTo: 0 }, [cycles(true, start, 'constant'), live(false)], [
      { at: staleFire - B },
      { at: staleFire, labels: { ...warn('runner-stale'), ...side(true) } },
    ]),
    ...[true, false].map((canary) => alertCase(canary ? 'SyntheticCanaryTargetAbsent' : 'SyntheticControlTargetAbsent', annotations(canary ? 'SyntheticCanaryTargetAbsent' : 'SyntheticControlTargetAbsent'), { bucketMs, samples, faultFrom: 0, faultTo: 0 }, [cycles(canary, start, 'stale'), live(!canary)], [
      { at: start },
      { at: goneFire - B },
      { at: goneFire, labels: { ...warn('target-absent'), canary: String(canary) } },
    ])),
    alertCase('SyntheticRunnerStopped', annotations('SyntheticRunnerStopped'), { bucketMs, samples, faultFrom: 0, faultTo: 0 }, [
      { series: `${SERIES.runnerUp}{target="canary",region="test"}`, values: `1+0x${start} 0+0x${samples - start - 1}` },
    ], [
      { at: goneFire - B },
      { at: goneFire, labels: { ...warn('runner-stopped'), target: 'canary', region: 'test' } },
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------
// The recorded trigger states (synthetic_canary:trigger_holding), under, at and over threshold
// ---------------------------------------------------------------------------------------------

/** How promtool names a sample of the recorded state: `synthetic_canary:trigger_holding{phase="all",profile="default",trigger="p95-high"}`. */
export const sampleLabels = (labels: Record<string, string>) => `${HOLDING_RECORD}${labelText(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))))}`;

type Level = 'under' | 'at' | 'over';

/** One steady stretch of the trigger's input: the canary's per-sample increments (or gauge value), and the value it makes. */
interface Stretch {
  level: Level;
  /** Series name+labels -> what it grows by each sample (counters) or is (gauges). */
  canary: Map<string, number>;
  /** The compared value these inputs make, computed as Prometheus does (for the record). */
  value: number;
}

/** What a trigger compares, and the inputs that make the canary's value sit under, at or over the threshold. */
interface HoldingPlan {
  stretches: Stretch[];
  /** Inputs that stay the same through the case (control, the canary's other series). */
  steady: Map<string, number>;
  gauges: Set<string>;
  /** Why "at" is not tested, when it is not. */
  noAt?: string;
}

/** Holds at this level? `>`: only over; `>=`: at and over; `<`: only under; `<=`: under and at. */
function holdsAtLevel(op: Op, level: Level): boolean {
  switch (op) {
    case '>': return level === 'over';
    case '>=': return level !== 'under';
    case '<': return level === 'under';
    case '<=': return level !== 'over';
  }
}

const strictlyOn = (level: Level, value: number, threshold: number) => (level === 'under' ? value < threshold : level === 'over' ? value > threshold : value === threshold);

/**
 * histogram_quantile as Prometheus computes it (promql/quantile.go `bucketQuantile`) for one
 * window's cumulative bucket counts: the same IEEE operations in the same order, so "at the
 * threshold" is the value Prometheus gets, not a value near it.
 */
export function bucketQuantile(q: number, edges: number[], perBucket: number[], k: number): number {
  const counts = perBucket.map((c) => c * k);
  const cumulative: number[] = [];
  counts.reduce((sum, c, i) => (cumulative[i] = sum + c), 0);
  const observations = cumulative.at(-1)!;
  let rank = q * observations;
  let b = cumulative.findIndex((c) => c >= rank);
  if (b === -1 || b === edges.length) return edges.at(-1)!; // past the last finite edge
  let bucketStart = 0;
  const bucketEnd = edges[b]!;
  let count = cumulative[b]!;
  if (b > 0) {
    bucketStart = edges[b - 1]!;
    count -= cumulative[b - 1]!;
    rank -= cumulative[b - 1]!;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * Per-sample counts per bucket (the last one is +Inf) whose `q`-quantile is `target` seconds, or
 * as near as a whole percent R of its bucket gets (`side`: just below or just above it): 100 observations in
 * the bucket holding the target, the rest below and above it so that (rank − below) / in-bucket is R / 100.
 */
function countsNear(q: number, edges: number[], target: number, side: 'below' | 'above' | 'near' = 'near'): number[] {
  const i = side === 'above' ? edges.findIndex((e) => target < e) : edges.findIndex((e) => target <= e);
  if (i <= 0) throw new Error(`no bucket below ${target} s to lay a quantile in (edges ${edges.join(', ')})`);
  const start = edges[i - 1]!;
  const percent = ((target - start) / (edges[i]! - start)) * 100;
  const r = Math.min(99, Math.max(1, side === 'below' ? Math.ceil(percent - 1e-6) - 1 : side === 'above' ? Math.floor(percent + 1e-6) + 1 : Math.round(percent)));
  const total = Math.round(100 / (1 - q));
  const counts = new Array<number>(edges.length + 1).fill(0);
  counts[i - 1] = Math.round(q * total) - r; // at or below the bucket's start
  counts[i] = 100;
  counts[i + 1] = total - counts[i - 1]! - 100; // above it (+Inf when i is the last edge)
  return counts;
}

/** Per-sample counts whose quantile is exactly `edges[i]`: (rank − below) / in-bucket is exactly 1. */
function countsAtEdge(q: number, edges: number[], i: number, k: number): number[] | undefined {
  for (const total of [1, 2, 4, 5, 10].map((m) => m * Math.round(1 / (1 - q)))) {
    const inside = Math.round(q * total);
    if (q * (total * k) !== inside * k) continue;
    const counts = new Array<number>(edges.length + 1).fill(0);
    counts[i] = inside;
    counts[i + 1] = total - inside;
    return counts;
  }
  return undefined;
}

function histogramSeries(name: string, labels: Record<string, string>, edges: number[], counts: number[], out: Map<string, number>): void {
  let cumulative = 0;
  [...edges.map(String), '+Inf'].forEach((le, i) => {
    cumulative += counts[i]!;
    out.set(`${name}_bucket${labelText({ ...labels, le })}`, cumulative);
  });
  out.set(`${name}_count${labelText(labels)}`, cumulative);
}

/** The inputs of one trigger's case: what the canary pushes at each level, and what stays the same. */
function holdingPlan(runbook: Runbook, t: CompiledTrigger): HoldingPlan {
  const { check } = t;
  const bucketMs = runbook.bucketMs;
  const k = Math.round(t.rangeMs / bucketMs); // increments a range holds at one sample a bucket
  const side = (canary: boolean) => ({ target: canary ? 'canary' : 'control', canary: String(canary), region: 'test', device: 'api' });
  const scopedRoute = Array.isArray(check.scope?.routes) ? { method: check.scope.routes[0]!.split(' ')[0]!, path: check.scope.routes[0]!.split(' ')[1]! } : ROUTE;
  const steady = new Map<string, number>();
  const gauges = new Set<string>();
  const levels: Level[] = ['under', 'at', 'over'];
  const T = check.threshold;

  if (check.metric.startsWith('consecutive')) {
    // A gauge: the streak itself. Whole runs: "at" only for a whole threshold.
    const journey = check.metric === 'consecutive_payment_failures' ? 'payments-checkout' : 'b2c-api';
    const series = `${SERIES.consecutiveFailures}${labelText({ ...side(true), journey, cohort: 'student' })}`;
    gauges.add(series);
    steady.set(`${SERIES.journeyRuns}${labelText({ ...side(true), journey, cohort: 'student', outcome: 'passed' })}`, 1);
    const whole = Number.isInteger(T);
    const stretches = levels.filter((l) => whole || l !== 'at').map((level) => {
      const value = level === 'under' ? Math.ceil(T) - 1 : level === 'at' ? T : Math.floor(T) + 1;
      return { level, canary: new Map([[series, value]]), value };
    });
    return { stretches, steady, gauges, noAt: whole ? undefined : `the threshold ${T} is not a whole number of runs` };
  }

  const q = metricQuery(check.metric, check.scope, { matchers: ['canary="true"'], range: promDuration(t.rangeMs), sloPercent: runbook.profiles[t.profile]!.sloPercent, windowMs: t.rangeMs });
  if (!q) throw new Error(`${t.profile}/${t.id}: no query for ${check.metric}`);

  if (q.kind === 'quantile') {
    const timing = check.metric.startsWith('time_to');
    const edges = timing ? USER_TIMING_BUCKETS : REQUEST_BUCKETS;
    const name = timing ? SERIES.userTiming : SERIES.request;
    const labels = (canary: boolean) => (timing ? { ...side(canary), journey: 'b2c-browser', timing: check.metric.replace(/_p80$/, '') } : { ...side(canary), ...scopedRoute, status_class: '2xx' });
    // Control: steady, half way up the second bucket (what control_sigma and control_ratio compare with).
    const controlCounts = countsNear(q.q, edges, (edges[0]! + edges[1]!) / 2);
    histogramSeries(name, labels(false), edges, controlCounts, steady);
    const controlMs = bucketQuantile(q.q, edges, controlCounts, k) * 1000;
    // The baseline the trigger was compiled with: its value is `(canary) / <baseline>` (triggers.ts).
    const b = check.against === 'baseline_ratio' ? Number(/\) \/ ([0-9.e+-]+)$/.exec(t.value)?.[1]) : undefined;
    if (b !== undefined && !(b > 0)) throw new Error(`${t.profile}/${t.id}: no baseline number at the end of its value ${t.value.slice(-40)}`);
    // The canary's value (runbook units) from its quantile in seconds, as the rule's expression computes it.
    const valueOf = (seconds: number): number => {
      const ms = seconds * 1000;
      switch (check.against) {
        case 'absolute': return ms;
        case 'baseline_ratio': return ms / b!;
        case 'control_ratio': return ms / controlMs;
        case 'control_sigma': return Math.abs(ms - controlMs) / (0.01 * controlMs);
        case 'control_pp': return ms - controlMs;
      }
    };
    const targetMs = (value: number): number => {
      switch (check.against) {
        case 'absolute': return value;
        case 'baseline_ratio': return value * b!;
        case 'control_ratio': return value * controlMs;
        case 'control_sigma': return controlMs + value * 0.01 * controlMs;
        case 'control_pp': return controlMs + value;
      }
    };
    const stretches: Stretch[] = [];
    let noAt: string | undefined;
    for (const level of levels) {
      let counts: number[] | undefined;
      if (level === 'at') {
        const edge = edges.findIndex((e) => Math.abs(e * 1000 - targetMs(T)) < 1e-9);
        counts = edge > 0 ? countsAtEdge(q.q, edges, edge, k) : undefined;
        if (!counts || valueOf(bucketQuantile(q.q, edges, counts, k)) !== T) {
          noAt = `${targetMs(T)} ms is not a bucket edge Prometheus interpolates to exactly (edges ${edges.join(', ')} s)`;
          continue;
        }
      } else {
        // Just under (over): the nearest whole percent of a bucket below (above) the threshold.
        counts = countsNear(q.q, edges, targetMs(T) / 1000, level === 'under' ? 'below' : 'above');
      }
      const value = valueOf(bucketQuantile(q.q, edges, counts, k));
      if (!strictlyOn(level, value, T)) throw new Error(`${t.profile}/${t.id}: the ${level} inputs make ${value}, not ${level} ${T}`);
      const canary = new Map<string, number>();
      histogramSeries(name, labels(true), edges, counts, canary);
      stretches.push({ level, canary, value });
    }
    return { stretches, steady, gauges, noAt };
  }

  if (q.kind !== 'ratio') throw new Error(`${t.profile}/${t.id}: no promtool case for a ${q.kind} metric`);
  // A ratio: `n` calls or runs a sample, `bad` of them bad; control has none bad (control_pp, and
  // control_ratio with control at exactly 1%).
  const journeys = ['journey_success_ratio', 'payment_success_ratio', 'payment_failure_ratio', 'error_budget_spent'].includes(check.metric);
  const journey = check.scope?.journeys?.[0] ?? (check.metric.startsWith('payment') ? 'payments-checkout' : 'b2c-api');
  const scale = q.scale === undefined ? 1 : Number(q.scale.toPrecision(6));
  const controlBadPer100 = check.against === 'control_ratio' ? 1 : 0;
  const inputs = (canary: boolean, n: number, bad: number, out: Map<string, number>) => {
    const s = side(canary);
    if (journeys) {
      const runs = { ...s, journey, cohort: 'student' };
      out.set(`${SERIES.journeyRuns}${labelText({ ...runs, outcome: 'passed' })}`, n - bad);
      out.set(`${SERIES.journeyRuns}${labelText({ ...runs, outcome: 'failed' })}`, bad);
      return;
    }
    const request = { ...s, ...scopedRoute };
    const badClass = check.metric === 'error_5xx_ratio' ? '5xx' : '4xx';
    const schema = check.metric === 'schema_failure_ratio';
    out.set(`${SERIES.request}_count${labelText({ ...request, status_class: '2xx' })}`, schema ? n : n - bad);
    if (schema) out.set(`${SERIES.schemaFailures}${labelText({ ...request, journey: 'b2c-api', step: 'me' })}`, bad);
    else {
      out.set(`${SERIES.request}_count${labelText({ ...request, status_class: badClass })}`, bad);
      if (check.metric !== 'error_5xx_ratio') out.set(`${SERIES.requestFailures}${labelText({ ...request, status_class: badClass })}`, bad);
    }
  };
  inputs(false, 100, controlBadPer100, steady);
  // The value as the rule computes it: 100 * bad / all over the window (k samples), then the rest.
  const share = (n: number, bad: number) => (100 * (bad * k)) / (n * k);
  const control = share(100, controlBadPer100);
  const valueOf = (n: number, bad: number): number => {
    const own = q.invert ? 100 - share(n, bad) : share(n, bad);
    const scaled = q.scale === undefined ? own : own * scale;
    switch (check.against) {
      case 'absolute': return scaled;
      case 'control_pp': return scaled - control;
      case 'control_ratio': return scaled / control;
      default: throw new Error(`${t.profile}/${t.id}: no promtool case for a ratio against ${check.against}`);
    }
  };
  /** The canary's own share (percent of bad) that makes `value`. */
  const shareFor = (value: number): number => {
    const own = check.against === 'control_pp' ? value + control : check.against === 'control_ratio' ? value * control : value;
    const unscaled = own / scale;
    return q.invert ? 100 - unscaled : unscaled;
  };
  const stretches: Stretch[] = [];
  let noAt: string | undefined;
  for (const level of levels) {
    let pick: { n: number; bad: number } | undefined;
    if (level === 'at') {
      for (const n of [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]) {
        const bad = Math.round((shareFor(T) * n) / 100);
        if (bad >= 0 && bad <= n && valueOf(n, bad) === T) { pick = { n, bad }; break; }
      }
      if (!pick) { noAt = `no whole number of bad calls in up to 100000 makes exactly ${T}${scale === 1 ? '' : ` (the value is scaled by ${scale})`}`; continue; }
    } else {
      const n = 10_000;
      const wanted = shareFor(level === 'under' ? 0.9 * T : 1.1 * T);
      const bad = Math.min(n, Math.max(0, (level === 'under') !== Boolean(q.invert) ? Math.floor((wanted * n) / 100) : Math.ceil((wanted * n) / 100)));
      pick = { n, bad };
    }
    const value = valueOf(pick.n, pick.bad);
    if (!strictlyOn(level, value, T)) throw new Error(`${t.profile}/${t.id}: the ${level} inputs make ${value}, not ${level} ${T}`);
    const canary = new Map<string, number>();
    inputs(true, pick.n, pick.bad, canary);
    stretches.push({ level, canary, value });
  }
  return { stretches, steady, gauges, noAt };
}

/**
 * One case per trigger: the canary steady under its threshold, then at it, then over it, each
 * stretch long enough that the trigger's whole range and "for" minutes see only that level; the
 * recorded state is read at each stretch's end. Samples come once a bucket, so every range starts
 * on a sample and `increase` needs no extrapolation: the value is exactly the planned one. Each
 * stretch lasts a whole number of evaluation steps (`step` buckets), so its end is an evaluation.
 */
function holdingCase(runbook: Runbook, t: CompiledTrigger, step = 1) {
  const bucketMs = runbook.bucketMs;
  const plan = holdingPlan(runbook, t);
  // Each stretch is long enough that the whole range and "for" minutes at its end see only its
  // level. The first (under) may be shorter: its range then reaches back before the first sample,
  // which only scales every count of the window alike (no exactness is needed under the threshold).
  const full = Math.ceil((t.rangeMs + t.forMs) / bucketMs) + 2;
  const steps = (buckets: number) => Math.ceil(buckets / step) * step;
  const lengths = plan.stretches.map((s, i) => steps(i === 0 && s.level === 'under' ? Math.min(full, Math.ceil(t.forMs / bucketMs) + 3) : full));
  const ends = lengths.map((_, i) => lengths.slice(0, i + 1).reduce((a, b) => a + b, 0));
  const samples = ends.at(-1)!;
  const names = new Set([...plan.stretches.flatMap((s) => [...s.canary.keys()])]);
  const input_series = [...names].map((series) => {
    const values: number[] = [];
    let total = 0;
    for (let i = 0; i <= samples; i++) {
      const s = plan.stretches[Math.max(0, ends.findIndex((end) => Math.max(1, i) <= end))]!;
      const v = s.canary.get(series) ?? 0;
      if (plan.gauges.has(series)) values.push(i === 0 ? 0 : v);
      else values.push(i === 0 ? 0 : (total += v));
    }
    return { series, values: expand(values) };
  });
  for (const [series, v] of plan.steady) {
    input_series.push({ series, values: plan.gauges.has(series) ? `${v}+0x${samples}` : `0+${v}x${samples}` });
  }
  return {
    interval: promDuration(bucketMs),
    input_series,
    promql_expr_test: plan.stretches.map((s, i) => ({
      expr: holdingSelector(t),
      eval_time: promDuration(ends[i]! * bucketMs),
      exp_samples: [{ labels: sampleLabels(holdingLabels(t)), value: holdsAtLevel(t.check.op, s.level) ? 1 : 0 }],
    })),
    name: plan.noAt ? `${t.profile}/${t.id}: under and over only (${plan.noAt})` : `${t.profile}/${t.id}: under, at and over ${t.check.op} ${t.check.threshold}`,
  };
}

/** No data at all: every trigger's state is there, and 0. */
function noDataCase(runbook: Runbook, triggers: CompiledTrigger[], step = 1) {
  const at = Math.ceil(5 / step) * step;
  return {
    interval: promDuration(runbook.bucketMs),
    input_series: [{ series: `${SERIES.runnerUp}{target="canary",region="test"}`, values: `1+0x${at + 5}` }],
    promql_expr_test: [{
      expr: HOLDING_RECORD,
      eval_time: promDuration(at * runbook.bucketMs),
      exp_samples: triggers.map((t) => ({ labels: sampleLabels(holdingLabels(t)), value: 0 })),
    }],
    name: 'no data: every trigger state is 0, and there',
  };
}

/**
 * The longest evaluation step (in buckets) of the coarse test file. promtool evaluates every rule
 * of the file at every step over each case's whole span, so hours-long windows tested once a
 * bucket cost minutes of CPU; their cases need an evaluation only at the moments they check.
 */
const MAX_COARSE_STEP = 15;

/**
 * Whether a rule's value at an evaluation is the same whatever the evaluations before it: no
 * subquery without a step (promtool steps those at the file's `evaluation_interval`) and no
 * recorded series (those exist only at evaluations). String literals aside: a path may hold a colon.
 */
function stepFree(expr: string): boolean {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return !/\[[^\]]*:\s*\]/.test(bare) && !/(?<![\w.])[A-Za-z_]\w*:[\w:]*/.test(bare);
}

/** A duration as `promDuration` writes it, in ms. */
function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration promDuration writes: ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The `promtool test rules` files for `rules.yml` beside them. `tests`: every case that needs an
 * evaluation each bucket (alerts with `for:`, streaks, staleness); `coarse`: the cases that check
 * a value only at given moments (rolling windows without `for:`, the recorded trigger states),
 * evaluated every `step` buckets, with every moment they check an evaluation.
 */
export function ruleTests(runbook: Runbook, triggers: CompiledTrigger[], ruleFileName: string, rules: RuleFile) {
  const bucketMs = runbook.bucketMs;
  const alertRules = rules.groups.flatMap((g) => g.rules).filter((r) => typeof r.alert === 'string');
  const alerts = new Set(alertRules.map((r) => r.alert as string));
  const annotations: Annotations = (alert) => (alertRules.find((r) => r.alert === alert)?.annotations ?? {}) as Record<string, string>;
  // The coarse step: a whole number of buckets that divides every window tested coarsely (and
  // every bucket a whole number of milliseconds per sample, so each moment lands on a step exactly).
  const buckets = (t: CompiledTrigger) => t.rangeMs / bucketMs;
  const windowed = triggers.filter((t) => rollingWindow(t) && stepFree(t.condition) && Number.isInteger(buckets(t)));
  const whole = windowed.reduce((g, t) => gcd(g, buckets(t)), 0) || MAX_COARSE_STEP;
  const step = Number.isInteger(bucketMs / SAMPLES_PER_BUCKET) ? Math.max(...Array.from({ length: MAX_COARSE_STEP }, (_, i) => i + 1).filter((d) => whole % d === 0)) : 1;
  const coarseAlert = (t: CompiledTrigger) => windowed.includes(t) && buckets(t) % step === 0;
  const fine = [...triggers.filter((t) => !coarseAlert(t)).map((t) => triggerCase(t, bucketMs, annotations)), ...stalenessCases(runbook, annotations)];
  const coarse = triggers.filter(coarseAlert).map((t) => triggerCase(t, bucketMs, annotations, step));
  const covered = new Set([...fine, ...coarse].flatMap((c) => c.alert_rule_test.map((a) => a.alertname)));
  const missing = [...alerts].filter((a) => !covered.has(a));
  if (missing.length) throw new Error(`no promtool case for ${missing.join(', ')}`);
  // Every recorded trigger state: under, at (where the value can sit exactly on the threshold) and
  // over its threshold, and 0 for every trigger with no data at all. Recording rules have no
  // `for:` (it is folded into a subquery with its own step), so these are coarse when step-free.
  const coarseHolding = (t: CompiledTrigger) => stepFree(t.holds);
  const fineHolding = triggers.filter((t) => !coarseHolding(t)).map((t) => holdingCase(runbook, t));
  const coarseHoldings = triggers.filter(coarseHolding).map((t) => holdingCase(runbook, t, step));
  const noDataCoarse = triggers.every(coarseHolding);
  (noDataCoarse ? coarseHoldings : fineHolding).push(noDataCase(runbook, triggers, noDataCoarse ? step : 1));
  const holding = [...fineHolding, ...coarseHoldings];
  const recorded = rules.groups.flatMap((g) => g.rules).filter((r) => r.record === HOLDING_RECORD).map((r) => JSON.stringify(r.labels));
  const tested = new Set(holding.flatMap((c) => c.promql_expr_test.flatMap((e) => e.exp_samples.map((x) => x.labels))));
  const untested = triggers.filter((t) => !tested.has(sampleLabels(holdingLabels(t))) || !recorded.includes(JSON.stringify(holdingLabels(t))));
  if (untested.length) throw new Error(`no promtool case (or no recording rule) for the recorded state of ${untested.map((t) => `${t.profile}/${t.id}`).join(', ')}`);
  const coarseTests = [...coarse, ...coarseHoldings];
  // promtool compares a check with the last evaluation at or before it: each must be one.
  const moments = [...coarse.flatMap((c) => c.alert_rule_test), ...coarseHoldings.flatMap((c) => c.promql_expr_test)];
  const off = step === 1 ? [] : moments.filter((e) => durationMs(e.eval_time) % (step * bucketMs) !== 0);
  if (off.length) throw new Error(`coarse promtool cases checked between evaluations: ${off.map((e) => e.eval_time).join(', ')}`);
  const file = (interval: number, tests: unknown[]) => ({ rule_files: [ruleFileName], evaluation_interval: promDuration(interval), tests });
  return { tests: file(bucketMs, [...fine, ...fineHolding]), coarse: file(step * bucketMs, coarseTests) };
}
