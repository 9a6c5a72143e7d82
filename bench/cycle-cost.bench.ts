/**
 * What one cycle costs, whole process tree (Chromium included): the warm runner (the production
 * shape) against what a naive cron would do (`npx playwright test` afresh each cycle) and against
 * @elastic/synthetics running the same browser flow, on one sandbox in one run.
 * Usage: npx tsx bench/cycle-cost.bench.ts [--smoke]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM_ARGS, findChromium } from '../src/core/chromium.ts';
import { summarize } from '../src/core/percentiles.ts';
import { ACCOUNTS_ENV, machine, ROOT, startSandbox, table, writeResult } from './lib/bench.ts';
import { rssSampler, treeCpuMs, treeOf } from './lib/tree.ts';

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
const smoke = values.smoke;
/** Bounded: the smoke run stays under 40 s, the default around 3 minutes. */
const PLAN = smoke
  ? { apiWarm: 2, allWarm: 0, b2cWarm: 0, naive: 1, elastic: 0 }
  : { apiWarm: 10, allWarm: 5, b2cWarm: 5, naive: 3, elastic: 3 };
const ELASTIC_VERSION = '1.26';

const scratch = mkdtempSync(join(tmpdir(), 'cycle-cost-'));
const live = new Set<ChildProcess>();

