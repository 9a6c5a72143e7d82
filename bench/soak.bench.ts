/**
 * Soak: one `synthetics run --every 100ms` process for ≥ 1,000 accelerated cycles against one
 * sandbox, pushing to a real Pushgateway and writing the results store. Every 100 cycles: the
 * runner's RSS (its own process, and its tree), its open file descriptors (/proc/<pid>/fd) and
 * the results store's size on disk. Goal: ≤ 5 % RSS growth from cycle 100 to the end.
 * Usage: npx tsx bench/soak.bench.ts [--smoke]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MIN_EVERY_MS } from '../src/cli/args.ts';
import { ACCOUNTS_ENV, machine, onLines, ROOT, startSandbox, table, writeResult } from './lib/bench.ts';
import { fdCount, ownRssMiB, treeOf, treeRssMiB } from './lib/tree.ts';

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
const smoke = values.smoke;
const CYCLES = smoke ? 50 : 1_000;
const SAMPLE_EVERY = smoke ? 10 : 100;
const BASELINE_AT = smoke ? 10 : 100;
const EVERY_MS = MIN_EVERY_MS;
const JOURNEYS = 'health';
const GOAL_GROWTH_PCT = 5;

const scratch = mkdtempSync(join(tmpdir(), 'soak-bench-'));
const servicesDir = join(scratch, 'services');
const resultsDir = join(scratch, 'results');

function dirBytes(dir: string): number {
  let sum = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    sum += name.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return sum;
}

interface Sample { cycle: number; elapsedS: number; rssMiB: number; treeRssMiB: number; fds: number; storeKiB: number }

const CYCLE = / cycle (\d+) (\S+): (\d+)\/(\d+) passed(?: \(\d+ flaky\))?, (\d+) failed(?:, (\d+) aborted)? in (\d+) ms/;

async function main() {
  let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let runner: ChildProcess | undefined;
  let servicesStarted = false;
  try {
    sandbox = await startSandbox();
    const envText = execFileSync(join(ROOT, 'scripts/services.sh'), ['start', servicesDir], { encoding: 'utf8' });
    servicesStarted = true;
    const gateway = /PUSHGATEWAY_URL=(\S+)/.exec(envText)![1]!;
    const args = [join(ROOT, 'bin/synthetics.js'), 'run', '--every', `${EVERY_MS}ms`, '--cycles', String(CYCLES), '--journey', JOURNEYS,
      '--target', `canary=${sandbox.url}`, '--results', resultsDir];
    const t0 = performance.now();
    runner = spawn(process.execPath, args, {
      cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...ACCOUNTS_ENV, RETRIES: '0', PUSHGATEWAY_URL: gateway, RUNNER_ID: `soak-bench-${process.pid}`, REGION: 'bench' },
    });
    const pid = runner.pid!;
    const samples: Sample[] = [];
    let passed = 0;
    let failed = 0;
    let lastCycle = 0;
    const cycleMs: number[] = [];
    const onLine = (line: string) => {
      const m = CYCLE.exec(line);
      if (!m) return;
      const n = Number(m[1]);
      passed += Number(m[3]);
      failed += Number(m[5]);
      cycleMs.push(Number(m[7]));
      lastCycle = n;
      if (n % SAMPLE_EVERY === 0 || n === BASELINE_AT) {
        try {
          samples.push({
            cycle: n, elapsedS: (performance.now() - t0) / 1000, rssMiB: ownRssMiB(pid), treeRssMiB: treeRssMiB(pid), fds: fdCount(pid),
            storeKiB: dirBytes(resultsDir) / 1024,
          });
        } catch {
          // the runner exited between the line and the read
        }
      }
    };
    const tail = onLines(runner, onLine);
    const limitMs = smoke ? 25_000 : 240_000;
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        runner!.kill('SIGTERM');
      }, limitMs);
      runner!.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const wallS = (performance.now() - t0) / 1000;
    if (lastCycle < CYCLES) process.stderr.write(`soak: the runner stopped after ${lastCycle} of ${CYCLES} cycles (exit ${code}):\n${tail()}\n`);

    const dedup = [...new Map(samples.map((s) => [s.cycle, s])).values()].sort((a, b) => a.cycle - b.cycle);
    const base = dedup.find((s) => s.cycle === BASELINE_AT) ?? dedup[0];
    const end = dedup.at(-1);
    const pct = (a: number, b: number) => (100 * (b - a)) / a;
    const growth = base && end ? {
      fromCycle: base.cycle, toCycle: end.cycle,
      rssPct: pct(base.rssMiB, end.rssMiB), rssMiB: end.rssMiB - base.rssMiB,
      fds: end.fds - base.fds,
      storeBytesPerCycle: ((end.storeKiB - base.storeKiB) * 1024) / Math.max(1, end.cycle - base.cycle),
      peakRssMiB: Math.max(...dedup.filter((s) => s.cycle >= base.cycle).map((s) => s.rssMiB)),
    } : undefined;
    const sortedMs = [...cycleMs].sort((a, b) => a - b);
    const result = {
      machine: machine(), smoke, cycles: lastCycle, target: CYCLES, everyMs: EVERY_MS, journeys: JOURNEYS, wallS, exit: code,
      journeyRuns: { passed, failed }, cycleMs: { p50: sortedMs[Math.floor(sortedMs.length * 0.5)], p95: sortedMs[Math.floor(sortedMs.length * 0.95)], max: sortedMs.at(-1) },
      samples: dedup, growth, goal: { maxRssGrowthPct: GOAL_GROWTH_PCT }, met: growth ? growth.rssPct <= GOAL_GROWTH_PCT : false,
    };
    const f1 = (n: number) => n.toFixed(1);
    const md = [
      '## Soak',
      '',
      `One runner process, \`run --every ${EVERY_MS}ms --journey ${JOURNEYS}\` (the CLI's floor, MIN_EVERY_MS) against one sandbox, pushing to a real Pushgateway and writing the results store, for ${lastCycle} cycles in ${f1(wallS)} s (${passed} journey runs passed, ${failed} failed; cycle P50 ${result.cycleMs.p50} ms, P95 ${result.cycleMs.p95} ms). ${machine()}.`,
      '',
      table(['cycle', 'elapsed s', 'runner RSS MiB', 'tree RSS MiB', 'open fds', 'results store KiB'],
        dedup.map((s) => [s.cycle, f1(s.elapsedS), f1(s.rssMiB), f1(s.treeRssMiB), s.fds, f1(s.storeKiB)])),
      '',
      growth
        ? `From cycle ${growth.fromCycle} to ${growth.toCycle}: RSS ${growth.rssMiB >= 0 ? '+' : ''}${f1(growth.rssMiB)} MiB (${growth.rssPct >= 0 ? '+' : ''}${f1(growth.rssPct)} %, goal ≤ ${GOAL_GROWTH_PCT} %: **${result.met ? 'met' : 'not met'}**), the highest sample ${f1(growth.peakRssMiB)} MiB (+${f1(pct(base.rssMiB, growth.peakRssMiB))} %: garbage the V8 heap had not yet collected — a sawtooth that falls back to the baseline is not a leak; a leak raises every low point), open fds ${growth.fds >= 0 ? '+' : ''}${growth.fds}, results store +${Math.round(growth.storeBytesPerCycle)} bytes a cycle (append-only NDJSON, bounded by \`RESULTS_RETENTION\` days, not by the process).`
        : 'No samples: the runner did not reach the baseline cycle.',
      '',
      `Reproduce: \`npx tsx bench/soak.bench.ts\` (\`--smoke\`: 50 cycles).`,
      '',
      `What bounds it: RSS is the runner process alone (VmRSS; the tree adds only tsx's esbuild helper, no browser), sampled at cycle lines, so GC timing moves it by a few MiB; one API journey (\`health\`) keeps a cycle short so 1,000 cycles fit in minutes — the full API set per cycle would hold more per cycle (the scrubber's registered tokens grow with every token a journey receives, see test/runner/soak.test.ts). 1,000 cycles at 100 ms is ~17 h of a 60 s cadence in cycle count, not in wall-clock effects (day rollover, gzip, retention are not exercised).`,
    ].join('\n');
    writeResult('soak', result, md);
    console.log(md);
  } finally {
    if (runner && runner.exitCode === null && runner.signalCode === null) {
      for (const p of treeOf(runner.pid!).reverse()) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
    sandbox?.stop();
    if (servicesStarted) try { execFileSync(join(ROOT, 'scripts/services.sh'), ['stop', servicesDir], { stdio: 'ignore' }); } catch { /* already stopped */ }
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
