/**
 * Chaos soak: one long-running `synthetics run --every 10s --project all` against a canary and a
 * control sandbox (each in its own process), pushing to a real Pushgateway, while faults are
 * injected at seeded random times. Target faults (the canary's checkout answers 500, its search
 * page comes 3 s late, its dashboard page trickles in over 3 s) MUST make the run record failed;
 * runner faults (a Chromium process of the runner SIGKILLed, its Chromium SIGSTOPped for 2–6 s,
 * the machine loaded by two CPU burners for 10–30 s) must NOT make it record failed or flaky.
 * Watches the runner (deaths, with their last log lines, and a restart; missed cycles), samples
 * its RSS, open fds and Chromium count every 30 s, then judges the results store against the
 * fault timeline and writes bench/results/chaos.{md,json}. Exit 0 only when the runner never
 * died, recorded no false failure and missed no target fault; 1 otherwise; 2 on a flag mistake.
 *
 * Usage: npm run chaos -- [--minutes 30] [--every 10s] [--seed N] [--smoke] [--keep]
 *   --smoke   half a minute (unless --minutes says otherwise): the CI smoke (test/bench/chaos-smoke.test.ts)
 *   --keep    keep the results store and the evidence (its path is printed)
 * Bounded: setup, the soak and teardown have a hard limit; everything it starts is killed on exit,
 * on a second SIGINT, or at that limit (a first SIGINT ends the soak early and still reports).
 *
 * Longer than our ~300 lines: its process ownership, fault injection, watching and report share
 * one run's state; the pure half (plan, judgement, log parsing) is bench/lib/chaos.ts, and the
 * split of the rest into modules is left for the layout work (issue 23).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readJourneys, type JourneyLine } from '../reporters/results-store/index.ts';
import { parseDuration } from '../src/config/duration.ts';
import { CONFIG_KEYS } from '../src/config/keys.ts';
import { JOURNEYS } from '../journeys/index.ts';
import {
  classify, classOf, coverage, parseLogLine, planFaults, prng, spread, TARGET_FAULTS,
  type Classification, type FaultRecord, type JourneyCoverage, type PlannedFault, type RunnerFaultKind, type TargetFaultKind,
} from './lib/chaos.ts';
import { ACCOUNTS_ENV, freePort, machine, onLines, RESULTS_DIR, ROOT, startSandbox, table, writeResult } from './lib/bench.ts';
import { allPids, cmdlineOf, commOf, environOf, fdCount, machineBusyMs, ownRssMiB, startTicksOf, treeCpuMs, treeOf, treeRssMiB } from './lib/tree.ts';

const MAX_MINUTES = 240;
const MIN_EVERY_MS = 1_000;
const MAX_EVERY_MS = 300_000;
/** A soak shorter than this many cadences judges nothing. */
const MIN_CYCLES = 3;
const SAMPLE_EVERY_MS = 30_000;
const REMEMBER_EVERY_MS = 2_000;
/** A failed attempt this close to a target fault's edges is still the fault's (see classify). */
const GRACE_MS = 2_000;
/** Setup (sandboxes, Pushgateway) and teardown (the runner's own ≤ 20 s stop, the store read) on top of the soak. */
const SETUP_LIMIT_MS = 90_000;
const TEARDOWN_LIMIT_MS = 90_000;
/** The README promises a signalled runner is gone within 20 s; a little slack for a loaded machine. */
const RUNNER_STOP_LIMIT_MS = 25_000;
/** A runner that keeps dying is not worth restarting forever: the soak ends early and says so. */
const MAX_DEATHS = 20;
/** How long a dead runner's Chromium gets to notice its pipe closed before it counts as left behind. */
const ORPHAN_SETTLE_MS = 3_000;
const LAST_LINES = 20;
/** Cycles a runner may run past the soak's end before it stops by itself (it is SIGTERMed well before). */
const RUNNER_SPARE_CYCLES = 3;
/** Other processes using this much of the machine's CPU make the soak's timings theirs too. */
const FOREIGN_CPU_WARN_PCT = 10;
/** This many aborted runs of a journey in a row is a blind spell worth naming. */
const BLIND_RUNS = 3;
const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';
const CHROMIUM_COMM = /^chrom/;
/** Set in the environment of everything this soak starts, inherited by their children: what it may kill (see Owned). */
const MARKER = 'CHAOS_SOAK_ID';
const ROLE = 'CHAOS_SOAK_ROLE';

// ---------------------------------------------------------------------------------------------
// Flags

interface Options { minutes: number; every: string; everyMs: number; seed: number; smoke: boolean; keep: boolean }

class UsageError extends Error {}

const USAGE = 'usage: npm run chaos -- [--minutes N (up to 240, default 30; --smoke 0.5)] [--every 10s] [--seed N] [--smoke] [--keep]';

const VALUED = new Set(['--minutes', '--every', '--seed']);

