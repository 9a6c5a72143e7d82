import { basename } from 'node:path';
import { staleAfterMs } from '../gate/decide.ts';
import { metricQuery, promDuration, SERIES, valueExpr } from '../gate/promql.ts';
import type { Runbook } from '../gate/runbook-types.ts';
import { rateWindowMs, type CompiledTrigger } from './triggers.ts';

/** A Prometheus rule file (`groups:`), as promtool and Prometheus read it. */
export interface RuleFile {
  groups: Array<{ name: string; interval: string; rules: Array<Record<string, unknown>> }>;
}

/** Where an alert's readers look: the shipped Markdown runbook and the gate's own verdict. */
export interface AlertLinks {
  /** The Markdown runbook's file name beside the rules (`runbook.md`). */
  runbookDoc: string;
}

const QUANTILES = [0.5, 0.95, 0.99] as const;
const RATIOS = ['error_5xx_ratio', 'client_error_ratio', 'schema_failure_ratio', 'journey_success_ratio', 'payment_failure_ratio'] as const;

/** `synthetic:error_5xx:percent` from `error_5xx_ratio`. */
export const ratioRecord = (metric: string) => `synthetic:${metric.replace(/_ratio$/, '')}:percent`;
export const routeLatencyRecord = (q: number) => `synthetic:critical_route_latency_ms:p${Math.round(q * 100)}`;
export const criticalLatencyRecord = (q: number) => `synthetic:critical_latency_ms:p${Math.round(q * 100)}`;

/**
 * What people graph and read: P50/P95/P99 per critical route and canary/control (and pooled over
 * the critical routes, what the latency triggers judge), and the ratios, each over two buckets
 * (`rateWindowMs`: one always holds the last push).
 */
function recordingRules(runbook: Runbook, sloPercent: number): Array<Record<string, unknown>> {
  const ctx = { matchers: [] as string[], range: promDuration(rateWindowMs(runbook)), sloPercent, windowMs: rateWindowMs(runbook) };
  const latency = metricQuery('latency_p95', { routes: 'critical' }, ctx)!;
  if (latency.kind !== 'quantile') throw new Error('latency is a histogram quantile');
  const rules: Array<Record<string, unknown>> = [];
  for (const q of QUANTILES) {
    rules.push({ record: routeLatencyRecord(q), expr: valueExpr({ ...latency, q }, ['canary', 'region', 'method', 'path']) });
    rules.push({ record: criticalLatencyRecord(q), expr: valueExpr({ ...latency, q }, ['canary']) });
  }
  for (const metric of RATIOS) {
    const scope = metric === 'schema_failure_ratio' ? { routes: 'critical' as const } : undefined;
    rules.push({ record: ratioRecord(metric), expr: valueExpr(metricQuery(metric, scope, ctx)!, ['canary']) });
  }
  return rules;
}

function triggerRule(t: CompiledTrigger, runbook: Runbook, links: AlertLinks): Record<string, unknown> {
  const labelsText = t.by.map((l) => `{{ $labels.${l} }}`).join('/');
  return {
    alert: t.alert,
    expr: t.condition,
    ...(t.forMs > 0 ? { for: promDuration(t.forMs) } : {}),
    labels: { severity: 'critical', phase: t.phase, trigger: t.check.name, canary: 'true', profile: t.profile, source: 'synthetics' },
    annotations: {
      // No {{ $value }}: a summary must read the same for the whole time an alert fires (chat
      // threads group on it); the value is on the dashboard and in the gate's verdict.
      summary: `Rollback trigger ${t.check.name} (${t.profile}, phase ${t.phase}): ${t.thresholdText}${labelsText ? ` on ${labelsText}` : ''}.`,
      description: t.check.summary,
      runbook_section: `${links.runbookDoc}#${anchor(t.check.section ?? 'Rollback triggers')} (from ${basename(runbook.source)})`,
      look_at: `synthetics gate --phase <current phase> --profile ${t.profile} --json: the evidence (synthetic ids, trace ids) to look up in the app's logs; the ship-room dashboard's canary-vs-control panels.`,
    },
  };
}

/** The recorded series every trigger's state is kept in: 1 while it holds, 0 otherwise (no data included). */
export const HOLDING_RECORD = 'synthetic_canary:trigger_holding';

/** The labels that tell one trigger's series from another's: the alert's own `profile`, `trigger` and `phase`. */
export const holdingLabels = (t: CompiledTrigger) => ({ profile: t.profile, trigger: t.check.name, phase: t.phase });

