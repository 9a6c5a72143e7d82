import { esc } from '../html/page.ts';

/**
 * The ship-room page: one document the gate serves at `/`. It draws itself from the gate's JSON
 * (`/api/v1/view`) and refreshes on its own; Chart.js comes from the gate too (`/assets/chart.js`),
 * and its Content-Security-Policy allows nothing else, so the page can make no request beyond the
 * gate. Every value is put in with textContent, never as HTML; every colour has its word beside it.
 */

const STYLE = `
:root { --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --ok:#1a7f37; --bad:#cf222e; --hold:#9a6700; --bg:#fff; }
* { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 20px 28px; }
header { display: flex; flex-wrap: wrap; gap: 18px 32px; align-items: center; border-bottom: 2px solid var(--line); padding-bottom: 14px; }
#decision { font-size: clamp(40px, 6vw, 88px); font-weight: 800; letter-spacing: .02em; padding: 4px 22px; border-radius: 12px; border: 4px solid currentColor; }
.go { color: var(--ok); } .rollback { color: var(--bad); } .hold { color: var(--hold); }
#reason { font-size: clamp(18px, 1.6vw, 26px); max-width: 70ch; margin: 0; }
.controls { display: flex; gap: 12px; align-items: center; margin-left: auto; }
select, button { font: inherit; padding: 4px 8px; }
.meta { color: var(--muted); font-size: .92em; }
h2 { font-size: 1.15em; margin: 26px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; border: 1px solid currentColor; font-weight: 700; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 18px; }
.small { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.chart { position: relative; height: 320px; } .chart.s { height: 170px; }
progress { width: 260px; height: 14px; vertical-align: middle; }
td.cell button { font: inherit; cursor: pointer; border: 1px solid currentColor; background: none; border-radius: 6px; padding: 2px 8px; }
#details { border: 2px solid var(--bad); border-radius: 8px; padding: 10px 14px; margin-top: 12px; }
#details[hidden] { display: none; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; word-break: break-all; }
textarea { width: 100%; height: 220px; font: 13px ui-monospace, monospace; }
@media (min-width: 2200px) { body { font-size: 22px; } .chart { height: 420px; } }
`;

