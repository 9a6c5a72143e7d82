/**
 * Scale: how many targets one runner completes inside a 60 s cycle on this machine, API-only and
 * with browsers. K target names in a `--targets` file, pointing round-robin at a few sandbox
 * processes; one cycle each (`run --every 60s --cycles 1`), measured for its cycle wall time, the
 * tree's CPU (split into the runner's own Node process and its Chromium processes) and its peak
 * RSS. A series stops growing once a cycle passes ~30 s; the 60 s figure is extrapolated from the
 * last two points with no journey aborted.
 * Usage: npx tsx bench/scale.bench.ts [--smoke]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chartFigure, htmlPage, type ChartSpec } from '../artefacts/html/page.ts';
import { CONFIG_KEYS } from '../src/config/keys.ts';
import { CHROMIUM_ARGS, findChromium } from '../src/core/chromium.ts';
import { ACCOUNTS_ENV, machine, onLines, ROOT, startSandbox, table, writeResult } from './lib/bench.ts';
import { rssSampler, treeCpuByProcess, treeOf } from './lib/tree.ts';

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
const smoke = values.smoke;
const SERIES = smoke
  ? [{ name: 'api', args: ['--project', 'api'], ks: [1, 2] }]
  : [
    { name: 'api', args: ['--project', 'api'], ks: [1, 5, 10, 20, 40, 80, 160] },
    // The browser pool serialises browser journeys over its slots, so a cycle grows with K at about
    // one journey's time per slot: the series goes on while it stays under STOP_AT_MS.
    { name: 'browser', args: ['--journey', 'b2c-browser'], ks: [1, 2, 4, 8, 16, 24, 32, 48, 64] },
  ];
const SANDBOXES = smoke ? 1 : 2;
const STOP_AT_MS = 30_000;
const BUDGET_MS = 60_000;
/** At a 60 s cadence the runner's cycle deadline is 48 s (60 s less the push reserve). */
const DEADLINE_MS = 48_000;
const PLOT = join(ROOT, 'bench/plots/scale.png');
/** Debian's Chromium names every one of its processes `chromium` (browser, zygotes, GPU, renderers). */
const CHROMIUM_COMM = /^chrom/;
/** What the scale section was before the browser pool: BENCHMARKS.md of commit 816606b, another day's machine. */
const BEFORE_POOL = { commit: '816606b', api: 20, browser: 8 } as const;

const scratch = mkdtempSync(join(tmpdir(), 'scale-bench-'));
const CYCLE = / cycle 1 (\S+): (\d+)\/(\d+) passed(?: \(\d+ flaky\))?, (\d+) failed(?:, (\d+) aborted)? in (\d+) ms/;

interface Point {
  reasons: Record<string, number>; series: string; k: number; cycleMs: number; processMs: number;
  /** The whole tree's CPU over the cycle (startup excluded). */
  cpuMs: number;
  /** Of it: the runner's own Node process. */
  runnerCpuMs: number;
  /** Of it: its Chromium processes, with the renderers they reaped. */
  chromiumCpuMs: number;
  startupCpuMs: number; peakRssMiB: number; journeys: number; passed: number; failed: number; aborted: number;
}

interface CpuSplit { treeMs: number; runnerMs: number; chromiumMs: number }

/**
 * The tree's CPU so far, from one /proc walk, split by who used it. The runner's reaped children
 * (tsx's esbuild, a Chromium that exited mid-cycle) have lost their names: they stay in the tree
 * total only, never in a split column.
 */
function cpuSplit(root: number): CpuSplit {
  const split: CpuSplit = { treeMs: 0, runnerMs: 0, chromiumMs: 0 };
  for (const p of treeCpuByProcess(root)) {
    split.treeMs += p.ownMs + p.reapedMs;
    if (p.pid === root) split.runnerMs += p.ownMs;
    else if (CHROMIUM_COMM.test(p.comm)) split.chromiumMs += p.ownMs + p.reapedMs;
  }
  return split;
}