/** `synthetic_canary:trigger_holding{profile="default",trigger="p95-high",phase="all"}`: one trigger's recorded state. */
export const holdingSelector = (t: CompiledTrigger) => `${HOLDING_RECORD}{${Object.entries(holdingLabels(t)).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

/**
 * Each trigger's state, recorded once a bucket, for the rollout tools: 1 while it holds (its "for N
 * consecutive minutes" folded in), 0 when not and 0 with no runner data, so the series is always
 * there while the rule is loaded. Flagger and Argo Rollouts then read one short series instead of
 * sending the 2-12 KB condition themselves (Flagger's query is a GET URL with a fixed 5 s timeout:
 * fluxcd/flagger pkg/metrics/providers/prometheus.go `RunQuery`), and the rule's absence reads as
 * no data, an error in both tools, never as a quiet 0.
 */
function holdingRules(triggers: CompiledTrigger[]): Array<Record<string, unknown>> {
  return triggers.map((t) => ({ record: HOLDING_RECORD, expr: `max(${t.holds}) or on() vector(0)`, labels: holdingLabels(t) }));
}

/** A Markdown heading's anchor, as GitHub makes it. */
export const anchor = (heading: string) => heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').trim().replace(/ /g, '-');

/**
 * No data is never a pass: a runner that stopped (its group deleted: STOPPED_GROUP=delete), hung,
 * or whose cron stopped, and a target nobody watches. Each matches how runners stop
 * (docs/metrics.md) and fires after the gate's own staleness rule.
 */
function stalenessRules(runbook: Runbook, links: AlertLinks): Array<Record<string, unknown>> {
  const stale = staleAfterMs(runbook);
  const labels = (what: string) => ({ severity: 'warning', phase: 'all', trigger: what, source: 'synthetics' });
  const look = `${links.runbookDoc}#${anchor('Staleness and absence')}`;
  const absent = (canary: boolean) => ({
    alert: canary ? 'SyntheticCanaryTargetAbsent' : 'SyntheticControlTargetAbsent',
    expr: `absent(${SERIES.lastCycle}{canary="${canary}"})`,
    for: promDuration(stale),
    labels: { ...labels('target-absent'), canary: String(canary) },
    annotations: {
      summary: `No runner reports the ${canary ? 'canary' : 'control'}: the gate holds (no data is never a pass).`,
      description: 'Its runner stopped and deleted its group (STOPPED_GROUP=delete), or never started. Restart it (same RUNNER_ID) or check its logs.',
      runbook_section: look,
    },
  });
  return [
    {
      alert: 'SyntheticRunnerStale',
      expr: `time() - max by (target, canary, region) (${SERIES.lastCycle}) > ${stale / 1000}`,
      labels: labels('runner-stale'),
      annotations: {
        summary: `No cycle from {{ $labels.region }}/{{ $labels.target }} for over ${promDuration(stale)}: its data is stale and the gate holds.`,
        description: `A runner cycles every ${promDuration(runbook.monitor.cadenceMs * runbook.timeScale)}; stale after ${promDuration(stale)} (the gate's rule): a crash, a hang, or a cron that stopped running.`,
        runbook_section: look,
      },
    },
    absent(true),
    absent(false),
    {
      alert: 'SyntheticRunnerStopped',
      expr: `${SERIES.runnerUp} == 0`,
      for: promDuration(stale),
      labels: labels('runner-stopped'),
      annotations: {
        summary: 'Runner for {{ $labels.region }}/{{ $labels.target }} stopped cleanly and was not restarted.',
        description: 'Only with STOPPED_GROUP=mark: the group stays until the runner is back or it is deleted by hand.',
        runbook_section: look,
      },
    },
  ];
}

/** The rule file: recording rules, the triggers of each profile (as alerts, and as recorded 0/1 states), and staleness. */
export function prometheusRules(runbook: Runbook, triggers: CompiledTrigger[], links: AlertLinks): RuleFile {
  const interval = promDuration(runbook.bucketMs);
  const profiles = [...new Set(triggers.map((t) => t.profile))];
  const slo = runbook.profiles[profiles[0] ?? 'default']?.sloPercent ?? 99.9;
  return {
    groups: [
      { name: 'synthetic-canary-recording', interval, rules: recordingRules(runbook, slo) },
      ...profiles.map((p) => ({ name: `synthetic-canary-triggers-${p}`, interval, rules: triggers.filter((t) => t.profile === p).map((t) => triggerRule(t, runbook, links)) })),
      ...profiles.map((p) => ({ name: `synthetic-canary-holding-${p}`, interval, rules: holdingRules(triggers.filter((t) => t.profile === p)) })),
      { name: 'synthetic-canary-staleness', interval, rules: stalenessRules(runbook, links) },
    ],
  };
}
