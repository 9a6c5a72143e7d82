/**
 * The ship-room Grafana dashboard of a canary, generated from the runbook: canary beside control
 * on the metrics the runner pushes (docs/metrics.md), with the profile's own thresholds drawn, so
 * a change to runbook/canary.yaml changes the lines the ship-room reads. A pure function of the
 * runbook, built with Grafana's own builders (@grafana/grafana-foundation-sdk).
 */
import { basename } from 'node:path';
import {
  DashboardBuilder, DashboardCursorSync, DatasourceVariableBuilder, MappingType, QueryVariableBuilder, RowBuilder,
  ThresholdsConfigBuilder, ThresholdsMode, VariableRefresh, VariableSort, type Threshold, type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BigValueColorMode, BigValueGraphMode, GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, LegendDisplayMode,
  LegendPlacement, ReduceDataOptionsBuilder, SortOrder, StackingConfigBuilder, StackingMode, TooltipDisplayMode,
  VizLegendOptionsBuilder, VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { staleAfterMs } from '../gate/decide.ts';
import { allCalls } from '../gate/promql.ts';
import type { Check, CheckScope, MetricName, Profile, Runbook } from '../gate/runbook-types.ts';
import { CRITICAL_ROUTES } from '../src/core/budgets.ts';
import { UserFacingError } from '../src/core/errors.ts';

// ---- PromQL over the pushed series ----

/** Every query goes to the data source the viewer picks in the `datasource` variable. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const RATE = '$__rate_interval';
const RUN_FILTERS = ['region=~"$region"', 'device=~"$device"'];
/** The runner's own gauges carry no device: region is their only filter. */
const RUNNER_FILTERS = ['region=~"$region"'];

const selector = (filters: string[], matchers: string[] = []) => `{${[...matchers, ...filters].join(',')}}`;
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The critical routes as matchers, one per method: a route is a (method, path) pair, and one
 * `method=~…,path=~…` would also match GET /api/saved, where only POST /api/saved is critical.
 */
function criticalRouteMatchers(): string[] {
  const pathsByMethod = new Map<string, string[]>();
  for (const route of CRITICAL_ROUTES) {
    const [method, path] = route.split(' ') as [string, string];
    pathsByMethod.set(method, [...(pathsByMethod.get(method) ?? []), path]);
  }
  return [...pathsByMethod].map(([method, paths]) => `method="${method}",path=~"${paths.map(regexEscape).join('|')}"`);
}

function criticalRouteQuantile(q: number, canary: boolean): string {
  const buckets = criticalRouteMatchers()
    .map((route) => `rate(synthetic_request_duration_seconds_bucket${selector(RUN_FILTERS, [`canary="${canary}"`, route])}[${RATE}])`)
    .join(' or ');
  return `histogram_quantile(${q}, sum by (le, canary, method, path) (${buckets}))`;
}

/**
 * Percent of `all` that is `part`, from both sides of the split: `part / all` has no series until
 * the first such event (a healthy target would read "no data"), `1 − rest / all` none while
 * everything is `part` (a build that only fails); `or` takes whichever exists. Both are real data.
 */
const percentOf = (part: string, rest: string, all: string) => `100 * (${part} / ${all} or (1 - ${rest} / ${all}))`;

/** Every call a client made (first attempts, retries, browser-timed): what the gate's 5xx ratio counts. */
const callsPerSecond = (matchers: string[]) => `sum by (canary) (${allCalls([...matchers, ...RUN_FILTERS], undefined, RATE, 'rate')})`;
const statusClassShare = (statusClass: string) =>
  percentOf(callsPerSecond([`status_class="${statusClass}"`]), callsPerSecond([`status_class!="${statusClass}"`]), callsPerSecond([]));

const journeyRuns = (outcomes: string) => `sum by (canary) (rate(synthetic_journey_runs_total${selector(RUN_FILTERS, [`outcome=~"${outcomes}"`])}[${RATE}]))`;

const userTimingP80 = (timing: string) =>
  `histogram_quantile(0.8, sum by (le, canary) (rate(synthetic_user_timing_seconds_bucket${selector(RUN_FILTERS, [`timing="${timing}"`])}[${RATE}])))`;

// ---- The runbook's checks: lines on a panel, words in its description ----

const GATE_COLOR = 'orange';
const ROLLBACK_COLOR = 'red';
const colorOf = (check: Check) => (check.kind === 'trigger' ? ROLLBACK_COLOR : GATE_COLOR);

/** How a metric's runbook value reads, and how it becomes the panel's unit (ms in the runbook, seconds in the metrics). */
const UNITS: Partial<Record<MetricName, { word: string; toPanel: (v: number) => number }>> = {
  latency_p95: { word: ' ms', toPanel: (ms) => ms / 1000 },
  latency_p99: { word: ' ms', toPanel: (ms) => ms / 1000 },
  time_to_value_p80: { word: ' ms', toPanel: (ms) => ms / 1000 },
  time_to_first_interaction_p80: { word: ' ms', toPanel: (ms) => ms / 1000 },
  error_5xx_ratio: { word: '%', toPanel: (pct) => pct },
  client_error_ratio: { word: '%', toPanel: (pct) => pct },
  schema_failure_ratio: { word: '%', toPanel: (pct) => pct },
  journey_success_ratio: { word: '%', toPanel: (pct) => pct },
  consecutive_failed_checks: { word: ' runs', toPanel: (n) => n },
  consecutive_payment_failures: { word: ' runs', toPanel: (n) => n },
};

/** Which checks a panel can draw: their metrics, over the population the panel shows. */
interface Drawn {
  metrics: MetricName[];
  scope?: CheckScope;
}

/**
 * Only an absolute threshold is a fixed line (the others move with control or the baseline), and
 * only on a panel of the same population: a P95 line of one route says nothing about another.
 */
const isDrawn = (check: Check, drawn: Drawn) => drawn.metrics.includes(check.metric) && check.against === 'absolute'
  && UNITS[check.metric] !== undefined && JSON.stringify(check.scope ?? {}) === JSON.stringify(drawn.scope ?? {});

/** One step per drawn check, in the panel's unit; where a gate and a trigger share a value, the trigger's red wins. */
function thresholdSteps(profile: Profile, drawn: Drawn): Threshold[] {
  const colorByValue = new Map<number, string>();
  for (const check of profile.checks.filter((c) => isDrawn(c, drawn))) {
    const value = UNITS[check.metric]!.toPanel(check.threshold);
    if (colorByValue.get(value) !== ROLLBACK_COLOR) colorByValue.set(value, colorOf(check));
  }
  // Grafana needs a base step (value null); it draws no line.
  return [{ value: null, color: 'green' }, ...[...colorByValue].sort(([a], [b]) => a - b).map(([value, color]) => ({ value, color }))];
}

/** What a check holds, as the ship-room reads it: `> 160 ms for 5 min`, `canary / baseline <= 1.05`. */
function condition(check: Check): string {
  const unit = UNITS[check.metric]?.word ?? '';
  const held = {
    absolute: `${check.op} ${check.threshold}${unit}`,
    control_pp: `canary − control ${check.op} ${check.threshold} pp`,
    control_ratio: `canary / control ${check.op} ${check.threshold}`,
    baseline_ratio: `canary / baseline ${check.op} ${check.threshold}`,
    control_sigma: `|canary − control| / control σ ${check.op} ${check.threshold}`,
  }[check.against];
  const lasting = check.for ? ('minutes' in check.for ? ` for ${check.for.minutes} min` : ` on ${check.for.checks} checks`) : '';
  const phases = check.phases ? `, phase ${check.phases.map((p) => `${p}%`).join(', ')} only` : '';
  return `${held}${lasting}${phases}`;
}

/** What the panel shows, then every check of the profile on `related` metrics, and whether it is drawn here. */
function description(meaning: string, profile: Profile, related: MetricName[], drawn: Drawn = { metrics: [] }): string {
  const checks = profile.checks.filter((c) => related.includes(c.metric));
  if (checks.length === 0) return `${meaning}\n\nNo check of the runbook's "${profile.name}" profile reads this.`;
  const lines = checks.map((c) => {
    const kind = c.kind === 'trigger' ? 'rollback trigger' : 'go gate';
    const where = isDrawn(c, drawn) ? `the ${colorOf(c)} line`
      : c.against === 'absolute' ? 'not a line on this panel' : 'not drawn: it moves with control or the baseline';
    return `- **${c.name}** (${kind}, ${condition(c)}; ${where}): ${c.summary}`;
  });
  return `${meaning}\n\nRunbook checks ("${profile.name}" profile):\n${lines.join('\n')}`;
}

// ---- Panels ----

type Panel = TimeseriesPanel | StatPanel | TablePanel;

const query = (expr: string, legend: string) => new DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).refId('A').range();