/** The page's own script: fetch, render, repeat. Runs in the browser; kept free of any library but Chart.js. */
const SCRIPT = String.raw`
const REFRESH_MS = Number(document.body.dataset.refreshMs);
const params = new URLSearchParams(location.search);
const state = { phase: params.get('phase') || document.body.dataset.phase, profile: params.get('profile') || document.body.dataset.profile, charts: [] };
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
function row(cells, head) { const tr = el('tr'); for (const c of cells) { const td = el(head ? 'th' : 'td'); if (c instanceof Node) td.append(c); else td.textContent = c == null ? '—' : String(c); tr.append(td); } return tr; }
const num = (v, unit) => v === null || v === undefined || Number.isNaN(v) ? '—' : (Math.round(v * 100) / 100) + (unit || '');
const WORDS = { go: 'GO', hold: 'HOLD', rollback: 'ROLLBACK' };
const status = (c) => c.ok === undefined || c.ok === null ? ['HOLD', 'hold'] : c.ok ? ['ok', 'go'] : c.kind === 'trigger' ? ['FIRED', 'rollback'] : ['FAIL', 'rollback'];
const OUTCOME = { passed: ['passed', 'go'], flaky: ['flaky', 'hold'], failed: ['FAILED', 'rollback'], aborted: ['aborted', 'hold'] };
function dur(ms) { if (ms == null) return '—'; const s = Math.round(ms / 1000); return s >= 3600 ? Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min' : s >= 60 ? Math.floor(s / 60) + ' min ' + (s % 60) + ' s' : s + ' s'; }
function query() { return '?phase=' + encodeURIComponent(state.phase) + '&profile=' + encodeURIComponent(state.profile); }

function renderDecision(v) {
  const d = v.decision;
  const badge = $('decision'); badge.textContent = WORDS[d.decision]; badge.className = d.decision;
  document.title = WORDS[d.decision] + ' · phase ' + d.phase + '% · ship-room';
  $('reason').textContent = d.reason;
  const w = d.window;
  $('window').textContent = w ? 'window ' + w.from.slice(11, 19) + ' → ' + w.to.slice(11, 19) + ' UTC: ' + dur(w.elapsedMs) + ' of ' + dur(w.requiredMs) + ' observed' : 'no window';
  const ps = w && w.phaseStart;
  $('phase-start').textContent = !ps ? '' : ps.how === 'not-asked' ? 'phase ' + d.phase + '% not begun for this build: no rollout tool has asked about it'
    : ps.how === 'unavailable' ? 'phase start unknown (' + (ps.note || 'ledger unavailable') + '): counted from now'
    : 'phase ' + d.phase + '% began ' + ps.at.slice(0, 10) + ' ' + ps.at.slice(11, 19) + ' UTC (' + (ps.how === 'since' ? 'as the rollout tool said' : 'first asked for this build') + ')';
  const bar = $('elapsed'); bar.max = w ? w.requiredMs : 1; bar.value = w ? Math.min(w.elapsedMs, w.requiredMs) : 0;
  const f = $('freshness'); f.replaceChildren();
  for (const r of d.freshness) {
    const li = el('li'); li.append(el('strong', r.target + (r.runner ? ' (' + r.runner + ')' : '')), ': last cycle ' + (r.lastCycle ? r.lastCycle.slice(11, 19) + ' UTC ' : 'never '));
    li.append(el('span', r.stale ? 'STALE' : 'fresh', 'badge ' + (r.stale ? 'rollback' : 'go'))); f.append(li);
  }
  for (const s of ['phase', 'profile']) {
    const sel = $(s); const values = s === 'phase' ? v.phases : v.profiles;
    if (sel.options.length !== values.length) sel.replaceChildren(...values.map((x) => { const o = el('option', s === 'phase' ? x + '%' : x); o.value = String(x); return o; }));
    sel.value = String(state[s]);
  }
}

function renderChecks(v) {
  const t = $('checks'); t.replaceChildren(row(['check', 'kind', 'status', 'canary', 'control', 'held to', 'held for', 'statistics', 'why'], true));
  for (const c of v.checks) {
    const [word, cls] = status(c);
    const stats = (c.statistics || []).map((s) => s.test + ' p=' + s.p.toFixed(3) + (s.significant ? ' significant' : ' not significant') + ', ' + (s.effectMs >= 0 ? '+' : '') + Math.round(s.effectMs) + ' ms').join('; ');
    t.append(row([c.name, c.kind === 'trigger' ? 'rollback trigger' : 'go gate', el('span', word, 'badge ' + cls), num(c.observed.canary), num(c.observed.control),
      c.against + ' ' + c.op + ' ' + c.threshold, c.heldFor === undefined ? '—' : c.heldFor + (c.metric.startsWith('consecutive') ? ' runs' : ' min'), stats || '—', c.reason]));
  }
}

function chart(canvas, config) { state.charts.push(new Chart(canvas, config)); }
function thresholdSets(v, labels, axis) {
  return v.latencyThresholds.map((t) => ({ type: 'line', label: t.check + ' (' + t.kind + ') ' + t.ms + ' ms', data: labels.map(() => t.ms), borderColor: t.kind === 'trigger' ? '#cf222e' : '#9a6700', borderDash: [6, 4], pointRadius: 0, borderWidth: 2, [axis]: 'x' }));
}

function renderRoutes(v) {
  const box = $('routes'); box.replaceChildren();
  if (v.routes.unavailable) { box.append(el('p', v.routes.unavailable, 'meta')); return; }
  const labels = v.routes.summary.map((r) => r.route);
  const fig = el('figure'); fig.append(el('figcaption', 'P50 / P95 / P99 per critical route over the window, canary against control (ms; dashes: the runbook\'s latency thresholds)'));
  const holder = el('div', undefined, 'chart'); holder.style.height = Math.max(320, labels.length * 46) + 'px'; const canvas = el('canvas'); canvas.setAttribute('role', 'img'); canvas.setAttribute('aria-label', 'latency per route'); holder.append(canvas); fig.append(holder);
  box.append(fig);
  const sets = [];
  for (const [side, colors] of [['canary', ['#f4a261', '#e76f51', '#9c2c13']], ['control', ['#8ecae6', '#219ebc', '#023047']]]) {
    ['p50', 'p95', 'p99'].forEach((q, i) => sets.push({ type: 'bar', label: side + ' ' + q.toUpperCase(), data: v.routes.summary.map((r) => r[side][q] ?? null), backgroundColor: colors[i] }));
  }
  chart(canvas, { data: { labels, datasets: [...sets, ...thresholdSets(v, labels, 'xAxisID')] }, options: { indexAxis: 'y', animation: false, maintainAspectRatio: false, scales: { x: { type: 'logarithmic', title: { display: true, text: 'ms (log scale)' } } } } });
  const t = el('table'); t.append(row(['route', 'canary P50 / P95 / P99', 'control P50 / P95 / P99', 'calls canary / control'], true));
  for (const r of v.routes.summary) t.append(row([r.route, [r.canary.p50, r.canary.p95, r.canary.p99].map((x) => num(x)).join(' / '), [r.control.p50, r.control.p95, r.control.p99].map((x) => num(x)).join(' / '), r.canary.count + ' / ' + r.control.count]));
  box.append(t);
  const small = el('div', undefined, 'small'); box.append(el('h3', 'P95 over time, per route'), small);
  for (const s of v.routes.series) {
    const f = el('figure'); f.append(el('figcaption', s.route)); const h = el('div', undefined, 'chart s'); const c = el('canvas'); c.setAttribute('role', 'img'); c.setAttribute('aria-label', 'P95 over time of ' + s.route); h.append(c); f.append(h); small.append(f);
    const times = s.at.map((t) => new Date(t).toISOString().slice(11, 19));
    chart(c, { type: 'line', data: { labels: times, datasets: [
      { label: 'canary P95', data: s.canaryP95, borderColor: '#e76f51', spanGaps: true, pointRadius: 1 },
      { label: 'control P95', data: s.controlP95, borderColor: '#219ebc', spanGaps: true, pointRadius: 1 },
      ...thresholdSets(v, times, 'yAxisID').map((d) => ({ ...d, yAxisID: 'y', xAxisID: undefined })),
    ] }, options: { animation: false, maintainAspectRatio: false, plugins: { legend: { labels: { boxWidth: 10, font: { size: 10 } } } }, scales: { y: { title: { display: true, text: 'ms' }, beginAtZero: true } } } });
  }
}

function showDetails(cell) {
  state.open = { journey: cell.journey, target: cell.target, device: cell.device };
  const d = $('details'); d.replaceChildren(); d.hidden = false;
  const f = cell.lastFailure;
  d.append(el('h3', cell.journey + ' on ' + cell.target + ' (' + cell.device + '): last failure at ' + f.at));
  d.append(el('p', 'Reason: ' + f.reason));
  const ul = el('ul'); for (const p of f.problems) ul.append(el('li', p)); d.append(el('p', 'Every problem of the failing attempt:'), ul);
  const ids = el('p'); ids.append('Synthetic ids (x-synthetic-id, in the app\'s logs): '); for (const s of f.syntheticIds) ids.append(el('code', s), ' '); d.append(ids);
  const tr = el('p'); tr.append('Trace ids (traceparent): '); for (const s of f.traceIds) tr.append(el('code', s), ' '); d.append(tr);
  for (const e of f.evidence) {
    const p = el('p'); p.append('Attempt ' + e.attempt + ' evidence: ');
    for (const k of ['screenshot', 'trace']) if (e[k]) { const a = el('a', k); a.href = '/evidence/' + e[k].replace(/^evidence\//, ''); p.append(a, ' '); }
    if (e.withheld) p.append(el('span', '(' + e.withheld + ')', 'meta'));
    d.append(p);
  }
  const close = el('button', 'Close'); close.onclick = () => { d.hidden = true; state.open = undefined; }; d.append(close);
}

function renderJourneys(v) {
  const box = $('journeys'); box.replaceChildren();
  if (v.journeys.unavailable) { box.append(el('p', v.journeys.unavailable, 'meta')); return; }
  const cols = [...new Set(v.journeys.map((c) => c.target + ' · ' + c.device))].sort();
  const names = [...new Set(v.journeys.map((c) => c.journey))].sort();
  const t = el('table'); t.append(row(['journey', ...cols], true));
  for (const n of names) {
    const cells = [n];
    for (const col of cols) {
      const c = v.journeys.find((x) => x.journey === n && x.target + ' · ' + x.device === col);
      if (!c) { cells.push('—'); continue; }
      const [word, cls] = OUTCOME[c.lastOutcome];
      const text = word + ' · ' + c.runs + ' runs, ' + c.flaky + ' flaky, ' + c.failed + ' failed' + (c.consecutiveFailures ? ', ' + c.consecutiveFailures + ' in a row' : '');
      if (c.lastFailure) { const b = el('button', text, cls); b.dataset.journey = c.journey; b.dataset.target = c.target; b.dataset.device = c.device; b.title = 'Open the last failure: reason, ids, evidence'; b.onclick = () => showDetails(c); cells.push(b); }
      else cells.push(el('span', text, cls));
    }
    const tr = row(cells); tr.querySelectorAll('td').forEach((td, i) => { if (i > 0) td.className = 'cell'; }); t.append(tr);
  }
  box.append(t);
  // An open cell follows the data: its newest failure, or closed once no failure is left in the window.
  if (state.open) {
    const c = v.journeys.find((x) => x.journey === state.open.journey && x.target === state.open.target && x.device === state.open.device);
    if (c && c.lastFailure) showDetails(c); else { $('details').hidden = true; state.open = undefined; }
  }
}

function renderRunbook(v) {
  const r = v.runbook; const box = $('runbook'); box.replaceChildren();
  const p = r.payments;
  box.append(el('p', p ? (p.normal ? 'Payments: normal volume in this phase.' : 'Payment caps in this phase: at most ' + p.maxTransactions + ' real transactions of at most $' + p.maxAmountUsd + ', $' + p.totalUsd + ' in total.') : 'No payment caps for this phase.'));
  box.append(el('p', 'Who to page: ' + Object.entries(r.roles).map(([k, h]) => k + ' ' + h).join(' · ')));
  const ol = el('ol'); for (const s of r.rollbackSteps) ol.append(el('li', s)); box.append(el('h3', 'Rollback steps'), ol);
}

async function refresh() {
  try {
    const res = await fetch('/api/v1/view' + query(), { cache: 'no-store' });
    const v = await res.json();
    if (!res.ok) throw new Error(v.error || ('status ' + res.status));
    for (const c of state.charts) c.destroy(); state.charts = [];
    renderDecision(v); renderChecks(v); renderRoutes(v); renderJourneys(v); renderRunbook(v);
    $('updated').textContent = 'updated ' + v.generatedAt.slice(11, 19) + ' UTC, every ' + Math.round(REFRESH_MS / 1000) + ' s';
    $('error').textContent = '';
    document.body.dataset.decision = v.decision.decision;
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
  } catch (e) {
    $('error').textContent = 'Could not refresh: ' + e.message + ' (showing the last answer)';
  }
}

async function summary() {
  const res = await fetch('/api/v1/summary.md' + query(), { cache: 'no-store' });
  const text = await res.text();
  const box = $('summary'); box.hidden = false; box.value = text; box.select();
  try { await navigator.clipboard.writeText(text); $('copied').textContent = 'Copied to the clipboard.'; } catch { $('copied').textContent = 'Selected: copy it with Ctrl+C.'; }
}

for (const s of ['phase', 'profile']) $(s).onchange = (e) => { state[s] = e.target.value; const u = new URL(location.href); u.searchParams.set(s, state[s]); history.replaceState(null, '', u); refresh(); };
$('summary-button').onclick = summary;
Chart.defaults.animation = false;
refresh();
setInterval(refresh, REFRESH_MS);
`;

