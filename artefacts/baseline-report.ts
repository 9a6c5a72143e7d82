import type { CheckScope } from '../gate/runbook-types.ts';
import type { Baseline, TimingName } from './baseline.ts';
import { chartFigure, esc, htmlPage, type ChartSpec } from './html/page.ts';

/** The baseline for people: Markdown tables, and one self-contained HTML page with the same tables under charts. */

const TIMINGS: Record<TimingName, { label: string; metric: string }> = {
  timeToValueMs: { label: 'time to value (landing → first match)', metric: 'time_to_value_p80' },
  timeToFirstInteractionMs: { label: 'time to first interaction (dashboard → first tile)', metric: 'time_to_first_interaction_p80' },
};
const TIMING_NAMES = Object.keys(TIMINGS) as TimingName[];
/** Distinct in hue and in lightness, so they still read apart in grey; every one is named in a legend or table. */
const COLOURS = { p50: '#4e79a7', p80: '#76b7b2', p95: '#f28e2b', p99: '#e15759', budget: '#1b1f24' };
const THRESHOLD_COLOURS = ['#2e7d32', '#8e44ad', '#8c564b', '#b8860b', '#555f6d', '#c2185b'];
const DASHES = [[6, 4], [2, 3], [10, 3, 2, 3], [12, 6], [4, 4]];

const ms = (n: number | null) => (n === null ? '—' : String(Math.round(n * 10) / 10));
const scopeText = (s?: CheckScope) => {
  if (!s) return 'all';
  const parts = [s.routes === 'critical' ? 'critical routes' : s.routes ? s.routes.join(', ') : '', s.journeys ? `journeys ${s.journeys.join(', ')}` : '', s.cohort ? `cohort ${s.cohort}` : ''];
  return parts.filter(Boolean).join('; ');
};

interface Table {
  head: string[];
  rows: string[][];
  /** Columns aligned right (numbers). */
  numeric?: number[];
}

function tables(b: Baseline): Record<'comparisons' | 'endpoints' | 'journeys' | 'timings' | 'thresholds', Table> {
  return {
    comparisons: {
      head: ['check', 'profiles', 'metric', 'scope', 'baseline', 'samples', 'canary limit'],
      rows: b.comparisons.map((c) => [c.check, c.profiles.join(', '), c.metric, scopeText(c.scope), c.baseline === null ? 'not measured' : String(c.baseline), String(c.samples),
        c.canaryLimit === null ? '—' : `${c.op} ${c.canaryLimit} (${c.threshold} × baseline)`]),
      numeric: [4, 5],
    },
    endpoints: {
      head: ['route', 'critical', 'n', 'mean', 'P50', 'P95', 'P99', 'max', 'budget', 'over budget'],
      rows: b.endpoints.map((e) => [e.route, e.critical ? 'yes' : 'no', String(e.n), ms(e.mean), ms(e.p50), ms(e.p95), ms(e.p99), ms(e.max), String(e.budgetMs), String(e.overBudget)]),
      numeric: [2, 3, 4, 5, 6, 7, 8, 9],
    },
    journeys: {
      head: ['journey', 'device', 'n', 'passed', 'flaky', 'failed', 'aborted', 'mean', 'P50', 'P95', 'P99'],
      rows: b.journeys.map((j) => [j.journey, j.device, String(j.n), String(j.passed), String(j.flaky), String(j.failed), String(j.aborted), ms(j.mean), ms(j.p50), ms(j.p95), ms(j.p99)]),
      numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10],
    },
    timings: {
      head: ['timing', 'n', 'mean', 'P50', 'P80', 'P95', 'P99', 'max'],
      rows: TIMING_NAMES.map((name) => {
        const t = b.userTimings[name];
        return [TIMINGS[name].label, String(t.n), ms(t.mean), ms(t.p50), ms(t.p80), ms(t.p95), ms(t.p99), ms(t.max)];
      }),
      numeric: [1, 2, 3, 4, 5, 6, 7],
    },
    thresholds: {
      head: ['check', 'profiles', 'kind', 'metric', 'scope', 'threshold'],
      rows: b.latencyThresholds.map((t) => [t.check, t.profiles.join(', '), t.kind, t.metric, scopeText(t.scope), `${t.op} ${t.thresholdMs} ms`]),
    },
  };
}

const heading = (b: Baseline) => `Performance baseline: ${b.target.name}, build ${b.build ?? 'unknown'}`;
const facts = (b: Baseline) =>
  `${b.cycles} cycle(s) against ${b.target.origin} (git ${b.gitSha ?? 'unknown'}), ${b.window.from} → ${b.window.to}.`;

