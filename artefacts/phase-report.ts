import type { CheckVerdict, GateResult, Offender } from '../gate/decision-types.ts';
import { fmtDuration } from '../gate/evaluate.ts';
import { phaseStartText } from '../gate/phase-start.ts';
import type { Check, MetricName, Op, PaymentCaps, Runbook } from '../gate/runbook-types.ts';
import { chartFigure, esc, htmlPage, type ChartSpec } from './html/page.ts';
import type { RouteComparison } from './route-latency.ts';

/**
 * The phase summary the ship-room reads at a gate: one document model rendered twice, as
 * Markdown for the chat channel and as a self-contained HTML page with charts, so both always say
 * the same. Pure: everything comes in through the input (no files, no clock), so the live page
 * renders the very same Markdown from the same GateResult.
 */
export interface PhaseReportInput {
  result: GateResult;
  runbook: Runbook;
  /** Per critical route, canary against control over the gate's window; or why there is none. */
  routes?: RouteComparison[] | { unavailable: string };
}

export type CheckStatus = 'ok' | 'FAIL' | 'FIRED' | 'HOLD';

/** What a check says, as a word: a status is never colour alone. */
export const checkStatus = (c: Pick<CheckVerdict, 'ok' | 'kind'>): CheckStatus =>
  c.ok === undefined ? 'HOLD' : c.ok ? 'ok' : c.kind === 'trigger' ? 'FIRED' : 'FAIL';

type Unit = 'ms' | '%' | 'count';
// A Record, so a metric added to the catalogue does not compile until it has a unit here.
const UNIT: Record<MetricName, Unit> = {
  latency_p95: 'ms', latency_p99: 'ms', time_to_value_p80: 'ms', time_to_first_interaction_p80: 'ms',
  error_5xx_ratio: '%', client_error_ratio: '%', non_user_4xx_ratio: '%', auth_error_ratio: '%', schema_failure_ratio: '%',
  journey_success_ratio: '%', payment_failure_ratio: '%', payment_success_ratio: '%', error_budget_spent: '%',
  consecutive_failed_checks: 'count', consecutive_payment_failures: 'count',
};
const UNIT_TITLE: Record<Unit, string> = { ms: 'milliseconds', '%': 'percent', count: 'count' };
const OP: Record<Op, string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥' };
const PAYMENT_METRICS = new Set<MetricName>(['payment_success_ratio', 'payment_failure_ratio', 'consecutive_payment_failures']);
const FUNNEL_METRICS = new Set<MetricName>(['time_to_value_p80']);

const round = (n: number) => String(+n.toFixed(Math.abs(n) >= 100 ? 0 : 2));
function value(n: number | null | undefined, unit: Unit): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return unit === 'ms' ? `${round(n)} ms` : unit === '%' ? `${round(n)}%` : String(n);
}
const signed = (n: number) => `${n > 0 ? '+' : n < 0 ? '−' : ''}${round(Math.abs(n))}`;

/** What the check holds the canary to, in the words of its comparison. */
function limitText(c: CheckVerdict): string {
  const op = OP[c.op];
  const unit = UNIT[c.metric as MetricName];
  switch (c.against) {
    case 'absolute': return `${op} ${value(c.threshold, unit)}`;
    case 'control_pp': return `${op} ${signed(c.threshold)} pp vs control`;
    case 'control_ratio': return `${op} ${c.threshold}× control`;
    case 'baseline_ratio': return `${op} ${c.threshold}× baseline${c.observed.baseline == null ? '' : ` (${value(c.observed.baseline, unit)})`}`;
    case 'control_sigma': return `${op} ${c.threshold}σ from control`;
  }
}

/** The threshold in the metric's own unit, where one value can say it (drawn as the chart's limit). */
function limitValue(c: CheckVerdict): number | null {
  const { control, baseline } = c.observed;
  switch (c.against) {
    case 'absolute': return c.threshold;
    case 'control_pp': return control === null ? null : control + c.threshold;
    case 'control_ratio': return control === null ? null : control * c.threshold;
    case 'baseline_ratio': return baseline == null ? null : baseline * c.threshold;
    case 'control_sigma': return null; // per one-minute bucket against control's spread: no single line
  }
}

function heldText(c: CheckVerdict, check: Check | undefined): string {
  if (c.heldFor === undefined) return '—';
  return check?.for && 'minutes' in check.for ? `${c.heldFor} min (${check.for.minutes} needed)` : `${c.heldFor} in a row`;
}