/** A time series with its runbook lines dashed; the soft max keeps the highest line in view on a quiet day. */
function timeseries(title: string, unit: string, steps: Threshold[], text: string): TimeseriesPanel {
  const lines = steps.flatMap((s) => (s.value === null ? [] : [s.value]));
  const panel = new TimeseriesPanel().title(title).description(text).datasource(DATASOURCE).unit(unit).axisSoftMin(0)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom).calcs(['lastNotNull', 'max']))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(lines.length ? GraphThresholdsStyleMode.Dashed : GraphThresholdsStyleMode.Off));
  return lines.length ? panel.axisSoftMax(Number((Math.max(...lines) * 1.1).toPrecision(3))) : panel;
}

function runnerPanels(runbook: Runbook): Panel[] {
  // The gate's own staleness rule, which the staleness alert also uses.
  const staleSeconds = staleAfterMs(runbook) / 1000;
  return [
    timeseries('Last cycle age per runner', 's', [{ value: null, color: 'green' }, { value: staleSeconds, color: ROLLBACK_COLOR }],
      `Seconds since each runner's last cycle against each target, by region. Over 2.5 cadences of the runbook's monitor (${staleSeconds} s, the red line; the gate's staleness rule and the SyntheticRunnerStale alert) the runner is stale and every other panel of that target is out of date: the gate reads a stale, stopped or absent target as "no data" (hold), never as "passing".`)
      .withTarget(query(`time() - max by (runner, target, region) (synthetic_last_cycle_timestamp_seconds${selector(RUNNER_FILTERS)})`, '{{runner}} · {{target}} · {{region}}'))
      .span(24).height(6),
  ];
}