export function baselineMarkdown(b: Baseline): string {
  const t = tables(b);
  const md = (table: Table) => {
    const cell = (text: string) => text.replace(/\|/g, '\\|');
    const align = table.head.map((_, i) => (table.numeric?.includes(i) ? '---:' : '---'));
    return [table.head, align, ...table.rows].map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n');
  };
  const none = (table: Table, what: string) => (table.rows.length ? md(table) : `_${what}_`);
  return [
    `# ${heading(b)}`, '', facts(b), '',
    '## What the gate compares with this baseline', '',
    'Read by `synthetics gate --baseline baseline.json` (the `metrics` object): each value is the gate\'s own measure over the check\'s scope.', '',
    none(t.comparisons, 'The runbook has no check against a baseline.'), '',
    ...(b.notes.length ? ['## Notes', '', ...b.notes.map((n) => `- ${n}`), ''] : []),
    '## API latency per endpoint (ms, first attempts that got an answer)', '', none(t.endpoints, 'No API call was measured.'), '',
    '## Runbook latency thresholds (P95/P99 over their scope, not per endpoint)', '', none(t.thresholds, 'None.'), '',
    '## Journey durations (ms, runs not aborted)', '', none(t.journeys, 'No journey ran.'), '',
    '## User timings (ms, from the pages\' own clocks, passed attempts)', '', md(t.timings), '',
  ].join('\n');
}

function htmlTable(table: Table): string {
  const cls = (i: number) => (table.numeric?.includes(i) ? ' class="num"' : '');
  const head = table.head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('');
  const rows = table.rows.map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table"><table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

/** A chart spanning the page's width, `height` px tall. */
const wide = (chart: ChartSpec, height: number) => `<div class="wide" style="--chart-height: ${height}px">${chartFigure(chart)}</div>`;

const axis = (title: string, extra: Record<string, unknown> = {}) => ({ title: { display: true, text: title }, ...extra });
const bars = (label: string, data: Array<number | null>, colour: string) => ({ type: 'bar', label, data, backgroundColor: colour, borderColor: colour });

function percentilesChart(b: Baseline): ChartSpec {
  const labels = b.endpoints.map((e) => `${e.route}${e.critical ? ' *' : ''}`);
  const thresholds = b.latencyThresholds.map((t, i) => ({
    type: 'line', label: `${t.check}: ${t.metric === 'latency_p95' ? 'P95' : 'P99'} ${t.op} ${t.thresholdMs} ms (${scopeText(t.scope)}, ${t.kind})`,
    data: labels.map(() => t.thresholdMs), borderColor: THRESHOLD_COLOURS[i % THRESHOLD_COLOURS.length], borderDash: DASHES[i % DASHES.length],
    borderWidth: 2, pointRadius: 0, fill: false,
  }));
  return {
    id: 'endpoint-percentiles',
    title: 'P50 / P95 / P99 per endpoint against its budget and the runbook\'s latency thresholds',
    caption: 'Log scale. Bars: percentiles of the endpoint\'s calls; black tick: the endpoint\'s budget; lines: the runbook\'s absolute P95/P99 thresholds, which hold the critical routes (marked *) taken together. Numbers in the table below.',
    config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          bars('P50', b.endpoints.map((e) => e.p50), COLOURS.p50),
          bars('P95', b.endpoints.map((e) => e.p95), COLOURS.p95),
          bars('P99', b.endpoints.map((e) => e.p99), COLOURS.p99),
          { type: 'line', label: 'budget (ms)', data: b.endpoints.map((e) => e.budgetMs), showLine: false, pointStyle: 'line', rotation: 90, pointRadius: 9, pointBorderWidth: 3, borderColor: COLOURS.budget, backgroundColor: COLOURS.budget },
          ...thresholds,
        ],
      },
      options: {
        indexAxis: 'y',
        scales: { x: axis('ms (log scale)', { type: 'logarithmic', ticks: { maxRotation: 0, autoSkipPadding: 40 } }), y: { ticks: { autoSkip: false } } },
        plugins: { legend: { position: 'bottom' } },
      },
    },
  };
}

function histogramChart(e: Baseline['endpoints'][number], i: number): ChartSpec {
  const { edgesMs, counts } = e.histogram;
  return {
    id: `histogram-${i}`,
    title: e.route,
    caption: `${e.n} calls: P50 ${ms(e.p50)} ms, P95 ${ms(e.p95)} ms, P99 ${ms(e.p99)} ms; budget ${e.budgetMs} ms${e.critical ? ' (critical)' : ''}.`,
    config: {
      type: 'bar',
      data: { labels: counts.map((_, k) => `${edgesMs[k]}–${edgesMs[k + 1]}`), datasets: [{ label: 'calls', data: counts, backgroundColor: COLOURS.p50, barPercentage: 1, categoryPercentage: 0.95 }] },
      options: { plugins: { legend: { display: false } }, scales: { x: axis('ms', { ticks: { maxRotation: 0, autoSkipPadding: 8 } }), y: axis('calls', { beginAtZero: true, ticks: { precision: 0 } }) } },
    },
  };
}