function statsText(c: CheckVerdict): string {
  if (!c.statistics?.length) return '—';
  return c.statistics.map((s) => `${s.test === 'mann-whitney-u' ? 'Mann–Whitney' : 'Wilcoxon'} p ${s.p < 0.001 ? '< 0.001' : s.p.toFixed(3)}, ${signed(s.effectMs)} ms, ${s.significant ? 'significant' : 'not significant'}`).join('; ');
}

function capsText(percent: number, caps: PaymentCaps | undefined): string {
  if (!caps) return `no payment caps in the runbook for ${percent}%`;
  if (caps.normal) return `normal payment volume at ${percent}%`;
  const parts = [
    caps.maxTransactions !== undefined ? `at most ${caps.maxTransactions} real transactions` : '',
    caps.maxAmountUsd !== undefined ? `$${caps.maxAmountUsd.toLocaleString('en-US')} each` : '',
    caps.totalUsd !== undefined ? `$${caps.totalUsd.toLocaleString('en-US')} in total` : '',
  ].filter(Boolean);
  return `caps at ${percent}%: ${parts.join(', ')}`;
}

function recommendation(r: GateResult, next: number | undefined): string {
  switch (r.decision) {
    case 'go': return next ? `GO: advance the canary from ${r.phase}% to ${next}%.` : `GO: the canary may keep all traffic; the rollout is complete.`;
    case 'hold': return `HOLD: keep the canary at ${r.phase}% and do not advance yet.`;
    case 'rollback': return 'ROLLBACK: set the canary weight to 0 now and follow the rollback steps below.';
  }
}

// ---------------------------------------------------------------------------------------------
// The document: blocks both renderers walk.

interface Table {
  head: string[];
  rows: string[][];
  /** A column only the page has room for (the chat stays narrow). */
  wide?: { head: string; cells: string[] };
  /** Columns of free text that may wrap on the page (the last one always may). */
  wraps?: number[];
}
type Block = { h: string; note?: string } | { p: string } | { table: Table } | { list: string[] } | { charts: ChartSpec[]; title?: string; heightPx?: number } | { progress: [number, number] };

const CANARY = '#e8590c';
const CONTROL = '#1c7ed6';
const LIMIT = '#1b1f24';

function kpiTable(checks: CheckVerdict[]): Table {
  return {
    head: ['KPI', 'status', 'canary', 'control', 'target'],
    rows: checks.map((c) => [c.name, checkStatus(c), value(c.observed.canary, UNIT[c.metric as MetricName]), value(c.observed.control, UNIT[c.metric as MetricName]), c.kind === 'trigger' ? `rolls back if ${limitText(c)}` : limitText(c)]),
    wide: { head: 'why', cells: checks.map((c) => c.reason) },
  };
}

function checksTable(checks: CheckVerdict[], kind: 'gate' | 'trigger', checkOf: (name: string) => Check | undefined): Table {
  const withStats = checks.some((c) => c.statistics?.length);
  const head = [kind, 'status', 'canary', 'control', kind === 'gate' ? 'must be' : 'fires when', ...(kind === 'trigger' ? ['held'] : []), 'samples', ...(withStats ? ['statistics'] : [])];
  const rows = checks.map((c) => {
    const unit = UNIT[c.metric as MetricName];
    return [
      c.name, checkStatus(c), value(c.observed.canary, unit), value(c.observed.control, unit), limitText(c),
      ...(kind === 'trigger' ? [heldText(c, checkOf(c.name))] : []), `${c.samples.canary}/${c.samples.control}`,
      ...(withStats ? [statsText(c)] : []),
    ];
  });
  return { head, rows, wide: { head: 'why', cells: checks.map((c) => c.reason) }, wraps: withStats ? [head.length - 1] : [] };
}