function parseOptions(argv: string[]): Options | 'help' {
  // `--seed -1` is a wrong value, not an ambiguous flag: join each valued flag to its value first.
  const args = argv.flatMap((a, i) => (VALUED.has(argv[i - 1] ?? '') && !a.startsWith('--') ? [] : VALUED.has(a) && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? [`${a}=${argv[i + 1]}`] : [a]));
  let values;
  try {
    ({ values } = parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        minutes: { type: 'string' }, every: { type: 'string', default: '10s' }, seed: { type: 'string' },
        smoke: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    throw new UsageError(`${String((e as Error).message).split('\n')[0]!.split('. ')[0]} (${USAGE.slice(7)})`);
  }
  if (values.help) return 'help';
  const minutes = values.minutes === undefined ? (values.smoke ? 0.5 : 30) : Number(values.minutes);
  if (!/^\d+(\.\d+)?$/.test(values.minutes ?? '1') || !(minutes > 0 && minutes <= MAX_MINUTES)) {
    throw new UsageError(`--minutes "${values.minutes}": must be a number of minutes above 0 and at most ${MAX_MINUTES}, e.g. --minutes 30`);
  }
  const everyMs = parseDuration(values.every);
  if (everyMs === undefined || everyMs < MIN_EVERY_MS || everyMs > MAX_EVERY_MS) {
    throw new UsageError(`--every "${values.every}": must be a duration from 1s to 5m, e.g. --every 10s`);
  }
  if (everyMs * MIN_CYCLES > minutes * 60_000) {
    throw new UsageError(`--every ${values.every} with --minutes ${minutes}: fewer than ${MIN_CYCLES} cycles fit; give more --minutes or a shorter --every`);
  }
  if (values.seed !== undefined && !(/^\d{1,10}$/.test(values.seed) && Number(values.seed) < 2 ** 32)) {
    throw new UsageError(`--seed "${values.seed}": must be a whole number from 0 to ${2 ** 32 - 1}`);
  }
  const seed = values.seed === undefined ? randomInt(0, 2 ** 32 - 1) : Number(values.seed);
  return { minutes, every: values.every, everyMs, seed, smoke: values.smoke, keep: values.keep };
}

// ---------------------------------------------------------------------------------------------
// Processes this soak owns

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve) => {
  if (signal?.aborted || ms <= 0) return resolve();
  const timer = setTimeout(done, ms);
  function done() {
    clearTimeout(timer);
    signal?.removeEventListener('abort', done);
    resolve();
  }
  signal?.addEventListener('abort', done);
});

const signalQuietly = (pid: number, signal: NodeJS.Signals): boolean => {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // gone already
  }
};

/** Running: it exists and is not a zombie (dead, its parent has not reaped it yet). */
const alive = (pid: number): boolean => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/**
 * Exactly what this soak started: children spawned detached (each its own process group), what
 * they started in turn through an environment marker every descendant inherits, and, since
 * Chromium starts its zygotes with an empty environment, every process seen under the runner
 * (remembered by pid and start time, so a reused pid is never taken for it). Orphans included
 * (a SIGKILLed runner's Chromium). Nothing else is ever signalled.
 */
class Owned {
  readonly id = randomBytes(8).toString('hex');
  private readonly groups = new Set<number>();
  private readonly known = new Map<number, number>();