function journeysChart(b: Baseline): ChartSpec {
  return {
    id: 'journey-durations',
    title: 'Journey duration per journey and device',
    caption: 'Bars: P50, P95 and P99 of the runs\' durations (retries and their waits included). Numbers in the table below.',
    config: {
      type: 'bar',
      data: {
        labels: b.journeys.map((j) => `${j.journey} (${j.device})`),
        datasets: [bars('P50', b.journeys.map((j) => j.p50), COLOURS.p50), bars('P95', b.journeys.map((j) => j.p95), COLOURS.p95), bars('P99', b.journeys.map((j) => j.p99), COLOURS.p99)],
      },
      options: { indexAxis: 'y', scales: { x: axis('ms', { beginAtZero: true }), y: { ticks: { autoSkip: false } } }, plugins: { legend: { position: 'bottom' } } },
    },
  };
}

function timingsChart(b: Baseline): ChartSpec {
  const names = TIMING_NAMES;
  const limits = b.comparisons.filter((c) => c.canaryLimit !== null && names.some((n) => TIMINGS[n].metric === c.metric)).map((c, i) => ({
    type: 'line', label: `${c.check}: canary P80 ${c.op} ${c.canaryLimit} ms (${c.threshold} × baseline)`,
    data: names.map((n) => (TIMINGS[n].metric === c.metric ? c.canaryLimit : null)), showLine: false, pointStyle: 'line', pointRadius: 28, pointBorderWidth: 3,
    borderColor: THRESHOLD_COLOURS[i % THRESHOLD_COLOURS.length], backgroundColor: THRESHOLD_COLOURS[i % THRESHOLD_COLOURS.length],
  }));
  const of = (key: 'p50' | 'p80' | 'p95' | 'p99') => names.map((n) => b.userTimings[n][key]);
  return {
    id: 'user-timings',
    title: 'User timings',
    caption: 'Bars: percentiles of the timing over passed attempts; ticks: the canary value at which a runbook check against this baseline fails or fires. Numbers in the table below.',
    config: {
      type: 'bar',
      data: {
        labels: names.map((n) => TIMINGS[n].label),
        datasets: [bars('P50', of('p50'), COLOURS.p50), bars('P80', of('p80'), COLOURS.p80), bars('P95', of('p95'), COLOURS.p95), bars('P99', of('p99'), COLOURS.p99), ...limits],
      },
      options: { scales: { y: axis('ms', { beginAtZero: true }) }, plugins: { legend: { position: 'bottom' } } },
    },
  };
}

export function baselineHtml(b: Baseline): string {
  const t = tables(b);
  const charts: ChartSpec[] = [];
  const chart = (spec: ChartSpec) => (charts.push(spec), spec);
  const parts = [
    `<header><h1>${esc(heading(b))}</h1><p class="muted">${esc(facts(b))}</p></header>`,
    '<h2>What the gate compares with this baseline</h2>',
    '<p>Read by <code>synthetics gate --baseline baseline.json</code> (the <code>metrics</code> object): each value is the gate\'s own measure over the check\'s scope.</p>',
    t.comparisons.rows.length ? htmlTable(t.comparisons) : '<p>The runbook has no check against a baseline.</p>',
  ];
  if (b.notes.length) parts.push('<h2>Notes</h2>', `<ul>${b.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);

  parts.push('<h2>API latency per endpoint</h2>');
  if (b.endpoints.length) {
    parts.push(`<div class="charts">${wide(chart(percentilesChart(b)), 140 + 26 * b.endpoints.length)}</div>`, htmlTable(t.endpoints));
    parts.push('<h2>Latency distribution per endpoint</h2>', '<p class="muted">Calls per latency bin (ms), one chart per endpoint.</p>');
    parts.push(`<div class="charts" style="--chart-height: 190px; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr))">${b.endpoints.map((e, i) => chartFigure(chart(histogramChart(e, i)))).join('')}</div>`);
  } else {
    parts.push('<p>No API call was measured (the API journeys did not run).</p>');
  }
  parts.push('<h2>Runbook latency thresholds</h2>', t.thresholds.rows.length ? htmlTable(t.thresholds) : '<p>None.</p>');

  parts.push('<h2>Journey durations</h2>');
  if (b.journeys.length) parts.push(`<div class="charts">${wide(chart(journeysChart(b)), 120 + 30 * b.journeys.length)}</div>`, htmlTable(t.journeys));
  else parts.push('<p>No journey ran.</p>');

  parts.push('<h2>User timings</h2>');
  if (TIMING_NAMES.some((n) => b.userTimings[n].n > 0)) parts.push(`<div class="charts">${wide(chart(timingsChart(b)), 300)}</div>`);
  else parts.push('<p>No browser journey measured a user timing.</p>');
  parts.push(htmlTable(t.timings));

  return htmlPage({ title: heading(b), body: parts.join('\n'), charts });
}