const QUANTILES: Array<{ q: number; name: string; metric?: MetricName }> = [
  { q: 0.5, name: 'P50' },
  { q: 0.95, name: 'P95', metric: 'latency_p95' },
  { q: 0.99, name: 'P99', metric: 'latency_p99' },
];

function latencyPanels(profile: Profile): Panel[] {
  return QUANTILES.flatMap(({ q, name, metric }) => {
    const drawn: Drawn = { metrics: metric ? [metric] : [], scope: { routes: 'critical' } };
    return [true, false].map((canary) => {
      const [side, other] = canary ? ['canary', 'control'] : ['control', 'canary'];
      const meaning = `${name} latency of the API journeys' first-attempt calls to each critical route (${[...CRITICAL_ROUTES].join(', ')}) on the ${side}; the ${other} is beside it, with the same lines. Server latency, as the gate reads it.`;
      return timeseries(`${name} ${side}, critical routes`, 's', thresholdSteps(profile, drawn), description(meaning, profile, drawn.metrics, drawn))
        .withTarget(query(criticalRouteQuantile(q, canary), '{{method}} {{path}}'))
        .span(12).height(8);
    });
  });
}

function errorPanels(profile: Profile): Panel[] {
  const fiveXx: Drawn = { metrics: ['error_5xx_ratio'] };
  return [
    timeseries('Calls by status class', 'reqps', thresholdSteps(profile, { metrics: [] }),
      description('Calls per second by status class (2xx…5xx; `none`: no response came back), canary and control: every call a client made (first attempts, retries, browser-timed).', profile, ['error_5xx_ratio']))
      .withTarget(query(`sum by (canary, status_class) (${allCalls(RUN_FILTERS, undefined, RATE, 'rate')})`, 'canary={{canary}} {{status_class}}'))
      .span(8).height(8),
    timeseries('5xx share of calls, canary vs control', 'percent', thresholdSteps(profile, fiveXx),
      description('Percent of all calls answered 5xx, canary beside control: a share both sides show is a shared dependency, one only the canary shows is the build.', profile, fiveXx.metrics, fiveXx))
      .withTarget(query(statusClassShare('5xx'), 'canary={{canary}}'))
      .span(8).height(8),
    timeseries('No-answer share of calls, canary vs control', 'percent', thresholdSteps(profile, { metrics: [] }),
      description('Percent of all calls that got no response (status class `none`: refused, reset, timed out), canary beside control. Part of what a client sees fail; the client-error checks also count statuses a journey did not expect, which only the results store knows.', profile, ['client_error_ratio']))
      .withTarget(query(statusClassShare('none'), 'canary={{canary}}'))
      .span(8).height(8),
  ];
}