  /** The environment of a child in `role`. */
  env(role: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...extra, [MARKER]: this.id, [ROLE]: role };
  }

  spawnGroup(command: string, args: string[], role: string, options: { env?: Record<string, string>; cwd?: string; stdio?: 'pipe' | 'ignore' } = {}): ChildProcess {
    const child = spawn(command, args, {
      cwd: options.cwd, detached: true, env: this.env(role, options.env), stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
    });
    if (child.pid !== undefined) {
      this.groups.add(child.pid);
      child.once('exit', () => this.groups.delete(child.pid!));
    }
    return child;
  }

  killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    signalQuietly(-pid, signal);
  }

  /** Remembers everything under `root` now. */
  remember(root: number): void {
    for (const pid of treeOf(root)) {
      const start = startTicksOf(pid);
      if (start !== undefined) this.known.set(pid, start);
    }
  }

  /** Remembered processes still running (the same ones: same start time), and what is under them now. */
  private remembered(): number[] {
    const out = new Set<number>();
    for (const [pid, start] of this.known) {
      if (startTicksOf(pid) !== start || !alive(pid)) {
        this.known.delete(pid);
        continue;
      }
      for (const p of treeOf(pid)) if (alive(p)) out.add(p);
    }
    return [...out];
  }

  /** Live processes carrying this soak's marker (in `role`, when given), never this process. */
  marked(role?: string): number[] {
    return allPids().filter((pid) => {
      if (pid === process.pid) return false;
      const env = environOf(pid);
      return env.get(MARKER) === this.id && (!role || env.get(ROLE) === role) && alive(pid);
    });
  }

  /** What is still running of the runner's (marked `runner`, or remembered under a runner), or of everything. */
  alive(scope: 'runner' | 'all'): Array<{ pid: number; what: string }> {
    const pids = new Set([...this.marked(scope === 'runner' ? 'runner' : undefined), ...this.remembered()]);
    return [...pids].map((pid) => {
      const comm = commOf(pid) ?? '?';
      return { pid, what: `${comm} (pid ${pid}${CHROMIUM_COMM.test(comm) ? `, ${typeOf(pid)}` : `, ${environOf(pid).get(ROLE) ?? 'unmarked'}`})` };
    });
  }

  /** SIGKILL every group, every marked and every remembered process; synchronous, so it also runs on 'exit'. */
  killAll(): void {
    for (const pid of this.groups) this.killGroup(pid);
    for (const pid of new Set([...this.marked(), ...this.remembered()])) {
      signalQuietly(pid, 'SIGKILL');
      signalQuietly(pid, 'SIGCONT'); // a SIGSTOPped process still dies, but leave nothing stopped
    }
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** A real Pushgateway on 127.0.0.1, no persistence; its own process group. */
async function startPushgateway(owned: Owned, lifetimeMs: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  // Under coreutils' timeout: should this process be SIGKILLed, the gateway still goes at the hard limit.
  const child = owned.spawnGroup('timeout', ['-s', 'KILL', `${Math.ceil(lifetimeMs / 1000)}`, PUSHGATEWAY_BIN, `--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], 'pushgateway');
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${PUSHGATEWAY_BIN} exited (${child.exitCode}) before it was ready on ${url}`);
    if (await httpOk(`${url}/-/ready`)) return { url, child };
    await sleep(200);
  }
  throw new Error(`${PUSHGATEWAY_BIN} not ready on ${url} within 15 s`);
}

/** The runner's Chromium: every `chromium` process under its pid right now (renderers, GPU, zygotes, the browser). */
function chromiumUnder(root: number): number[] {
  return treeOf(root).filter((pid) => pid !== root && CHROMIUM_COMM.test(commOf(pid) ?? ''));
}

const typeOf = (pid: number) => /--type=(\S+)/.exec(cmdlineOf(pid))?.[1] ?? 'browser';

// ---------------------------------------------------------------------------------------------
// The runner, watched and restarted

interface Death {
  at: number;
  generation: number;
  pid: number;
  code: number | null;
  signal: string | null;
  upMs: number;
  lastLines: string[];
  /** Processes of the dead runner still alive a few seconds later (then killed). */
  leftBehind: string[];
}

interface CycleStats { cycles: number; passed: number; failed: number; flaky: number; aborted: number; maxMs: number }

class RunnerWatch {
  generation = 0;
  child?: ChildProcess;
  private startedAt = 0;
  private stopping = false;
  private lines: string[] = [];
  readonly deaths: Death[] = [];
  readonly perTarget = new Map<string, CycleStats>();
  readonly skipped: Array<{ at: number; cycle: number; tookMs: number; skipped: number }> = [];
  readonly runnerErrors: string[] = [];
  private restarting?: Promise<void>;

  constructor(
    private readonly spawnRunner: () => ChildProcess,
    private readonly owned: Owned,
    private readonly log: WriteStream,
    private readonly onGiveUp: (why: string) => void,
  ) {}

  get pid(): number | undefined {
    const child = this.child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  start(): void {
    this.generation += 1;
    const generation = this.generation;
    const child = this.spawnRunner();
    this.child = child;
    this.startedAt = Date.now();
    this.lines = [];
    onLines(child, (line) => this.onLine(generation, line));
    child.once('exit', (code, signal) => this.onExit(child, generation, code, signal));
    if (!this.log.writableEnded) this.log.write(`--- chaos: runner generation ${generation} started, pid ${child.pid} at ${new Date().toISOString()}\n`);
  }

  private onLine(generation: number, line: string): void {
    // A stopped runner's last output can arrive after its exit, when the log is closed.
    if (!this.log.writableEnded) this.log.write(`[${generation}] ${line}\n`);
    if (generation === this.generation) this.lines = [...this.lines.slice(-(LAST_LINES - 1)), line];
    const event = parseLogLine(line);
    if (!event) return;
    if (event.type === 'cycle') {
      const s = this.perTarget.get(event.target) ?? { cycles: 0, passed: 0, failed: 0, flaky: 0, aborted: 0, maxMs: 0 };
      s.cycles += 1;
      s.passed += event.passed;
      s.failed += event.failed;
      s.flaky += event.flaky;
      s.aborted += event.aborted;
      s.maxMs = Math.max(s.maxMs, event.ms);
      this.perTarget.set(event.target, s);
    } else if (event.type === 'skipped') {
      this.skipped.push({ at: Date.now(), cycle: event.cycle, tookMs: event.tookMs, skipped: event.skipped });
    } else {
      this.runnerErrors.push(line);
    }
  }

  private onExit(child: ChildProcess, generation: number, code: number | null, signal: string | null): void {
    if (this.stopping) return;
    const at = Date.now();
    const lastLines = [...this.lines];
    process.stderr.write(`chaos: RUNNER DEATH (generation ${generation}, pid ${child.pid}, exit ${code ?? signal}); restarting\n`);
    this.restarting = (async () => {
      // The runner's own group first (tsx's helper), then whatever it started that outlived it.
      this.owned.killGroup(child.pid!);
      await sleep(ORPHAN_SETTLE_MS);
      const left = this.owned.alive('runner');
      for (const p of left) signalQuietly(p.pid, 'SIGKILL');
      this.deaths.push({ at, generation, pid: child.pid!, code, signal, upMs: at - this.startedAt, lastLines, leftBehind: left.map((p) => p.what) });
      if (this.stopping) return;
      if (this.deaths.length >= MAX_DEATHS) return this.onGiveUp(`the runner died ${this.deaths.length} times`);
      this.start();
    })();
  }

  /** SIGTERM, as a supervisor would; SIGKILL to the group if it is not gone within the README's bound. */
  async stop(): Promise<{ code: number | null; signal: string | null; ms: number; forced: boolean } | undefined> {
    this.stopping = true;
    await this.restarting;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
    const started = Date.now();
    signalQuietly(child.pid!, 'SIGTERM');
    let forced = false;
    if (!(await waitForExit(child, RUNNER_STOP_LIMIT_MS))) {
      forced = true;
      this.owned.killGroup(child.pid!);
      await waitForExit(child, 5_000);
    }
    return { code: child.exitCode, signal: child.signalCode, ms: Date.now() - started, forced };
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

interface FaultContext {
  canaryUrl: string;
  watch: RunnerWatch;
  owned: Owned;
  /** Picks Chromium victims: seeded, like the plan. */
  random: () => number;
  stop: AbortSignal;
}

async function sandboxCall(base: string, method: 'POST' | 'DELETE', body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/__sandbox/faults`, {
    method, signal: AbortSignal.timeout(5_000),
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** Clears the canary's faults; retried, since a canary left broken would blame every later failure on the soak. */
async function clearCanary(base: string): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    try {
      if ((await sandboxCall(base, 'DELETE')).status === 204) return true;
    } catch {
      // loaded machine: try again
    }
    await sleep(500);
  }
  return false;
}

async function targetFault(kind: TargetFaultKind, durationMs: number, ctx: FaultContext): Promise<FaultRecord> {
  const spec = TARGET_FAULTS[kind];
  const record = (startMs: number, endMs: number, detail: string, injected: boolean): FaultRecord => ({
    kind, class: 'target', target: 'canary', affects: [...spec.affects], startMs, endMs, detail, injected,
  });
  const asked = Date.now();
  let reply;
  try {
    reply = await sandboxCall(ctx.canaryUrl, 'POST', spec.body);
  } catch (e) {
    return record(asked, Date.now(), `POST /__sandbox/faults failed: ${(e as Error).message}`, false);
  }
  if (reply.status !== 201) return record(asked, Date.now(), `the sandbox refused it: ${reply.status} ${reply.text.slice(0, 200)}`, false);
  // From here on the fault is surely on; until the DELETE is sent it surely still is.
  const startMs = Date.now();
  await sleep(durationMs, ctx.stop);
  const endMs = Date.now();
  const cleared = await clearCanary(ctx.canaryUrl);
  return record(startMs, endMs, `${JSON.stringify(spec.body)}${cleared ? '' : '; CLEAR FAILED'}`, true);
}

async function runnerFault(kind: RunnerFaultKind, durationMs: number, ctx: FaultContext): Promise<FaultRecord> {
  const record = (startMs: number, endMs: number, detail: string, injected = true): FaultRecord => ({
    kind, class: 'runner', affects: [], startMs, endMs, detail, injected,
  });
  const now = Date.now();
  if (kind === 'cpu-load') {
    // Two busy loops on a two-core machine: every process (runner, browser, sandboxes) gets a share.
    // Each burner also stops itself a little after its time, should this process die without killing it.
    const burn = `const end = Date.now() + ${durationMs + 5_000}; while (Date.now() < end) {}`;
    const burners = [0, 1].map(() => ctx.owned.spawnGroup(process.execPath, ['-e', burn], 'cpu-load'));
    try {
      await sleep(durationMs, ctx.stop);
    } finally {
      for (const b of burners) if (b.pid) ctx.owned.killGroup(b.pid);
    }
    return record(now, Date.now(), `2 CPU burners (pids ${burners.map((b) => b.pid).join(', ')})`);
  }
  const runnerPid = ctx.watch.pid;
  if (runnerPid !== undefined) ctx.owned.remember(runnerPid);
  const chromium = runnerPid === undefined ? [] : chromiumUnder(runnerPid);
  if (chromium.length === 0) return record(now, now, `no Chromium under the runner${runnerPid === undefined ? ' (runner not running)' : ` (pid ${runnerPid})`}`, false);
  if (kind === 'chromium-kill') {
    const victim = chromium[Math.floor(ctx.random() * chromium.length)]!;
    const type = typeOf(victim);
    signalQuietly(victim, 'SIGKILL');
    return record(now, now, `SIGKILL ${type} (pid ${victim}) of ${chromium.length} Chromium processes`);
  }
  // chromium-stop: the whole browser freezes, as under a hung GPU or a swapping machine.
  const stopped = chromium.filter((pid) => signalQuietly(pid, 'SIGSTOP'));
  try {
    await sleep(durationMs, ctx.stop);
  } finally {
    for (const pid of stopped) signalQuietly(pid, 'SIGCONT');
  }
  return record(now, Date.now(), `SIGSTOP ${stopped.length} Chromium processes, then SIGCONT`);
}

function runFault(f: PlannedFault, ctx: FaultContext): Promise<FaultRecord> {
  return classOf(f.kind) === 'target' ? targetFault(f.kind as TargetFaultKind, f.durationMs, ctx) : runnerFault(f.kind as RunnerFaultKind, f.durationMs, ctx);
}

/** One lane of the plan, one fault at a time, each at its planned offset from `t0`. */
async function runLane(plan: PlannedFault[], t0: number, ctx: FaultContext, timeline: FaultRecord[]): Promise<void> {
  for (const f of plan) {
    await sleep(t0 + f.atMs - Date.now(), ctx.stop);
    if (ctx.stop.aborted) return;
    const record = await runFault(f, ctx);
    timeline.push(record);
    const s = (ms: number) => ((ms - t0) / 1000).toFixed(1);
    process.stderr.write(`chaos: +${s(record.startMs)}–${s(record.endMs)} s ${record.kind} (${record.class}${record.injected ? '' : ', NOT injected'}): ${record.detail}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Samples

interface Sample {
  elapsedS: number; pid: number; rssMiB: number; treeRssMiB: number; fds: number; chromium: number;
  /** The machine's 1-minute load average. */
  load1: number;
  /** Share of the machine's CPU used since the last sample by processes this soak did not start (another job on a shared machine). */
  foreignCpuPct: number;
}

/**
 * CPU the machine spent on processes this soak did not start: on a shared machine another job's
 * load makes the runner slow exactly as the cpu-load fault does, and the report must say so.
 */
class ForeignCpu {
  private last = this.now();
  readonly first = this.last;

  private now() {
    return { at: Date.now(), busy: machineBusyMs(), ours: treeCpuMs(process.pid) };
  }

  /** Since `from`, as a share of all cores, in %. */
  static pct(from: { at: number; busy: number; ours: number }, to: { at: number; busy: number; ours: number }): number {
    const wallMs = Math.max(1, to.at - from.at) * availableParallelism();
    return Math.max(0, (100 * (to.busy - from.busy - (to.ours - from.ours))) / wallMs);
  }

  sinceLast(): number {
    const now = this.now();
    const pct = ForeignCpu.pct(this.last, now);
    this.last = now;
    return pct;
  }

  sinceStart(): number {
    return ForeignCpu.pct(this.first, this.now());
  }
}

function sampleRunner(pid: number | undefined, t0: number, foreign: ForeignCpu): Sample | undefined {
  if (pid === undefined) return undefined;
  try {
    return {
      elapsedS: (Date.now() - t0) / 1000, pid, rssMiB: ownRssMiB(pid), treeRssMiB: treeRssMiB(pid), fds: fdCount(pid), chromium: chromiumUnder(pid).length,
      load1: loadavg()[0]!, foreignCpuPct: foreign.sinceLast(),
    };
  } catch {
    return undefined; // it exited between the check and the read
  }
}

// ---------------------------------------------------------------------------------------------
// The report

interface Result {
  command: string;
  /** The environment marker of everything this run started (a test checks none is left). */
  marker: string;
  machine: string;
  minutes: number;
  every: string;
  seed: number;
  soakS: number;
  /** Share of the machine's CPU that processes this soak did not start used during it, %. */
  foreignCpuPct: number;
  interrupted?: string;
  sandboxes: { canary: string; control: string };
  plan: { target: PlannedFault[]; runner: PlannedFault[] };
  timeline: Array<FaultRecord & { verdict: string; startS: number; endS: number }>;
  faultsByKind: Record<string, { class: string; injected: number; notInjected: number; seconds: number; detected: number; missed: number; unjudged: number }>;
  deaths: Death[];
  cycles: Record<string, CycleStats & { expected: number }>;
  skipped: RunnerWatch['skipped'];
  runnerErrors: string[];
  runnerStop?: Awaited<ReturnType<RunnerWatch['stop']>>;
  leftBehind: string[];
  samples: Sample[];
  coverage: JourneyCoverage[];
  classification: Classification;
  verdict: { pass: boolean; deaths: number; falseFailures: number; missedTargetFaults: number };
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const clockS = (ms: number, t0: number) => `+${((ms - t0) / 1000).toFixed(1)} s`;
const oneLine = (text: string, max = 160) => {
  const line = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function markdown(r: Result, t0: number): string {
  const c = r.classification;
  const verdict = r.verdict.pass
    ? `**Verdict: PASS**: no runner death, no false failure, no missed target fault.`
    : `**Verdict: FAIL**: ${r.interrupted ? `cut short (${r.interrupted}); ` : ''}${r.verdict.deaths} runner death(s), ${r.verdict.falseFailures} false failure(s), ${r.verdict.missedTargetFaults} missed target fault(s).`;
  const resource = (name: string, pick: (s: Sample) => number) => {
    const s = spread(r.samples.map(pick));
    return s ? [name, f1(s.min), f1(s.max), f1(s.first), f1(s.last)] : [name, '–', '–', '–', '–'];
  };
  const unjudged = c.faults.filter((v) => v.verdict === 'unjudged');
  const blind = r.coverage.filter((x) => (x.longestAborted?.runs ?? 0) >= BLIND_RUNS);
  const out = [
    '## Chaos',
    '',
    `One runner, \`synthetics run --every ${r.every} --project all\` with the suite's default configuration (budgets, retries, evidence) against a canary and a control sandbox (each its own process) with a real Pushgateway, for ${r.minutes} minute(s) (${f1(r.soakS)} s of soak), faults injected at seeded random times (seed ${r.seed}). ${r.machine}.${r.interrupted ? ` **Cut short: ${r.interrupted}.**` : ''}`,
    '',
    `Other processes on this machine (not started by this soak) used ${f1(r.foreignCpuPct)} % of its CPU during the soak${r.foreignCpuPct >= FOREIGN_CPU_WARN_PCT ? ` (**a shared machine: their load slows the runner as the cpu-load fault does; read budget breaches with that in mind**)` : ''}.`,
    '',
    `Reproduce: \`${r.command}\` (the same seed gives the same fault plan; what the runner does under it varies).`,
    '',
    verdict,
    ...(unjudged.length ? ['', `Not judged: ${unjudged.length} of ${c.faults.filter((v) => v.fault.class === 'target' && v.fault.injected).length} target fault(s): no attempt of an affected journey ran wholly inside them (they were aborted or never started), so the run could not have recorded them.`] : []),
    '',
    '### Faults injected',
    '',
    'Target faults hit the canary only and must be recorded failed by the journeys that cross their route; runner faults must never be recorded as failed or flaky.',
    '',
    table(['kind', 'class', 'injected', 'not injected', 'seconds on', 'detected', 'missed', 'unjudged'],
      Object.entries(r.faultsByKind).map(([kind, k]) => [kind, k.class, k.injected, k.notInjected, f1(k.seconds), k.class === 'target' ? k.detected : '–', k.class === 'target' ? k.missed : '–', k.class === 'target' ? k.unjudged : '–'])),
    '',
    '<details><summary>Timeline</summary>',
    '',
    table(['start', 'end', 'kind', 'class', 'what', 'verdict'],
      r.timeline.map((f) => [`+${f1(f.startS)} s`, `+${f1(f.endS)} s`, f.kind, f.class, oneLine(f.detail, 120), f.verdict])),
    '',
    '</details>',
    '',
    `### Runner deaths: ${r.deaths.length}`,
    '',
    ...r.deaths.flatMap((d) => [
      `- ${clockS(d.at, t0)}: generation ${d.generation} (pid ${d.pid}) exited ${d.signal ?? `with code ${d.code}`} after ${f1(d.upMs / 1000)} s${d.leftBehind.length ? `; left behind: ${d.leftBehind.join(', ')}` : ''}. Its last ${d.lastLines.length} log lines:`,
      '',
      '  ```',
      ...d.lastLines.map((l) => `  ${l}`),
      '  ```',
      '',
    ]),
    `### False failures: ${c.falseFailures.length}`,
    '',
    c.falseFailures.length
      ? table(['at', 'journey', 'device', 'target', 'attempt', 'journey outcome', 'reason', 'overlapping faults'],
        c.falseFailures.map((x) => [clockS(Date.parse(x.startedAt), t0), x.journey, x.device, x.target, x.attempt, x.outcome, oneLine(x.reason),
          x.overlapping.length ? x.overlapping.map((o) => `${o.kind} (${o.class}, ${clockS(o.startMs, t0)})`).join(', ') : 'none']))
      : 'None: every failed attempt overlapped a target fault on its own route.',
    '',
    `### Missed target faults: ${c.missed.length}`,
    '',
    ...(c.missed.length
      ? c.missed.map((m) => `- ${m.fault.kind} ${clockS(m.fault.startMs, t0)}–${clockS(m.fault.endMs, t0)} (\`${m.fault.detail}\`): ${m.inside.length} attempt(s) ran wholly inside it, none failed: ${m.inside.map((a) => `${a.journey}/${a.device} ${a.status} at ${clockS(Date.parse(a.startedAt), t0)}${a.reason ? ` (${oneLine(a.reason, 140)})` : ''}`).join('; ')}`)
      : ['None.']),
    '',
    `### Cycles`,
    '',
    table(['target', 'cycles logged', 'expected ticks', 'journey runs passed', 'flaky', 'failed', 'aborted', 'longest cycle ms'],
      Object.entries(r.cycles).map(([t, s]) => [t, s.cycles, s.expected, s.passed, s.flaky, s.failed, s.aborted, s.maxMs])),
    '',
    `Missed cycles (the runner's own \`cycle(s) skipped\` lines): ${r.skipped.reduce((a, s) => a + s.skipped, 0)} tick(s) in ${r.skipped.length} long cycle(s)${r.skipped.length ? ` (longest ${Math.max(...r.skipped.map((s) => s.tookMs))} ms)` : ''}. Runner errors: ${r.runnerErrors.length}${r.runnerErrors.length ? ` (first: \`${oneLine(r.runnerErrors[0]!)}\`)` : ''}. Store: ${c.attempts.passed} attempts passed, ${c.attempts.failed} failed, ${c.attempts.aborted} aborted (${Object.entries(c.attempts.abortedBy).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}); journey outcomes ${Object.entries(c.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    `Blind spells (${BLIND_RUNS} or more runs of a journey aborted in a row: it judged nothing meanwhile): ${blind.length ? '' : 'none.'}`,
    '',
    ...blind.map((x) => `- ${x.target} ${x.journey}/${x.device}: ${x.longestAborted!.runs} runs aborted in a row, ${clockS(Date.parse(x.longestAborted!.from), t0)} to ${clockS(Date.parse(x.longestAborted!.to), t0)} (${x.aborted} of ${x.passed + x.flaky + x.failed + x.aborted} runs aborted in all); the last: \`${oneLine(x.longestAborted!.lastReason, 140)}\``),
    ...(blind.length ? [''] : []),
    '<details><summary>Journey runs per target (outcomes from the store)</summary>',
    '',
    table(['target', 'journey', 'device', 'passed', 'flaky', 'failed', 'aborted'], r.coverage.map((x) => [x.target, x.journey, x.device, x.passed, x.flaky, x.failed, x.aborted])),
    '',
    '</details>',
    '',
    `Stop: ${r.runnerStop ? `SIGTERM → exit ${r.runnerStop.signal ?? r.runnerStop.code} in ${f1(r.runnerStop.ms / 1000)} s${r.runnerStop.forced ? ' (**did not stop within 25 s: SIGKILLed**)' : ''}` : 'the runner was not running'}; processes left behind after everything was stopped: ${r.leftBehind.length ? r.leftBehind.join(', ') : 'none'}.`,
    '',
    '### Runner resources',
    '',
    `Sampled every ${SAMPLE_EVERY_MS / 1000} s and at the end (${r.samples.length} samples; RSS of the runner process and of its whole tree, Chromium included; fds of the runner process).`,
    '',
    table(['measure', 'min', 'max', 'first', 'last'], [
      resource('runner RSS MiB', (s) => s.rssMiB), resource('tree RSS MiB', (s) => s.treeRssMiB),
      resource('open fds', (s) => s.fds), resource('Chromium processes', (s) => s.chromium),
      resource('machine load (1 min)', (s) => s.load1), resource('other processes\' CPU %', (s) => s.foreignCpuPct),
    ]),
    '',
    '<details><summary>Samples</summary>',
    '',
    table(['elapsed s', 'runner pid', 'RSS MiB', 'tree RSS MiB', 'fds', 'Chromium', 'load 1 min', 'other CPU %'],
      r.samples.map((s) => [f1(s.elapsedS), s.pid, f1(s.rssMiB), f1(s.treeRssMiB), s.fds, s.chromium, s.load1.toFixed(2), f1(s.foreignCpuPct)])),
    '',
    '</details>',
    '',
    `How it judges: a failed attempt is a **false failure** unless a target fault on its target that affects its journey was on during it (±${GRACE_MS / 1000} s); a flaky journey whose failed attempt overlapped only runner faults is one too. A target fault is **missed** when an attempt of an affected journey ran wholly inside it (an aborted one too: it met the fault and called it the runner's trouble; not one that never started) and no affected attempt overlapping it failed; **unjudged** when none ran wholly inside. Affected journeys: ${Object.entries(TARGET_FAULTS).map(([k, s]) => `${k} \`${JSON.stringify(s.body)}\` → ${s.affects.join(', ')}`).join('; ')}.`,
  ];
  return out.join('\n');
}

function summarise(c: Classification): Result['faultsByKind'] {
  const byKind: Result['faultsByKind'] = {};
  for (const v of c.faults) {
    const f = v.fault;
    const k = (byKind[f.kind] ??= { class: f.class, injected: 0, notInjected: 0, seconds: 0, detected: 0, missed: 0, unjudged: 0 });
    if (f.injected) k.injected += 1;
    else k.notInjected += 1;
    if (f.injected) k.seconds += (f.endMs - f.startMs) / 1000;
    if (v.verdict === 'detected') k.detected += 1;
    if (v.verdict === 'missed') k.missed += 1;
    if (v.verdict === 'unjudged') k.unjudged += 1;
  }
  return byKind;
}

// ---------------------------------------------------------------------------------------------
// The soak

async function readStore(dir: string): Promise<JourneyLine[]> {
  const lines: JourneyLine[] = [];
  for await (const line of readJourneys(dir)) lines.push(line);
  return lines;
}

async function soak(opts: Options, owned: Owned, interrupt: AbortController): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'chaos-'));
  const resultsDir = join(scratch, 'results');
  const command = `npm run chaos -- --minutes ${opts.minutes} --every ${opts.every} --seed ${opts.seed}`;
  const soakMs = opts.minutes * 60_000;
  const plan = planFaults(opts.seed, soakMs, opts.everyMs);
  for (const id of Object.values(TARGET_FAULTS).flatMap((s) => s.affects)) {
    if (!JOURNEYS.some((j) => j.id === id)) throw new Error(`journey "${id}" (a target fault's affected journey) is not in journeys/index.ts: update TARGET_FAULTS in bench/lib/chaos.ts`);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const runnerLog = createWriteStream(join(RESULTS_DIR, 'chaos-runner.log'));
  process.stderr.write(`chaos: ${command}: ${plan.target.length} target and ${plan.runner.length} runner faults planned; scratch ${scratch}\n`);

  // Everything below inherits this environment (startSandbox spawns with process.env): the
  // marker, and none of the suite's configuration a developer's shell may hold, so the runner
  // judges with its defaults and the command in the report reproduces the run.
  for (const { key } of CONFIG_KEYS) delete process.env[key];
  process.env[MARKER] = owned.id;
  process.env[ROLE] = 'sandbox';
  const sandboxes: Array<Awaited<ReturnType<typeof startSandbox>>> = [];
  let pushgateway: ChildProcess | undefined;
  let watch: RunnerWatch | undefined;
  const timeline: FaultRecord[] = [];
  const samples: Sample[] = [];
  let t0 = Date.now();
  let sampler: NodeJS.Timeout | undefined;
  let scanner: NodeJS.Timeout | undefined;
  try {
    const canary = await startSandbox({ buildId: 'chaos-canary' });
    sandboxes.push(canary);
    const control = await startSandbox({ buildId: 'chaos-control' });
    sandboxes.push(control);
    const gateway = await startPushgateway(owned, hardLimitMs(opts));
    pushgateway = gateway.child;
    const targetsFile = join(scratch, 'targets.json');
    writeFileSync(targetsFile, JSON.stringify([{ name: 'canary', url: canary.url, canary: true }, { name: 'control', url: control.url, canary: false }]));

    const runnerArgs = [join(ROOT, 'bin/synthetics.js'), 'run', '--every', opts.every, '--project', 'all', '--targets', targetsFile, '--results', resultsDir];
    // --cycles: what is left of the soak and a few more, so a runner this process could not stop
    // (it was SIGKILLed) still ends by itself. Cycles never come faster than the cadence.
    const cyclesLeft = () => String(Math.ceil((t0 + soakMs - Date.now()) / opts.everyMs) + RUNNER_SPARE_CYCLES);
    // cwd: the scratch dir, so a developer's .env does not change the run.
    const spawnRunner = () => owned.spawnGroup(process.execPath, [...runnerArgs, '--cycles', cyclesLeft()], 'runner', {
      cwd: scratch, stdio: 'pipe',
      env: { ...ACCOUNTS_ENV, PUSHGATEWAY_URL: gateway.url, RUNNER_ID: `chaos-${process.pid}`, REGION: 'chaos' },
    });
    watch = new RunnerWatch(spawnRunner, owned, runnerLog, (why) => interrupt.abort(why));
    t0 = Date.now();
    const foreign = new ForeignCpu();
    watch.start();
    const w = watch;
    sampler = setInterval(() => {
      const s = sampleRunner(w.pid, t0, foreign);
      if (s) samples.push(s);
    }, SAMPLE_EVERY_MS);
    // Chromium's processes come and go (a relaunch, a new renderer): remember them while they are still under the runner.
    scanner = setInterval(() => {
      if (w.pid !== undefined) owned.remember(w.pid);
    }, REMEMBER_EVERY_MS);

    const ctx: FaultContext = { canaryUrl: canary.url, watch, owned, random: prng(opts.seed ^ 0x9e3779b9), stop: interrupt.signal };
    const lanes = Promise.all([runLane(plan.target, t0, ctx, timeline), runLane(plan.runner, t0, ctx, timeline)]);
    await sleep(t0 + soakMs - Date.now(), interrupt.signal);
    interrupt.abort('the soak is over'); // ends any fault still on (lanes undo theirs as they return)
    await lanes;
    clearInterval(sampler);
    if (watch.pid !== undefined) owned.remember(watch.pid);
    clearInterval(scanner);
    const last = sampleRunner(watch.pid, t0, foreign);
    const foreignCpuPct = foreign.sinceStart();
    if (last) samples.push(last);
    const soakS = (Date.now() - t0) / 1000;
    const interrupted = interrupt.signal.reason === 'the soak is over' ? undefined : String(interrupt.signal.reason);

    const runnerStop = await watch.stop();
    await clearCanary(canary.url);
    for (const s of sandboxes) s.stop();
    if (pushgateway.pid) owned.killGroup(pushgateway.pid, 'SIGTERM');
    await Promise.all([...sandboxes.map((s) => waitForExit(s.child, 5_000)), waitForExit(pushgateway, 5_000)]);
    // What is still alive now was left behind by a stopped runner (or would have been by us).
    await sleep(1_000);
    const leftBehind = owned.alive('all').map((p) => p.what);
    owned.killAll();

    const journeys = await readStore(resultsDir);
    const classification = classify(journeys, timeline, GRACE_MS);
    const verdictOf = new Map(classification.faults.map((v) => [v.fault, `${v.verdict}${v.abortedDuring ? ` (${v.abortedDuring} affected attempt(s) aborted during it)` : ''}`]));
    const cycles: Result['cycles'] = {};
    for (const name of ['canary', 'control']) {
      cycles[name] = { ...(watch.perTarget.get(name) ?? { cycles: 0, passed: 0, failed: 0, flaky: 0, aborted: 0, maxMs: 0 }), expected: Math.floor(soakS * 1000 / opts.everyMs) };
    }
    const result: Result = {
      command, marker: owned.id, machine: machine(), minutes: opts.minutes, every: opts.every, seed: opts.seed, soakS, foreignCpuPct, interrupted,
      sandboxes: { canary: canary.url, control: control.url }, plan,
      timeline: [...timeline].sort((a, b) => a.startMs - b.startMs).map((f) => ({ ...f, verdict: verdictOf.get(f) ?? '?', startS: (f.startMs - t0) / 1000, endS: (f.endMs - t0) / 1000 })),
      faultsByKind: summarise(classification),
      deaths: watch.deaths, cycles, skipped: watch.skipped, runnerErrors: watch.runnerErrors, runnerStop, leftBehind, samples, coverage: coverage(journeys), classification,
      verdict: {
        // A soak cut short has not shown what it was asked to show.
        pass: !interrupted && watch.deaths.length === 0 && classification.falseFailures.length === 0 && classification.missed.length === 0,
        deaths: watch.deaths.length, falseFailures: classification.falseFailures.length, missedTargetFaults: classification.missed.length,
      },
    };
    const md = markdown(result, t0);
    writeResult('chaos', result, md);
    console.log(md);
    process.stderr.write(`chaos: wrote ${join(RESULTS_DIR, 'chaos.md')}, chaos.json and the runner's log chaos-runner.log\n`);
    if (opts.keep) process.stderr.write(`chaos: kept the results store and evidence in ${resultsDir}\n`);
    return result.verdict.pass ? 0 : 1;
  } finally {
    clearInterval(sampler);
    clearInterval(scanner);
    owned.killAll();
    runnerLog.end();
    if (!opts.keep) rmSync(scratch, { recursive: true, force: true });
  }
}

/** Setup, the soak and teardown, each at its longest: past this everything is killed. */
const hardLimitMs = (opts: Options) => SETUP_LIMIT_MS + opts.minutes * 60_000 + TEARDOWN_LIMIT_MS;

async function main(): Promise<number> {
  let opts: Options | 'help';
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`chaos: ${e.message}\n`);
    return 2;
  }
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  const owned = new Owned();
  // Whatever happens, nothing this soak started outlives it.
  process.on('exit', () => owned.killAll());
  const interrupt = new AbortController();
  const limitMs = hardLimitMs(opts);
  const hard = setTimeout(() => {
    process.stderr.write(`chaos: still running ${Math.round(limitMs / 1000)} s after the start: killing everything it started\n`);
    owned.killAll();
    process.exit(1);
  }, limitMs);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(`chaos: ${signal}: ending the soak now and reporting what it saw (again to abandon it)\n`);
      interrupt.abort(`interrupted by ${signal}`);
      return;
    }
    owned.killAll();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await soak(opts, owned, interrupt);
  } catch (e) {
    process.stderr.write(`chaos: ${(e as Error).message.split('\n')[0]}\n`);
    return 1;
  } finally {
    clearTimeout(hard);
    owned.killAll();
  }
}

process.exitCode = await main();