const EMPTY_SPLIT: CpuSplit = { treeMs: 0, runnerMs: 0, chromiumMs: 0 };

function one(series: string, args: string[], k: number, urls: string[]): Promise<Point> {
  const file = join(scratch, `targets-${series}-${k}.json`);
  writeFileSync(file, JSON.stringify(Array.from({ length: k }, (_, i) => ({ name: `t${i + 1}`, url: urls[i % urls.length], canary: i === 0 }))));
  const results = join(scratch, `results-${series}-${k}`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin/synthetics.js'), 'run', '--every', '60s', '--cycles', '1', '--targets', file, ...args, '--results', results], {
      cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...ACCOUNTS_ENV, RETRIES: '0', PUSHGATEWAY_URL: '', RUNNER_ID: `scale-${k}` },
    });
    const rss = rssSampler(child.pid!, 100);
    let cpuAtStart = EMPTY_SPLIT;
    let cpuAtEnd = EMPTY_SPLIT;
    const cycle = { ms: 0, journeys: 0, passed: 0, failed: 0, aborted: 0, targets: 0 };
    const reasons: Record<string, number> = {};
    const tail = onLines(child, (l) => {
      if (/first cycle now/.test(l)) {
        cpuAtStart = cpuSplit(child.pid!);
      }
      const m = CYCLE.exec(l);
      if (!m) return;
      cycle.targets += 1;
      cycle.ms = Math.max(cycle.ms, Number(m[6]));
      cycle.passed += Number(m[2]);
      cycle.journeys += Number(m[3]);
      cycle.failed += Number(m[4]);
      cycle.aborted += Number(m[5] ?? 0);
      // The first failure (else abort) of each target, its numbers folded so alike reasons count together.
      const why = / — (\S+?)\/\S+: (.*)$/.exec(l);
      if (why) {
        const key = `${why[1]}: ${why[2]!.replace(/\d+(\.\d+)?/g, 'N').slice(0, 90)}`;
        reasons[key] = (reasons[key] ?? 0) + 1;
      }
      if (cycle.targets === k) {
        // One cycle done: CPU up to here (the final push and exit are not the cycle).
        cpuAtEnd = cpuSplit(child.pid!);
      }
    });
    const kill = setTimeout(() => { for (const p of treeOf(child.pid!).reverse()) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }, 120_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(kill);
      const peakRssMiB = rss.stop();
      if (cycle.targets < k) return reject(new Error(`${series} K=${k}: ${cycle.targets} of ${k} cycle lines:\n${tail()}`));
      resolve({
        reasons, series, k, cycleMs: cycle.ms, processMs: performance.now() - t0,
        cpuMs: cpuAtEnd.treeMs - cpuAtStart.treeMs, runnerCpuMs: cpuAtEnd.runnerMs - cpuAtStart.runnerMs, chromiumCpuMs: cpuAtEnd.chromiumMs - cpuAtStart.chromiumMs,
        startupCpuMs: cpuAtStart.treeMs, peakRssMiB, journeys: cycle.journeys, passed: cycle.passed, failed: cycle.failed, aborted: cycle.aborted,
      });
    });
  });
}

/** A cycle a runner could live with: inside the deadline, with ≥ 99 % of its journeys passing. */
const clean = (p: Point) => p.passed >= 0.99 * p.journeys && p.cycleMs <= DEADLINE_MS;
/** The tree's CPU that neither split column holds (the runner's reaped children, esbuild). */
const restCpuMs = (p: Point) => p.cpuMs - p.runnerCpuMs - p.chromiumCpuMs;

interface Capacity {
  /** The largest K with a clean cycle, if any. */
  point?: Point;
  /** True when nothing above it was measured (the series stopped there, clean): the capacity is at least K. */
  atLeast: boolean;
}

function capacityOf(points: Point[]): Capacity {
  const point = points.filter(clean).at(-1);
  return { point, atLeast: point !== undefined && point === points.at(-1) };
}

const kOf = (c: Capacity) => (c.point ? `${c.atLeast ? '≥ ' : ''}${c.point.k}` : 'none');