const PASSED_OR_FAILED: ValueMapping[] = [{
  type: MappingType.ValueToText,
  options: { 0: { text: 'failed', color: ROLLBACK_COLOR, index: 0 }, 1: { text: 'passed', color: 'green', index: 1 } },
}];

function journeyPanels(profile: Profile): Panel[] {
  const success: Drawn = { metrics: ['journey_success_ratio'] };
  const consecutive: Drawn = { metrics: ['consecutive_failed_checks'] };
  return [
    new StatPanel().title('Journey success, last cycle').datasource(DATASOURCE)
      .description(description('Each journey × target × device: passed (first time or on retry) or failed in its last cycle; the worst region when several are selected. An aborted run leaves no verdict.', profile, ['journey_success_ratio', 'consecutive_failed_checks']))
      .withTarget(query(`min by (journey, target, device) (synthetic_journey_success${selector(RUN_FILTERS)})`, '{{journey}} · {{target}} · {{device}}'))
      .mappings(PASSED_OR_FAILED)
      .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null, color: ROLLBACK_COLOR }, { value: 1, color: 'green' }]))
      .colorMode(BigValueColorMode.Background).graphMode(BigValueGraphMode.None)
      .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .span(24).height(8),
    timeseries('Journey success ratio, canary vs control', 'percent', thresholdSteps(profile, success),
      description('Percent of journey runs that passed (first time or on retry), aborted runs left out, canary beside control.', profile, success.metrics, success))
      .withTarget(query(percentOf(journeyRuns('passed|flaky'), journeyRuns('failed'), journeyRuns('passed|flaky|failed')), 'canary={{canary}}'))
      .span(12).height(8),
    timeseries('Journey runs by outcome', 'opm', thresholdSteps(profile, { metrics: [] }),
      description('Journey runs per minute by outcome: passed, flaky (passed on retry), failed, aborted (no verdict: a stop, the cycle deadline or the runner\'s own fault).', profile, []))
      .withTarget(query(`60 * sum by (target, outcome) (rate(synthetic_journey_runs_total${selector(RUN_FILTERS)}[${RATE}]))`, '{{target}} {{outcome}}'))
      .stacking(new StackingConfigBuilder().mode(StackingMode.Normal))
      .span(12).height(8),
    timeseries('Consecutive failed checks', 'none', thresholdSteps(profile, consecutive),
      description('Consecutive failed cycles of each journey × target × device (0 after a pass); the worst region when several are selected.', profile, ['consecutive_failed_checks', 'consecutive_payment_failures'], consecutive))
      .withTarget(query(`max by (journey, target, device) (synthetic_consecutive_failures${selector(RUN_FILTERS)})`, '{{journey}} · {{target}} · {{device}}'))
      .decimals(0)
      .span(12).height(8),
    new TablePanel().title('Schema failures by route').datasource(DATASOURCE)
      .description(description('Responses that broke their JSON Schema over the dashboard\'s time range, by target, journey and route: which contract drifted, and where. Empty while nothing has broken.', profile, ['schema_failure_ratio']))
      .withTarget(query(`sum by (target, journey, method, path) (increase(synthetic_schema_failures_total${selector(RUN_FILTERS)}[$__range]))`, '').instant().format(PromQueryFormat.Table))
      .span(12).height(8),
  ];
}