/** The whole page; the data comes afterwards from the gate's JSON. */
export function shipRoomPage(opts: { phase: number; profile: string; refreshMs: number }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ship-room · synthetic canary</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-phase="${esc(opts.phase)}" data-profile="${esc(opts.profile)}" data-refresh-ms="${esc(opts.refreshMs)}">
<header>
  <div id="decision" class="hold" aria-live="polite">…</div>
  <div>
    <p id="reason">Asking the gate…</p>
    <p class="meta"><span id="window"></span> <progress id="elapsed" max="1" value="0"></progress></p>
    <p class="meta" id="phase-start"></p>
    <p class="meta" id="updated"></p><p class="meta" id="error" role="alert"></p>
  </div>
  <div class="controls">
    <label>phase <select id="phase"></select></label>
    <label>profile <select id="profile"></select></label>
    <button id="summary-button" type="button">Phase summary (Markdown)</button>
  </div>
</header>
<p id="copied" class="meta"></p>
<textarea id="summary" hidden readonly aria-label="phase summary in Markdown"></textarea>
<h2>Runners</h2><ul id="freshness"></ul>
<h2>Go gates and rollback triggers</h2><table id="checks"></table>
<h2>Journeys (journey × target · device): last outcome; a failed cell opens its reason, ids and evidence</h2>
<div id="journeys"></div><div id="details" hidden></div>
<h2>Latency, canary against control</h2><div id="routes"></div>
<h2>Runbook for this phase</h2><div id="runbook"></div>
<script src="/assets/chart.js"></script>
<script>${SCRIPT}</script>
</body></html>
`;
}