/**
 * Targets inside 60 s (and inside the 48 s cycle deadline), linear through the last two points
 * whose cycle no journey was aborted in: a cycle cut at the deadline has stopped growing.
 */
function extrapolate(points: Point[]): { at60s: number; atDeadline: number; measured: boolean; fromK: number; lastK: number; lastMs: number } | undefined {
  const uncut = points.filter((p) => p.aborted === 0);
  if (uncut.length < 2) return undefined;
  const [a, b] = uncut.slice(-2) as [Point, Point];
  const slope = (b.cycleMs - a.cycleMs) / (b.k - a.k);
  if (!(slope > 0)) return undefined;
  const k = (ms: number) => Math.floor(b.k + (ms - b.cycleMs) / slope);
  return { at60s: k(BUDGET_MS), atDeadline: k(DEADLINE_MS), measured: b.cycleMs >= BUDGET_MS, fromK: a.k, lastK: b.k, lastMs: b.cycleMs };
}

async function plot(points: Point[]): Promise<void> {
  const colors: Record<string, string> = { api: '#0969da', browser: '#cf222e' };
  const series = [...new Set(points.map((p) => p.series))];
  const line = (s: string, label: string, pick: (p: Point) => number, borderDash?: number[]) => ({
    label, data: points.filter((p) => p.series === s).map((p) => ({ x: p.k, y: pick(p) })), borderColor: colors[s], backgroundColor: colors[s], ...(borderDash ? { borderDash } : {}),
  });
  const labelOf = (s: string) => (s === 'api' ? 'API journeys (7 a target)' : 'browser (b2c-browser, 1 a target)');
  const chart = (id: string, title: string, y: string, pick: (p: Point) => number, extra: Array<Record<string, unknown>> = []): ChartSpec => ({
    id, title,
    config: {
      type: 'line',
      data: { datasets: [...series.map((s) => line(s, labelOf(s), pick)), ...extra] },
      options: { parsing: true, scales: { x: { type: 'linear', title: { display: true, text: 'targets in one runner (K)' } }, y: { beginAtZero: true, title: { display: true, text: y } } } },
    },
  });
  const maxK = Math.max(...points.map((p) => p.k));
  // Where the CPU goes: the runner's own process dashed, its Chromium dotted, beside each series' tree total.
  const split = series.flatMap((s) => [
    line(s, `${s}: runner process`, (p) => p.runnerCpuMs / 1000, [6, 4]),
    ...(points.some((p) => p.series === s && p.chromiumCpuMs > 0) ? [line(s, `${s}: Chromium`, (p) => p.chromiumCpuMs / 1000, [2, 3])] : []),
  ]);
  const charts = [
    chart('wall', 'Cycle wall time', 'seconds', (p) => p.cycleMs / 1000, [
      { label: '60 s cadence', data: [{ x: 0, y: 60 }, { x: maxK, y: 60 }], borderColor: '#57606a', borderDash: [6, 4], pointRadius: 0 },
      { label: '48 s cycle deadline', data: [{ x: 0, y: 48 }, { x: maxK, y: 48 }], borderColor: '#9a6700', borderDash: [2, 3], pointRadius: 0 },
    ]),
    chart('cpu', 'CPU per cycle (startup excluded): tree, runner process, Chromium', 'CPU seconds', (p) => p.cpuMs / 1000, split),
    chart('rss', 'Peak tree RSS', 'MiB', (p) => p.peakRssMiB),
  ];
  const html = htmlPage({ title: 'Scale: targets per runner', body: `<h1>Scale: targets per runner</h1><p class="muted">${machine()}</p><div class="charts">${charts.map(chartFigure).join('')}</div>`, charts });
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    await page.setContent(html);
    await page.waitForFunction(() => document.body.dataset.chartsDrawn === '3');
    mkdirSync(join(ROOT, 'bench/plots'), { recursive: true });
    await page.screenshot({ path: PLOT, fullPage: true });
  } finally {
    await browser.close();
  }
}

