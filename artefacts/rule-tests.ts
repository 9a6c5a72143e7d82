import { staleAfterMs } from '../gate/decide.ts';
import { PAYMENT_JOURNEYS, promDuration, SERIES } from '../gate/promql.ts';
import type { MetricName, Runbook } from '../gate/runbook-types.ts';
import { REQUEST_BUCKETS, USER_TIMING_BUCKETS } from '../reporters/metrics.ts';
import type { RuleFile } from './prometheus-rules.ts';
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

function triggerCase(t: CompiledTrigger, bucketMs: number, annotations: Annotations) {
  const B = SAMPLES_PER_BUCKET;
  const start = HEALTHY_BUCKETS * B;
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
  // A rolling window: firing once the window is all fault, and until the fault has left it.
  const w = Math.round(t.rangeMs / bucketMs) * B;
  const timeline = { bucketMs, faultFrom: start + 1, faultTo: start + w + B, samples: start + 2 * w + 3 * B };
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

/** The whole `promtool test rules` file for `rules.yml` beside it. */
export function ruleTests(runbook: Runbook, triggers: CompiledTrigger[], ruleFileName: string, rules: RuleFile) {
  const alertRules = rules.groups.flatMap((g) => g.rules).filter((r) => typeof r.alert === 'string');
  const alerts = new Set(alertRules.map((r) => r.alert as string));
  const annotations: Annotations = (alert) => (alertRules.find((r) => r.alert === alert)?.annotations ?? {}) as Record<string, string>;
  const cases = [...triggers.map((t) => triggerCase(t, runbook.bucketMs, annotations)), ...stalenessCases(runbook, annotations)];
  const covered = new Set(cases.flatMap((c) => c.alert_rule_test.map((a) => a.alertname)));
  const missing = [...alerts].filter((a) => !covered.has(a));
  if (missing.length) throw new Error(`no promtool case for ${missing.join(', ')}`);
  return { rule_files: [ruleFileName], evaluation_interval: promDuration(runbook.bucketMs), tests: cases };
}