/** Grouped bars per check, canary and control, with the limit as a dash per check: one chart per unit. */
function checkCharts(checks: CheckVerdict[]): ChartSpec[] {
  const units: Unit[] = ['ms', '%', 'count'];
  return units.flatMap((unit) => {
    const of = checks.filter((c) => UNIT[c.metric as MetricName] === unit);
    if (!of.length) return [];
    return [{
      id: `checks-${unit === '%' ? 'percent' : unit}`,
      title: `Checks in ${UNIT_TITLE[unit]}: canary vs control`,
      caption: 'Bars: what canary and control measured over the window (a sliver: zero; nothing: no data). Dash: the limit the canary is held to, with the comparison applied. Each label carries the check\'s status.',
      config: {
        type: 'bar',
        data: {
          labels: of.map((c) => [c.name, checkStatus(c)]),
          datasets: [
            { label: 'canary', data: of.map((c) => c.observed.canary), backgroundColor: CANARY, minBarLength: 2 },
            { label: 'control', data: of.map((c) => c.observed.control), backgroundColor: CONTROL, minBarLength: 2 },
            { type: 'line', label: 'limit', data: of.map(limitValue), showLine: false, pointStyle: 'line', pointRadius: 16, pointHoverRadius: 18, pointBorderWidth: 3, borderColor: LIMIT, backgroundColor: LIMIT, clip: false, order: -1 },
          ],
        },
        options: {
          scales: { x: { ticks: { autoSkip: false, maxRotation: 60 } }, y: { beginAtZero: true, grace: '10%', title: { display: true, text: UNIT_TITLE[unit] } } },
          plugins: { legend: { labels: { usePointStyle: true } } },
        },
      },
    }];
  });
}

/** Horizontal grouped bars per critical route, canary and control: one chart per percentile. */
function routeCharts(routes: RouteComparison[]): ChartSpec[] {
  return (['p50', 'p95', 'p99'] as const).map((p) => ({
    id: `routes-${p}`,
    title: `${p.toUpperCase()} per critical route (ms): canary vs control`,
    config: {
      type: 'bar',
      data: {
        labels: routes.map((r) => r.route),
        datasets: [
          { label: 'canary', data: routes.map((r) => r.canary[p]), backgroundColor: CANARY, minBarLength: 2 },
          { label: 'control', data: routes.map((r) => r.control[p]), backgroundColor: CONTROL, minBarLength: 2 },
        ],
      },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: 'milliseconds' } }, y: { ticks: { autoSkip: false } } } },
    },
  }));
}