function userTimingPanels(profile: Profile): Panel[] {
  const panel = (title: string, timing: string, metric: MetricName, meaning: string) =>
    timeseries(title, 's', thresholdSteps(profile, { metrics: [metric] }), description(meaning, profile, [metric], { metrics: [metric] }))
      .withTarget(query(userTimingP80(timing), 'canary={{canary}}'))
      .span(12).height(8);
  return [
    panel('Time to value P80, canary vs control', 'time_to_value', 'time_to_value_p80',
      'P80 of what a student waits (b2c-browser: the landing page\'s navigation start → the first frame showing the first search result), from the page\'s own clock, canary beside control.'),
    panel('Time to first interaction P80, canary vs control', 'time_to_first_interaction', 'time_to_first_interaction_p80',
      'P80 of what a provider waits (provider-browser: the dashboard\'s navigation start → its first tile visible and enabled), from the page\'s own clock, canary beside control.'),
  ];
}

// ---- The dashboard ----

const regionOrDevice = (name: string, label: string, labelValues: string) => new QueryVariableBuilder(name).label(label).datasource(DATASOURCE)
  .query(labelValues).definition(labelValues).refresh(VariableRefresh.OnTimeRangeChanged).sort(VariableSort.AlphabeticalAsc)
  .multi(true).includeAll(true).allValue('.*').current({ text: ['All'], value: ['$__all'] });

/** The dashboard for `profileName` of the runbook: the JSON Grafana imports. */
export function dashboardJson(runbook: Runbook, profileName: string): Record<string, unknown> {
  const profile = runbook.profiles[profileName];
  if (!profile) throw new UserFacingError(`runbook ${runbook.source}: no profile "${profileName}" (profiles: ${Object.keys(runbook.profiles).join(', ')})`);

  const builder = new DashboardBuilder(`Canary ship room (${profileName} profile)`)
    .uid(`canary-ship-room-${profileName}`.slice(0, 40))
    .description(`Canary vs control from the synthetic runners, with the thresholds of the "${profileName}" profile of ${basename(runbook.source)}. Generated from the runbook: change the runbook, not this dashboard.`)
    .tags(['synthetics', 'canary', `profile-${profileName}`])
    .time({ from: 'now-3h', to: 'now' }).refresh('30s').timezone('browser').readonly()
    // Canary and control sit in panels side by side: one crosshair across them.
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(regionOrDevice('region', 'Region', 'label_values(synthetic_last_cycle_timestamp_seconds, region)'))
    .withVariable(regionOrDevice('device', 'Device', 'label_values(synthetic_journey_success{region=~"$region"}, device)'));

  // Freshness first: a stale runner makes every panel below it out of date.
  const sections: Array<[string, Panel[]]> = [
    ['Runners', runnerPanels(runbook)],
    ['Latency on the critical routes (API, first attempts)', latencyPanels(profile)],
    ['Errors', errorPanels(profile)],
    ['Journeys', journeyPanels(profile)],
    ['User timings (browser journeys)', userTimingPanels(profile)],
  ];
  let id = 0;
  for (const [title, panels] of sections) {
    builder.withRow(new RowBuilder(title).id(++id));
    for (const panel of panels) builder.withPanel(panel.id(++id));
  }
  // The SDK gives each query a marker method (`_implementsDataqueryVariant`): the JSON copy is
  // the plain data Grafana imports, and what a caller can compare or write out as is.
  return JSON.parse(JSON.stringify(builder.build())) as Record<string, unknown>;
}