/** Kills a child and everything under it (Chromium runs in its own process group). */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  for (const pid of treeOf(child.pid).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const round = (n: number) => Math.round(n);
const stats = (xs: number[]) => (xs.length ? summarize(xs) : undefined);

// ---------------------------------------------------------------------------------------------
// One command run to its end: wall, CPU of the tree (bash's `times`: every descendant reaped
// along the way, exited ones included) and peak tree RSS (sampled).

interface Run { wallMs: number; cpuMs: number; peakRssMiB: number; code: number | null; tail: string }

function measure(cmd: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('bash', ['-c', '"$@"; rc=$?; times >&3; exit $rc', 'bash', ...cmd], {
      cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    const rss = rssSampler(child.pid!);
    let out = '';
    let times = '';
    child.stdout!.on('data', (d: Buffer) => (out = (out + String(d)).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (out = (out + String(d)).slice(-4000)));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (times += String(d)));
    const timer = setTimeout(() => killTree(child), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      const peakRssMiB = rss.stop();
      // `times`: the shell's own user/sys, then its children's.
      const secs = [...times.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      const cpuMs = ((secs[2] ?? 0) + (secs[3] ?? 0)) * 1000;
      resolve({ wallMs: performance.now() - t0, cpuMs, peakRssMiB, code, tail: out.trim().split('\n').slice(-5).join('\n') });
    });
  });
}

function summarizeRuns(runs: Run[]) {
  return {
    runs: runs.length,
    failed: runs.filter((r) => r.code !== 0).length,
    wallMs: stats(runs.map((r) => r.wallMs)),
    cpuMs: stats(runs.map((r) => r.cpuMs)),
    peakRssMiB: stats(runs.map((r) => r.peakRssMiB)),
  };
}

// ---------------------------------------------------------------------------------------------
// The runner as a child process: its cycle lines time the cycles; the tree's CPU and peak RSS
// are read between them.

const CYCLE = / cycle (\d+) \S+: (\d+)\/(\d+) passed(?: \(\d+ flaky\))?, (\d+) failed(?:, (\d+) aborted)? in (\d+) ms/;

interface Cycle { n: number; passed: number; total: number; failed: number; ms: number; cpuMs: number; peakRssMiB: number; sinceStartMs: number }

async function runner(url: string, label: string, args: string[], warmCycles: number, env: NodeJS.ProcessEnv = {}) {
  const results = join(scratch, `results-${label}`);
  const child = spawn(process.execPath, [join(ROOT, 'bin/synthetics.js'), 'run', ...args, '--base-url', url, '--results', results], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...ACCOUNTS_ENV, RETRIES: '0', PUSHGATEWAY_URL: '', ...env },
  });
  live.add(child);
  const t0 = performance.now();
  const cycles: Cycle[] = [];
  let sampler = rssSampler(child.pid!);
  let lastCpu = 0;
  let log = '';
  const want = 1 + warmCycles;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: ${cycles.length} of ${want} cycles in 150 s:\n${log.slice(-2000)}`)), 150_000);
      // The runner logs its cycle lines on stderr; read both streams.
      const reader = () => {
        let buffered = '';
        return (d: Buffer) => {
        buffered += String(d);
        log = (log + String(d)).slice(-8000);
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const m = CYCLE.exec(line);
          if (!m || cycles.length >= want) continue;
          const cpu = treeCpuMs(child.pid!);
          const peakRssMiB = sampler.stop();
          sampler = rssSampler(child.pid!);
          cycles.push({ n: Number(m[1]), passed: Number(m[2]), total: Number(m[3]), failed: Number(m[4]), ms: Number(m[6]), cpuMs: cpu - lastCpu, peakRssMiB, sinceStartMs: performance.now() - t0 });
          lastCpu = cpu;
          if (cycles.length >= want) {
            clearTimeout(timer);
            resolve();
          }
        }
        };
      };
      child.stdout!.on('data', reader());
      child.stderr!.on('data', reader());
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (cycles.length < want) reject(new Error(`${label}: runner exited ${code} after ${cycles.length} of ${want} cycles:\n${log.slice(-2000)}`));
      });
    });
  } finally {
    sampler.stop();
    killTree(child);
    live.delete(child);
  }
  const [cold, ...warm] = cycles;
  return {
    args: args.join(' '),
    journeysPerCycle: cold!.total,
    failed: cycles.reduce((a, c) => a + c.failed, 0),
    cold: { cycleMs: cold!.ms, sinceSpawnMs: round(cold!.sinceStartMs), cpuMs: cold!.cpuMs, peakRssMiB: round(cold!.peakRssMiB) },
    warm: {
      cycles: warm.length,
      wallMs: stats(warm.map((c) => c.ms)),
      cpuMs: stats(warm.map((c) => c.cpuMs)),
      peakRssMiB: stats(warm.map((c) => c.peakRssMiB)),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The naive way: `npx playwright test` afresh each cycle.

async function naive(url: string, project: 'api' | 'desktop', runs: number) {
  const out: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = join(scratch, `pw-${project}-${i}`);
    out.push(await measure(['npx', 'playwright', 'test', '--project', project, '--reporter', 'dot'], {
      cwd: ROOT, timeoutMs: 90_000,
      env: { ...process.env, ...ACCOUNTS_ENV, BASE_URL: url, PW_RETRIES: '0', RETRIES: '0', RESULTS_DIR: join(dir, 'r'), PW_OUTPUT_DIR: join(dir, 't'), PW_HTML_DIR: join(dir, 'h'), PUSHGATEWAY_URL: '' },
    }));
    if (out.at(-1)!.code !== 0) console.error(`cycle-cost: playwright test --project ${project} exited ${out.at(-1)!.code}:\n${out.at(-1)!.tail}`);
  }
  return summarizeRuns(out);
}

// ---------------------------------------------------------------------------------------------
// @elastic/synthetics on the same flow as journeys/b2c-browser.journey.ts (contract hooks only).

const ELASTIC_JOURNEY = `import { journey, step, expect } from '@elastic/synthetics';