function blocks({ result: r, runbook, routes }: PhaseReportInput): Block[] {
  const prof = runbook.profiles[r.profile];
  const checkOf = (name: string) => prof?.checks.find((c) => c.name === name);
  const phases = prof?.phases ?? [];
  const phase = phases.find((p) => p.percent === r.phase);
  const gates = r.checks.filter((c) => c.kind === 'gate');
  const triggers = r.checks.filter((c) => c.kind === 'trigger');
  const out: Block[] = [];

  const progress = r.window.requiredMs ? Math.min(100, Math.round((100 * r.window.elapsedMs) / r.window.requiredMs)) : 100;
  out.push({ p: `Window ${r.window.from} → ${r.window.to}: ${fmtDuration(r.window.elapsedMs)} of ${fmtDuration(r.window.requiredMs)} observed (${progress}%).` });
  if (r.window.phaseStart) out.push({ p: `Phase ${r.phase}% began: ${phaseStartText(r.window.phaseStart)}; its window counts from there.` });
  out.push({ progress: [r.window.elapsedMs, r.window.requiredMs] });
  if (runbook.timeScale !== 1) out.push({ p: `Time scale ${runbook.timeScale}: every window is shrunk (a minute is ${fmtDuration(runbook.bucketMs)}); a drill or a test, not production.` });
  const withRunner = r.freshness.some((f) => f.runner);
  out.push({ h: 'Runners' }, {
    table: {
      head: ['target', ...(withRunner ? ['runner'] : []), 'last cycle', 'data'],
      rows: r.freshness.map((f) => [f.target, ...(withRunner ? [f.runner ?? '—'] : []), f.lastCycle ?? 'never', f.stale ? 'STALE' : 'fresh']),
    },
  });

  const slo = r.checks.filter((c) => (c.metric === 'journey_success_ratio' && !checkOf(c.name)?.scope) || c.metric === 'error_budget_spent');
  const sloPercent = prof?.sloPercent ?? 100;
  const availability = slo.find((c) => c.metric === 'journey_success_ratio');
  // The burn rate needs no check of its own: 1× spends exactly the weekly budget in a week.
  const burn = (a: number | null) => (a === null || sloPercent >= 100 ? '—' : `${round((100 - a) / (100 - sloPercent))}×`);
  const sloTable = kpiTable(slo);
  if (availability) {
    sloTable.rows.push([`error budget burn rate (SLO ${sloPercent}%)`, 'info', burn(availability.observed.canary), burn(availability.observed.control), '1× spends the weekly budget in a week']);
    sloTable.wide!.cells.push(`from ${availability.name}: failed share of journey runs over the share the SLO allows`);
  }
  out.push({ h: 'SLOs' }, sloTable.rows.length ? { table: sloTable } : { p: `No availability or error budget check in profile ${r.profile}.` });

  out.push({ h: 'Payments', note: capsText(r.phase, phase?.payments) });
  const payments = r.checks.filter((c) => PAYMENT_METRICS.has(c.metric as MetricName));
  out.push(payments.length ? { table: kpiTable(payments) } : { p: `No payment check in profile ${r.profile}.` });

  const funnel = r.checks.filter((c) => checkOf(c.name)?.scope?.journeys || FUNNEL_METRICS.has(c.metric as MetricName));
  const journeys = [...new Set(funnel.flatMap((c) => checkOf(c.name)?.scope?.journeys ?? []))];
  out.push({ h: 'Funnel', note: journeys.length ? `sign-up and first session: ${journeys.join(', ')}` : undefined });
  out.push(funnel.length ? { table: kpiTable(funnel) } : { p: `No funnel check in profile ${r.profile}.` });
  if (!funnel.some((c) => FUNNEL_METRICS.has(c.metric as MetricName))) out.push({ p: `Time to value: not checked by profile ${r.profile} in phase ${r.phase}%.` });

  out.push({ charts: checkCharts(r.checks), title: 'Canary vs control', heightPx: 320 });
  out.push({ h: 'Go gates', note: 'all must be ok to advance' }, { table: checksTable(gates, 'gate', checkOf) });
  out.push({ h: 'Rollback triggers', note: 'any FIRED rolls back' }, { table: checksTable(triggers, 'trigger', checkOf) });

  out.push({ h: 'Latency per critical route', note: 'first attempts of API calls, ms, over the window' });
  if (!routes) out.push({ p: 'Not computed for this report.' });
  else if (!Array.isArray(routes)) out.push({ p: `Not available: ${routes.unavailable}` });
  else if (!routes.length) out.push({ p: 'No calls to critical routes in the window.' });
  else {
    const pcts = (s: RouteComparison['canary']) => [s.p50, s.p95, s.p99].map((n) => (Number.isNaN(n) ? '—' : round(n))).join(' / ');
    // Two bars a route: the chart grows with the routes so their labels never overlap.
    out.push({ charts: routeCharts(routes), heightPx: Math.max(260, 80 + 36 * routes.length) }, {
      table: {
        head: ['route', 'canary P50 / P95 / P99', 'control P50 / P95 / P99', 'samples', 'budget'],
        rows: routes.map((x) => [x.route, pcts(x.canary), pcts(x.control), `${x.canary.count}/${x.control.count}`, value(x.budgetMs, 'ms')]),
      },
    });
  }

  // One row per offending call, naming every check it fails; what rolled back comes first.
  const byId = new Map<string, { checks: string[]; o: Offender }>();
  const fired = (c: CheckVerdict) => (c.kind === 'trigger' && c.ok === false ? 0 : 1);
  for (const c of [...r.checks].sort((a, b) => fired(a) - fired(b))) {
    for (const o of c.evidence.offenders) {
      const key = `${o.syntheticId} ${o.traceId} ${o.what}`;
      const seen = byId.get(key);
      if (seen) seen.checks.push(c.name);
      else byId.set(key, { checks: [c.name], o });
    }
  }
  const evidence = [...byId.values()].map(({ checks, o }) => [checks.join(', '), o.at, o.syntheticId, o.traceId, o.what]);
  out.push({ h: 'Evidence', note: 'look these up in the app\'s logs and traces' });
  out.push(evidence.length ? { table: { head: ['check', 'at', 'synthetic id', 'trace id', 'what'], rows: evidence } } : { p: 'No offending calls or runs: no check failed.' });

  out.push({ h: r.decision === 'rollback' ? 'Page now' : 'Roles' }, { p: Object.entries(runbook.roles).map(([role, handle]) => `${role} ${handle}`).join(' · ') });
  if (r.decision === 'rollback') out.push({ h: 'Rollback steps', note: 'in this order' }, { list: runbook.rollbackSteps });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown for the chat channel: a headline, then short tables.

const mdCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function markdownOf(head: { title: string; sentence: string; reason: string; decision: string }, doc: Block[]): string {
  const lines = [`### ${head.decision} · ${head.title}`, `**${head.sentence}**`, `Why: ${head.reason}`];
  for (const b of doc) {
    if ('h' in b) lines.push('', `**${b.h}**${b.note ? ` (${b.note})` : ''}`);
    else if ('p' in b) lines.push(b.p);
    else if ('list' in b) lines.push(...b.list.map((item, i) => `${i + 1}. ${item}`));
    else if ('table' in b) {
      const { head: cols, rows } = b.table;
      lines.push(`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`));
    }
    // Charts and the progress bar are the page's alone: the window line already says the progress.
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// The page: the same blocks, with badges and charts.

const STATUS_CLASS: Partial<Record<string, string>> = { ok: 'ok', fresh: 'ok', GO: 'ok', FAIL: 'bad', FIRED: 'bad', STALE: 'bad', ROLLBACK: 'bad', HOLD: 'hold' };
const badge = (word: string) => `<span class="badge ${STATUS_CLASS[word] ?? ''}">${esc(word)}</span>`;

function htmlTable({ head, rows, wide, wraps = [] }: Table): string {
  const cell = (text: string, i: number) => `<td${wraps.includes(i) ? ' class="wrap"' : ''}>${Object.hasOwn(STATUS_CLASS, text) ? badge(text) : esc(text)}</td>`;
  const th = [...head, ...(wide ? [wide.head] : [])].map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((row, i) => `<tr>${row.map(cell).join('')}${wide ? `<td class="why">${esc(wide.cells[i] ?? '')}</td>` : ''}</tr>`).join('\n');
  return `<div class="table"><table class="compact"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function htmlOf(head: { title: string; sentence: string; reason: string; decision: string }, doc: Block[]): { body: string; charts: ChartSpec[] } {
  const charts: ChartSpec[] = [];
  const parts = [
    `<header><h1>${badge(head.decision)} ${esc(head.title)}</h1>`,
    `<p class="lead">${esc(head.sentence)}</p><p><strong>Why:</strong> ${esc(head.reason)}</p></header>`,
  ];
  for (const b of doc) {
    if ('h' in b) parts.push(`<h2>${esc(b.h)}${b.note ? ` <span class="muted">(${esc(b.note)})</span>` : ''}</h2>`);
    else if ('p' in b) parts.push(`<p>${esc(b.p)}</p>`);
    else if ('progress' in b) parts.push(`<progress max="${b.progress[1]}" value="${Math.min(b.progress[0], b.progress[1])}" aria-label="window observed"></progress>`);
    else if ('list' in b) parts.push(`<ol>${b.list.map((item) => `<li>${esc(item)}</li>`).join('')}</ol>`);
    else if ('table' in b) parts.push(htmlTable(b.table));
    else if ('charts' in b) {
      charts.push(...b.charts);
      if (b.title) parts.push(`<h2>${esc(b.title)}</h2>`);
      parts.push(`<div class="charts"${b.heightPx ? ` style="--chart-height: ${b.heightPx}px"` : ''}>${b.charts.map(chartFigure).join('')}</div>`);
    }
  }
  return { body: parts.join('\n'), charts };
}

/** The phase summary: Markdown for the ship-room chat and one self-contained HTML page with charts. */
export function phaseSummary(input: PhaseReportInput): { markdown: string; html: string } {
  const { result: r, runbook } = input;
  const phases = runbook.profiles[r.profile]?.phases ?? [];
  const at = phases.findIndex((p) => p.percent === r.phase);
  const head = {
    title: `phase ${r.phase}% · profile ${r.profile} · as of ${r.window.to}`,
    sentence: recommendation(r, at < 0 ? undefined : phases[at + 1]?.percent),
    reason: r.reason,
    decision: r.decision.toUpperCase(),
  };
  const doc = blocks(input);
  const page = htmlOf(head, doc);
  return {
    markdown: markdownOf(head, doc),
    html: htmlPage({ title: `Phase ${r.phase}% ${r.decision.toUpperCase()} (${r.profile})`, body: page.body, charts: page.charts }),
  };
}
