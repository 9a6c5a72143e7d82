import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * One self-contained HTML page: styles, data and Chart.js inlined, so the page opens from disk
 * (or is served whole) and makes no request at view time. Its Content-Security-Policy forbids
 * every fetch, so a page that tried one would show it in the console, not quietly load it.
 */

/** A Chart.js configuration (type, data, options), drawn into its own canvas. */
export interface ChartSpec {
  id: string;
  title: string;
  /** `{type, data, options}` as Chart.js takes it; plain data only (it is serialised as JSON). */
  config: Record<string, unknown>;
  /** One sentence under the chart saying what to read from it (text beside colour). */
  caption?: string;
}

const require = createRequire(import.meta.url);
let chartJs: string | undefined;
/** The UMD build of Chart.js, read once from node_modules. */
export function chartLibrary(): string {
  // The package's exports name only its module builds; the UMD build sits beside the main one.
  chartJs ??= readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  return chartJs;
}

/** Text for HTML element content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside a <script> element (no `</script>`, no HTML comment openers). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** The figure for one chart: a canvas the page script fills, with its title and caption as text. */
export function chartFigure(chart: ChartSpec): string {
  return `<figure class="chart"><figcaption>${esc(chart.title)}</figcaption><div class="canvas"><canvas id="${esc(chart.id)}" role="img" aria-label="${esc(chart.title)}"></canvas></div>${chart.caption ? `<p class="caption">${esc(chart.caption)}</p>` : ''}</figure>`;
}

const STYLE = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --ok: #1a7f37; --bad: #cf222e; --hold: #9a6700; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto; padding: 24px; max-width: 1280px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted, .caption { color: var(--muted); } .caption { font-size: .9em; margin: 4px 0 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; } td.num, th.num { text-align: right; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
figure.chart figcaption { font-weight: 600; margin-bottom: 6px; } .canvas { position: relative; height: var(--chart-height, 260px); }
.charts > .wide { grid-column: 1 / -1; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; border: 1px solid currentColor; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .hold { color: var(--hold); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; }
.lead { font-size: 1.15em; font-weight: 600; margin: 8px 0 4px; }
progress { width: 100%; max-width: 480px; height: 14px; }
.table { overflow-x: auto; } td.why { color: var(--muted); font-size: .9em; min-width: 16em; }
/* Only free text (the last column, .wrap cells) wraps: ids, times and numbers never break mid-value. */
table.compact :is(th, td):not(:last-child):not(.wrap) { white-space: nowrap; }
`;

/** The whole document. `body` is trusted HTML the caller built with `esc`; charts are drawn where `chartFigure` put them. */
export function htmlPage(opts: { title: string; body: string; charts: ChartSpec[] }): string {
  const configs = Object.fromEntries(opts.charts.map((c) => [c.id, c.config]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(opts.title)}</title>
<style>${STYLE}</style>
</head><body>
${opts.body}
<script>${chartLibrary()}</script>
<script>
const CHARTS = ${scriptJson(configs)};
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
for (const [id, config] of Object.entries(CHARTS)) {
  const canvas = document.getElementById(id);
  if (canvas) new Chart(canvas, config);
}
document.body.dataset.chartsDrawn = String(Object.keys(CHARTS).length);
</script>
</body></html>
`;
}