journey('b2c browser', ({ page, params }) => {
  let scholarshipId = '';
  let applicationId = '';
  step('log in', async () => {
    await page.goto(params.url + '/login?next=%2F');
    await page.getByTestId('email').fill(params.email);
    await page.getByTestId('password').fill(params.password);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.getByTestId('login-submit').click()]);
  });
  step('search', async () => {
    await page.goto(params.url + '/');
    await page.getByTestId('search-input').fill('');
    await page.getByTestId('search-submit').click();
    await page.waitForURL((u) => u.pathname === '/search');
    await expect(page.getByTestId('result-item').first()).toBeVisible();
  });
  step('details', async () => {
    await page.getByTestId('result-item').first().click();
    await page.waitForURL((u) => u.pathname.startsWith('/scholarships/'));
    await expect(page.getByTestId('scholarship-title')).not.toBeEmpty();
    scholarshipId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
  });
  step('save', async () => {
    await page.getByTestId('save-button').click();
    await expect(page.getByTestId('saved-indicator')).toBeVisible();
  });
  step('begin application', async () => {
    await page.getByTestId('apply-button').click();
    await page.waitForURL((u) => u.pathname.startsWith('/applications/'));
    applicationId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
  });
  step('draft autosave', async () => {
    const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && /\\/api\\/applications\\/[^/]+\\/draft/.test(new URL(r.url()).pathname));
    await page.getByTestId('essay').fill('Synthetic canary draft, typed by the monitoring suite.');
    expect((await saved).status()).toBe(200);
    await expect(page.getByTestId('autosave-status')).toHaveText(/Saved/);
  });
  step('clean up', async () => {
    const login = await page.request.post(params.url + '/api/auth/login', { data: { email: params.email, password: params.password } });
    const headers = { authorization: 'Bearer ' + (await login.json()).accessToken };
    if (applicationId) await page.request.delete(params.url + '/api/applications/' + encodeURIComponent(applicationId), { headers });
    await page.request.delete(params.url + '/api/saved/' + encodeURIComponent(scholarshipId), { headers });
  });
});
`;

async function elastic(url: string, runs: number) {
  const dir = join(scratch, 'elastic');
  mkdirSync(join(dir, 'journeys'), { recursive: true });
  const install = await measure(['npm', 'install', '--prefix', dir, `@elastic/synthetics@${ELASTIC_VERSION}`, '--no-audit', '--no-fund'], {
    cwd: dir, timeoutMs: 180_000, env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  if (install.code !== 0) return { installed: false as const, why: `npm install @elastic/synthetics@${ELASTIC_VERSION} failed (exit ${install.code}): ${install.tail.split('\n').at(-1)}` };
  writeFileSync(join(dir, 'journeys', 'b2c.journey.ts'), ELASTIC_JOURNEY);
  const params = JSON.stringify({ url, email: ACCOUNTS_ENV.SYNTH_STUDENT_EMAIL, password: ACCOUNTS_ENV.SYNTH_STUDENT_PASSWORD });
  const playwright = JSON.stringify({ executablePath: findChromium(process.env.CHROMIUM_PATH), args: CHROMIUM_ARGS });
  const out: Run[] = [];
  for (let i = 0; i < runs; i++) {
    out.push(await measure(['npx', '@elastic/synthetics', 'journeys', '--params', params, '--playwright-options', playwright, '--screenshots', 'off'], {
      cwd: dir, timeoutMs: 90_000, env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    }));
    if (out.at(-1)!.code !== 0) console.error(`cycle-cost: @elastic/synthetics exited ${out.at(-1)!.code}:\n${out.at(-1)!.tail}`);
  }
  return { installed: true as const, version: ELASTIC_VERSION, installWallMs: round(install.wallMs), ...summarizeRuns(out) };
}

// ---------------------------------------------------------------------------------------------
// The report.

type Stat = ReturnType<typeof summarize> | undefined;
const ms = (s: Stat) => (s ? `${round(s.p50).toLocaleString('en')} / ${round(s.p95).toLocaleString('en')}` : '–');
const mib = (s: Stat) => (s ? `${round(s.p50)} / ${round(s.max)}` : '–');
const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×` : '–');

type RunnerResult = Awaited<ReturnType<typeof runner>>;
type NaiveResult = Awaited<ReturnType<typeof naive>>;
type ElasticResult = Awaited<ReturnType<typeof elastic>>;