/** A runner key as this bench's runners see it: the environment's value, else the documented default. */
function runnerKey(key: string): string {
  return process.env[key] ?? CONFIG_KEYS.find((c) => c.key === key)?.default ?? '?';
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const s1 = (ms: number) => f1(ms / 1000);

function pointRow(p: Point): Array<string | number> {
  return [
    p.series, p.k, s1(p.cycleMs), s1(p.cpuMs), s1(p.runnerCpuMs), s1(p.chromiumCpuMs),
    f2(p.cpuMs / 1000 / p.k), `${f2(p.runnerCpuMs / 1000 / p.k)} / ${f2(p.chromiumCpuMs / 1000 / p.k)}`,
    s1(p.startupCpuMs), Math.round(p.peakRssMiB), `${p.passed}/${p.journeys}`, p.failed, p.aborted,
  ];
}

const HEAD = ['series', 'K', 'cycle wall s', 'cycle CPU s (tree)', 'runner CPU s', 'Chromium CPU s', 'CPU s / target', 'runner / Chromium CPU s per target', 'startup CPU s', 'peak RSS MiB', 'journeys passed', 'failed', 'aborted'];

/** One point's CPU in cores over its cycle: how close the runner's one event loop, and Chromium, came to saturating them. */
function cpuLine(p: Point, why: string): string {
  const cores = (ms: number) => f2(ms / p.cycleMs);
  return `- where the CPU goes, **${p.series}** K = ${p.k} (${why}): runner process ${s1(p.runnerCpuMs)} s (${cores(p.runnerCpuMs)} of a core over the ${s1(p.cycleMs)} s cycle), Chromium ${s1(p.chromiumCpuMs)} s (${cores(p.chromiumCpuMs)} cores), rest of the tree ${s1(restCpuMs(p))} s; a target costs the runner ${f2(p.runnerCpuMs / 1000 / p.k)} CPU s and Chromium ${f2(p.chromiumCpuMs / 1000 / p.k)}.`;
}

/** Per series: its largest clean K and its last point, the two that say what bounds it. */
function cpuLines(points: Point[]): string[] {
  return SERIES.flatMap((s) => {
    const mine = points.filter((p) => p.series === s.name);
    const { point: best } = capacityOf(mine);
    const last = mine.at(-1);
    const lines = best ? [cpuLine(best, 'largest clean cycle')] : [];
    if (last && last !== best) lines.push(cpuLine(last, 'largest K measured'));
    return lines;
  });
}

function capacityLines(points: Point[]): string[] {
  return SERIES.map((s) => {
    const { point, atLeast } = capacityOf(points.filter((p) => p.series === s.name));
    const stopped = atLeast ? ' — its last point: the series measured no larger K, so the capacity is at least that' : '';
    return `- **${s.name}**, measured: the largest K whose cycle fit the deadline with ≥ 99 % of journeys passing was **${kOf({ point, atLeast })}**${point ? ` (${s1(point.cycleMs)} s)` : ''}${stopped}.`;
  });
}

function extrapolationLines(points: Point[]): string[] {
  return SERIES.map((s) => {
    const mine = points.filter((p) => p.series === s.name);
    const e = extrapolate(mine);
    if (!e) return `- **${s.name}**: too few points with no journey aborted to extrapolate.`;
    const firstBad = mine.find((p) => !clean(p));
    const caveat = firstBad
      ? `an upper bound only, since journeys failed or were aborted well before that (from K = ${firstBad.k}, below)`
      : `no failure was measured up to K = ${mine.at(-1)!.k}, so this is the figure to check next, not a measured one`;
    return `- **${s.name}**, wall time alone: ${e.measured ? 'measured' : `extrapolated linearly through K = ${e.fromK} and ${e.lastK} (the last two points with no journey aborted; ${s1(e.lastMs)} s at K = ${e.lastK})`}, a cycle would reach the 48 s deadline at K ≈ ${e.atDeadline} (60 s at ≈ ${e.at60s}) — ${caveat}.`;
  });
}

/** This run's capacity beside the one measured before the browser pool (fixed figures, an earlier day's machine). */
function beforeAfterLine(points: Point[]): string {
  const now = (series: string) => (SERIES.some((s) => s.name === series) ? kOf(capacityOf(points.filter((p) => p.series === series))) : 'not run');
  return `- before → after the pool, largest K with a clean cycle: API **${BEFORE_POOL.api} → ${now('api')}**, browser **${BEFORE_POOL.browser} → ${now('browser')}** (before: BENCHMARKS.md of commit ${BEFORE_POOL.commit}, measured on an earlier day's machine, and this machine kind drifts up to 2× between sessions, so read the pair as a rough comparison; after: this run${smoke ? ', a smoke run at K ≤ 2 only, not a capacity' : ''}).`;
}

function failureLines(points: Point[]): string[] {
  return points.filter((p) => p.failed + p.aborted > 0)
    .map((p) => `- ${p.series} K=${p.k}: first failure (else abort) per target: ${Object.entries(p.reasons).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([r, n]) => `${n}× ${r}`).join('; ')}`);
}

function howCpuIsSplit(points: Point[]): string {
  const rest = Math.max(0, ...points.map(restCpuMs));
  return `Where the CPU goes: \`/proc/<pid>/stat\` (utime + stime, and cutime + cstime for the children a process reaped) of every live process under the runner, read when the first cycle starts and when its last target's cycle line appears, grouped by \`/proc/<pid>/comm\`. \`runner CPU s\` is the runner's own Node process (event loop, Playwright's client, the sinks, GC and libuv threads: it can pass one core); \`Chromium CPU s\` is every \`chromium\` process (browser, zygotes, GPU, renderers) with the renderers they reaped during the cycle; each run is one cycle of a fresh process, so Chromium's figure includes launching the browser, which a long-running runner does once. A process that exited during the cycle is lost from a /proc walk unless a live process of the tree reaped it; what the runner process itself reaped (a Chromium that exited mid-cycle) and tsx's esbuild are in the tree column but in neither split column: at most ${s1(rest)} CPU s a cycle in this run.`;
}

/** Where a series first had an unclean cycle, in words for the prose: measured, never assumed. */
function firstBreak(points: Point[], series: string, why: string): string {
  const mine = points.filter((p) => p.series === series);
  if (mine.length === 0) return 'not run here';
  const bad = mine.find((p) => !clean(p));
  return bad ? `first unclean cycle here: K = ${bad.k}, ${why}` : `no unclean cycle here up to K = ${mine.at(-1)!.k}`;
}

function whatBoundsIt(points: Point[]): string {
  const contexts = runnerKey('BROWSER_CONTEXTS');
  const leaseMs = runnerKey('API_JOURNEY_LEASE_MS');
  return [
    `What bounds it: the scheduler runs every target of a cycle at once (one \`Promise.all\`), and inside a target the journeys are pooled. API journeys run in a lane: one after another while they are quick, as a user's calls come, and once one has run \`API_JOURNEY_LEASE_MS\` (${leaseMs} ms here) the rest start beside it, so a slow or hung journey costs only itself, not the journeys queued behind it. Browser journeys run in \`BROWSER_CONTEXTS\` (${contexts} here) browser contexts shared by every target of the runner and handed out fairly — no target holds more than its share (the slots over the targets, at least one), a freed slot goes to the waiting target that holds the fewest — starting once the target's API journeys are done (or after 1.5 s), a different browser journey first each cycle.`,
    `So the two series are bound differently. API targets all run side by side on the runner's one Node event loop: as K grows the cores fill (\`runner CPU s\` against the wall time says how close the runner's own process came to one core; the sandboxes share the same cores), every call is stretched, and journeys fail their latency budgets (${firstBreak(points, 'api', 'the reasons above')}) — a runner on a busy machine reports its own slowness as the target's. Browser journeys no longer all run at once: ${contexts} at a time whatever K, so a cycle's wall time grows with K, at about K × one journey's time ÷ ${contexts}, and the bound to expect is the cycle deadline (${firstBreak(points, 'browser', 'the reasons above say whether by aborts or failures')}) — a browser journey that gets no slot before it, or that the runner started late and the deadline cut, is \`aborted\` (deadline), not failed, so too many browser targets show as aborted journeys, not as a red target; whether CPU, Chromium's share of it, and peak RSS stay flat per target as K grows is what the table measures. The wall-time extrapolation is an upper bound either way: the honest capacity is the measured K with a clean cycle, with headroom left.`,
    `What would lift it: more \`BROWSER_CONTEXTS\` on a machine with the cores and memory for them (each is a renderer), and several runners — each owning a slice of the targets file (a Deployment per slice or a sharded StatefulSet), which scales out since runners share nothing but the Pushgateway. For comparison, before the pool (BENCHMARKS.md of commit ${BEFORE_POOL.commit}): ${BEFORE_POOL.api} API targets and ${BEFORE_POOL.browser} browser targets, when each target ran its journeys one after another and all targets at once (K browser pages at a time); the "before → after" line above sets them beside this run.`,
  ].join(' ');
}

async function main() {
  const sandboxes: Array<Awaited<ReturnType<typeof startSandbox>>> = [];
  const points: Point[] = [];
  const notes: string[] = [];
  try {
    for (let i = 0; i < SANDBOXES; i++) sandboxes.push(await startSandbox());
    const urls = sandboxes.map((s) => s.url);
    for (const s of SERIES) {
      for (const k of s.ks) {
        let p: Point;
        try {
          p = await one(s.name, s.args, k, urls);
        } catch (e) {
          notes.push((e as Error).message.split('\n')[0]!);
          break;
        }
        points.push(p);
        process.stderr.write(`scale: ${s.name} K=${k}: cycle ${p.cycleMs} ms, cpu ${p.cpuMs} ms (runner ${p.runnerCpuMs}, chromium ${p.chromiumCpuMs}), peak ${p.peakRssMiB.toFixed(0)} MiB, ${p.passed}/${p.journeys} passed\n`);
        if (p.cycleMs > STOP_AT_MS || p.passed < p.journeys / 2) break;
      }
    }
    if (!smoke) await plot(points);
  } finally {
    for (const s of sandboxes) s.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const ext = Object.fromEntries(SERIES.map((s) => [s.name, extrapolate(points.filter((p) => p.series === s.name))]));
  const md = [
    '## Scale',
    '',
    `One runner process, one cycle (\`run --every 60s --cycles 1 --targets FILE.json\`, RETRIES=0, no Pushgateway, BROWSER_CONTEXTS=${runnerKey('BROWSER_CONTEXTS')}, API_JOURNEY_LEASE_MS=${runnerKey('API_JOURNEY_LEASE_MS')}) over K targets: K target names pointing round-robin at ${SANDBOXES} sandbox process${SANDBOXES > 1 ? 'es' : ''} on the same machine (so the sandboxes' CPU competes with the runner's, as a real target's would not). API: every API journey per target (\`--project api\`); browser: \`--journey b2c-browser\` (desktop) per target. ${machine()}.`,
    '',
    table(HEAD, points.map(pointRow)),
    '',
    ...capacityLines(points),
    beforeAfterLine(points),
    ...extrapolationLines(points),
    ...cpuLines(points),
    ...failureLines(points),
    ...notes.map((n) => `- stopped: ${n}`),
    '',
    ...(smoke ? [] : ['![Cycle wall time, CPU (tree, runner process, Chromium) and peak RSS against K](bench/plots/scale.png)', '']),
    `Reproduce: \`npx tsx bench/scale.bench.ts\` (\`--smoke\`: K = 1, 2, API only, no plot).`,
    '',
    howCpuIsSplit(points),
    '',
    whatBoundsIt(points),
  ].join('\n');
  writeResult('scale', { machine: machine(), smoke, sandboxes: SANDBOXES, beforePool: BEFORE_POOL, points, extrapolated: ext, notes }, md);
  console.log(md);
}

await main();