function markdown(r: { api: RunnerResult; all?: RunnerResult; b2c?: RunnerResult; b2cBare?: RunnerResult; naiveApi: NaiveResult; naiveDesktop?: NaiveResult; elastic?: ElasticResult }): string {
  const runnerRows = (name: string, x?: RunnerResult) => x ? [
    [`${name}, cold (first cycle of a fresh process)`, x.journeysPerCycle, `${x.cold.cycleMs.toLocaleString('en')} (${x.cold.sinceSpawnMs.toLocaleString('en')} from spawn)`, x.cold.cpuMs.toLocaleString('en'), x.cold.peakRssMiB, x.failed ? `${x.failed} journeys failed` : ''],
    [`${name}, warm (${x.warm.cycles} cycles)`, x.journeysPerCycle, ms(x.warm.wallMs), ms(x.warm.cpuMs), mib(x.warm.peakRssMiB), ''],
  ] : [];
  const naiveRow = (name: string, x?: NaiveResult) => x ? [[`${name} (${x.runs} runs)`, '', ms(x.wallMs), ms(x.cpuMs), mib(x.peakRssMiB), x.failed ? `${x.failed} runs failed` : '']] : [];
  const el = r.elastic;
  const elasticRow = el?.installed ? [[`@elastic/synthetics ${el.version}, b2c browser flow (${el.runs} runs)`, 1, ms(el.wallMs), ms(el.cpuMs), mib(el.peakRssMiB), el.failed ? `${el.failed} runs failed` : '']] : [];
  const rows = [
    ...runnerRows('runner `--project api`', r.api),
    ...runnerRows('runner `--project all` (desktop)', r.all),
    ...runnerRows('runner `--journey b2c-browser`', r.b2c),
    ...runnerRows('runner `--journey b2c-browser`, `EVIDENCE=off`', r.b2cBare),
    ...naiveRow('`npx playwright test --project api`', r.naiveApi),
    ...naiveRow('`npx playwright test --project desktop`', r.naiveDesktop),
    ...elasticRow,
  ];
  const ratios = [
    ['naive `playwright test --project api` CPU ÷ warm runner API cycle CPU (goal ≥ 100×)', ratio(r.naiveApi.cpuMs?.p50, r.api.warm.cpuMs?.p50)],
    ...(r.all && r.naiveDesktop ? [['naive `--project api` + `--project desktop` CPU ÷ warm runner `all` cycle CPU', ratio((r.naiveApi.cpuMs?.p50 ?? 0) + (r.naiveDesktop.cpuMs?.p50 ?? 0), r.all.warm.cpuMs?.p50)]] : []),
    ...(r.b2c && el?.installed ? [
      ['warm b2c-browser cycle CPU ÷ one Elastic run CPU (goal ≤ 1/3)', ratio(r.b2c.warm.cpuMs?.p50, el.cpuMs?.p50)],
      ['the same with `EVIDENCE=off` (no trace recorded, as Elastic)', ratio(r.b2cBare?.warm.cpuMs?.p50, el.cpuMs?.p50)],
      ['warm runner `all` steady peak RSS ÷ one Elastic run peak RSS', ratio(r.all?.warm.peakRssMiB?.p50, el.peakRssMiB?.p50)],
      ['warm b2c-browser steady peak RSS ÷ one Elastic run peak RSS', ratio(r.b2c.warm.peakRssMiB?.p50, el.peakRssMiB?.p50)],
    ] : []),
  ];
  return `## Cycle cost

What one cycle costs the machine, whole process tree (Node, Playwright's driver, Chromium and its
helpers): the warm runner (\`synthetics run --every …\`, the production shape) beside what a naive
cron would do (\`npx playwright test\` afresh each cycle) and beside @elastic/synthetics running the
same B2C browser flow. Sandbox in its own process on 127.0.0.1, \`RETRIES=0\`, no Pushgateway.
Machine: ${machine()}. Reproduce with \`npx tsx bench/cycle-cost.bench.ts\` (about 3 minutes;
\`--smoke\`: API only, under 40 s).

${table(['what', 'journeys', 'wall ms, P50 / P95', 'CPU ms, P50 / P95', 'peak tree RSS MiB, P50 / max', 'note'], rows)}
${el && !el.installed ? `\n@elastic/synthetics: not measured in this run: ${el.why}.\n` : ''}
${table(['ratio (P50s)', 'value'], ratios)}

What bounds each figure:
- **Warm runner**: wall is the cycle's own time from its \`cycle N\` line; CPU is the tree's CPU
  between two cycle lines (\`/proc\`, 10 ms ticks), so it includes the idle wait to the next tick
  (\`--every 1s\`; \`--every 8s\` for \`all\`, whose browser cycle needs the 5 s minimum cycle budget)
  — small, but a ceiling rather than the cycle alone. CPU is counted in 10 ms ticks per process:
  read an API cycle's ~100 ms to ±10–20 ms. Peak RSS is sampled every 50 ms and sums each
  process's RSS (shared pages counted once per process, as \`ps\` does), so it overstates what the
  kernel really holds, the same way for every row.
- **Evidence**: the runner's default \`EVIDENCE=on-failure\` records a Playwright trace (DOM
  snapshots) of every browser attempt, to keep it should the attempt fail; the \`EVIDENCE=off\` row
  shows what that costs. Elastic records none here.
- **Cold cycle**: the first cycle of a fresh runner; its CPU runs from the spawn (tsx transform,
  config, preflight, browser launch), its wall is the cycle line's own figure, with the time from
  spawn beside it.
- **Naive \`playwright test\` and Elastic**: one process tree per run, timed from spawn to exit;
  CPU is bash's \`times\` for its children (every descendant reaped, Chromium included); \`npx\`
  resolution is part of what a cron line would pay. Elastic runs with \`--screenshots off\` (our
  runner takes none), the system Chromium and the same Chromium flags; its journey uses the same
  data-testid hooks and the same API clean-up as \`journeys/b2c-browser.journey.ts\`.
- Figures move with the machine (2× between sessions here): compare rows of one run, as ratios.
  Long-run memory growth is the soak bench's question, not this one's.
`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const sandbox = await startSandbox();
  try {
    const api = await runner(sandbox.url, 'api', ['--every', '1s', '--project', 'api'], PLAN.apiWarm);
    console.error(`cycle-cost: runner api done`);
    const all = PLAN.allWarm ? await runner(sandbox.url, 'all', ['--every', '8s', '--project', 'all'], PLAN.allWarm) : undefined;
    const b2c = PLAN.b2cWarm ? await runner(sandbox.url, 'b2c', ['--every', '1s', '--journey', 'b2c-browser'], PLAN.b2cWarm) : undefined;
    // EVIDENCE=on-failure (the default) traces every browser attempt to keep it if it fails; Elastic traces nothing.
    const b2cBare = PLAN.b2cWarm ? await runner(sandbox.url, 'b2c-bare', ['--every', '1s', '--journey', 'b2c-browser'], PLAN.b2cWarm, { EVIDENCE: 'off' }) : undefined;
    console.error(`cycle-cost: runner browser done`);
    const naiveApi = await naive(sandbox.url, 'api', PLAN.naive);
    const naiveDesktop = smoke ? undefined : await naive(sandbox.url, 'desktop', PLAN.naive);
    console.error(`cycle-cost: naive done`);
    const el = PLAN.elastic ? await elastic(sandbox.url, PLAN.elastic) : undefined;
    const result = { smoke, machine: machine(), plan: PLAN, runner: { api, all, b2c, b2cEvidenceOff: b2cBare }, naive: { api: naiveApi, desktop: naiveDesktop }, elastic: el };
    writeResult('cycle-cost', result, markdown({ api, all, b2c, b2cBare, naiveApi, naiveDesktop, elastic: el }));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const child of live) killTree(child);
    sandbox.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
