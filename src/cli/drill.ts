// `synthetics drill`: proves the gate on this machine. Two reference sandboxes (control and canary)
// run in this process, a real runner (a child process, API journeys) walks both on the runbook's
// cadence times --time-scale, and a catalogue of faults is injected into the canary one at a time.
// After each, the gate (the same decision `synthetics gate` computes, in-process) is polled until
// it decides or a time limit passes; one row per fault says whether it decided what it must.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Decision, GateResult } from '../../gate/decision-types.ts';
import { loadRunbook } from '../../gate/runbook.ts';
import type { Runbook } from '../../gate/runbook-types.ts';
import { JOURNEYS } from '../../journeys/index.ts';
import { readJourneys } from '../../reporters/results-store/index.ts';
import { SANDBOX_ACCOUNTS } from '../../sandbox/defaults.ts';
import type { RunningSandbox } from '../../sandbox/server.ts';
import { CONFIG_KEYS, SANDBOX_URL_ENV } from '../config/keys.ts';
import { CRITICAL_ROUTES } from '../core/budgets.ts';
import { UserFacingError } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { parseFlags } from './args.ts';
import { decide } from '../../gate/decide.ts';

/** The drill's own runbook: canary.yaml's default profile, less the go gates only a browser and a baseline can satisfy. */
export const DRILL_RUNBOOK_PATH = fileURLToPath(new URL('../../runbook/drill.yaml', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/synthetics.js', import.meta.url));

/** A minute is 1.2 s: a 5-minute trigger needs 6 s, the 5% phase's 90-minute window 108 s. */
export const DEFAULT_TIME_SCALE = 0.02;
/** The phase the drill asks about: the first, where a canary meets real users. */
const PHASE = 5;
/** No cycle within this long is stale (gate.ts's floor; only used here to size a time limit). */
const STALE_FLOOR_MS = 5000;
/** Floors of the time limits, in real seconds: below a few cycles nothing can be decided at all. */
const FLOOR_MS = 30_000;

type Drill = DrillRun;

interface Fault {
  name: string;
  /** How it is injected, for the row. */
  how: string;
  expected: Decision;
  /** A hold must also say why (a hold for another reason proves nothing). */
  because?: RegExp;
  inject(d: Drill): Promise<void>;
}


/** The catalogue, in the order a full drill runs it. Each fault starts on a fresh canary build. */
export const FAULTS: readonly Fault[] = [
  {
    name: 'latency',
    how: '+250 ms on every critical route (P95 trigger: 160 ms)',
    expected: 'rollback',
    // Every route `routes: critical` reads, so every minute with calls in it is a slow minute.
    inject: async (d) => {
      for (const key of CRITICAL_ROUTES) {
        const [method, route] = key.split(' ') as [string, string];
        await d.fault({ method, route, latencyMs: 250 });
      }
    },
  },
  {
    name: '5xx',
    how: '500 on 25% of /api calls (5xx trigger: 1%)',
    expected: 'rollback',
    inject: (d) => d.fault({ route: '/api', status: 500, rate: 0.25 }),
  },
  {
    name: 'schema-drift',
    how: 'drop:items on GET /api/scholarships (the search b2c-api checks)',
    expected: 'rollback',
    inject: (d) => d.fault({ route: '/api/scholarships', method: 'GET', drift: 'drop:items' }),
  },
  {
    name: 'checkout',
    how: '502 on /api/checkout (init and validate)',
    expected: 'rollback',
    inject: (d) => d.fault({ route: '/api/checkout', status: 502 }),
  },
  {
    name: 'payments-live',
    how: 'set:mode=live on POST /api/checkout/init',
    expected: 'rollback',
    inject: (d) => d.fault({ route: '/api/checkout/init', method: 'POST', drift: 'set:mode=live' }),
  },
  {
    name: 'essay-flag',
    how: 'essay.generate switched on in the canary\'s flag store',
    expected: 'rollback',
    // The control surface has no flag switch, and a drift path cannot name a key with a dot in
    // it (`set:flags.essay.generate=…` reads as flags → essay → generate): the sandbox runs in
    // this process, so its flag store is switched directly, as a bad deploy would ship it.
    inject: async (d) => {
      (d.canary.store.flags as Record<string, boolean>)['essay.generate'] = true;
    },
  },
  {
    name: 'stopped',
    how: 'the runner stopped (SIGTERM); its last lines linger',
    expected: 'hold',
    because: /stale data/,
    inject: (d) => d.stopRunner(),
  },
  {
    name: 'none',
    how: 'no fault: a clean canary build for the whole window',
    expected: 'go',
    inject: async () => undefined,
  },
];

export interface DrillRow {
  fault: string;
  injected: string;
  expected: Decision;
  /** The decision reached; null when none was reached within the limit. */
  decision: Decision | null;
  right: boolean;
  /** The triggers a rollback named, or the gate's reason (or why there was no decision). */
  named: string;
  /** The gate's own sentence at the decision (or the last one seen). */
  reason: string;
  /** From the fault's injection to the decision (or to the limit), ms. */
  ms: number;
  /** The canary build the fault ran on. */
  build: string;
}

/** `synthetics drill`: a fault catalogue against two sandboxes; exit 0 only when every decision is right. */
export async function drillCommand(argv: string[]): Promise<number> {
  const v = parseFlags('drill', argv, {
    'time-scale': { type: 'string' }, runbook: { type: 'string' }, profile: { type: 'string' },
    only: { type: 'string' }, json: { type: 'boolean' },
  });
  const timeScale = v['time-scale'] === undefined ? DEFAULT_TIME_SCALE : Number(v['time-scale']);
  if (!(timeScale > 0 && timeScale <= 1)) throw new UserFacingError(`--time-scale "${v['time-scale']}": must be a number above 0 and at most 1, like 0.02 (a minute in 1.2 s)`);
  let faults = [...FAULTS];
  if (v.only !== undefined) {
    const names = v.only.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((n) => !FAULTS.some((f) => f.name === n));
    if (names.length === 0 || unknown.length) {
      throw new UserFacingError(`--only "${v.only}": ${unknown.length ? `unknown fault ${unknown.map((n) => `"${n}"`).join(', ')}` : 'names no fault'} (known: ${FAULTS.map((f) => f.name).join(', ')})`);
    }
    faults = FAULTS.filter((f) => names.includes(f.name));
  }
  const runbook = loadRunbook(v.runbook ?? DRILL_RUNBOOK_PATH, { timeScale });
  const profile = v.profile ?? 'default';
  if (!runbook.profiles[profile]) throw new UserFacingError(`--profile "${profile}": not in the runbook (known: ${Object.keys(runbook.profiles).join(', ')})`);

  const drill = new DrillRun(runbook, profile, faults);
  const onSignal = (signal: NodeJS.Signals) => {
    log(`drill: ${signal}: stopping, cleaning up`);
    drill.interrupt(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort (a crash between here and the cleanup): never leave the runner behind.
  const onExit = () => drill.killRunnerNow();
  process.on('exit', onExit);
  let rows: DrillRow[];
  try {
    rows = await drill.run();
  } finally {
    await drill.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
  const right = rows.filter((r) => r.right).length;
  console.log(v.json ? JSON.stringify(rows, null, 2) : formatRows(rows, drill.summary(right)));
  if (drill.interrupted) log(`drill: interrupted by ${drill.interrupted}`);
  if (right < rows.length || drill.interrupted) log(`drill: results kept in ${drill.dir} (the runner's output: ${join(drill.dir, 'runner.log')})`);
  else rmSync(drill.dir, { recursive: true, force: true });
  return right === rows.length && rows.length === faults.length && !drill.interrupted ? 0 : 1;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function formatRows(rows: DrillRow[], summary: string): string {
  const table = [['FAULT', 'EXPECTED', 'DECISION', 'RESULT', 'TIME', 'TRIGGER / REASON']];
  for (const r of rows) table.push([r.fault, r.expected, r.decision ?? '—', r.right ? 'right' : 'WRONG', seconds(r.ms), r.named]);
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return [...table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')), summary].join('\n');
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (signal.aborted) return resolve();
  const timer = setTimeout(done, ms);
  function done() {
    clearTimeout(timer);
    signal.removeEventListener('abort', done);
    resolve();
  }
  signal.addEventListener('abort', done);
});

/** The triggers a rollback fired, else the gate's reason without its "hold: "/"go: " lead. */
function named(r: GateResult): string {
  if (r.decision === 'rollback') return r.checks.filter((c) => c.kind === 'trigger' && c.ok === false).map((c) => c.name).join(', ');
  return r.reason.replace(/^(hold|go)( \(no go\))?: /, '');
}

class DrillRun {
  readonly dir = mkdtempSync(join(tmpdir(), 'synthetics-drill-'));
  private readonly results = join(this.dir, 'results');
  private readonly secret = randomBytes(32).toString('hex');
  private readonly aborter = new AbortController();
  interrupted: NodeJS.Signals | undefined;
  control!: RunningSandbox;
  canary!: RunningSandbox;
  private canaryPort = 0;
  private runner: ChildProcess | undefined;
  private runnerExit: Promise<void> = Promise.resolve();
  private runnerOutput: string[] = [];
  private readonly startedAt = Date.now();
  /** The scaled minute, and the runner's cadence and limits derived from it. */
  private readonly minuteMs: number;
  private readonly everyMs: number;
  private readonly pollMs: number;
  private readonly recoverLimitMs: number;
  readonly deadline: number;

  constructor(private readonly runbook: Runbook, private readonly profile: string, private readonly faults: Fault[]) {
    this.minuteMs = runbook.bucketMs;
    this.everyMs = Math.max(100, Math.round(runbook.monitor.cadenceMs * runbook.timeScale));
    this.pollMs = Math.max(250, Math.round(this.minuteMs / 2));
    this.recoverLimitMs = Math.max(FLOOR_MS, 10 * this.minuteMs);
    const total = faults.reduce((sum, f) => sum + this.recoverLimitMs + this.limitOf(f), 0);
    this.deadline = this.startedAt + 60_000 + total;
  }

  /** How long a fault may take to be decided: a few scaled minutes past what its rule needs. */
  limitOf(f: Fault): number {
    const margin = Math.max(FLOOR_MS, 20 * this.minuteMs);
    if (f.expected === 'go') return this.observeMs() + margin;
    if (f.expected === 'hold') return Math.max(STALE_FLOOR_MS, 2.5 * this.everyMs) + Math.max(FLOOR_MS, 10 * this.minuteMs);
    return margin;
  }

  private observeMs(): number {
    return this.runbook.profiles[this.profile]!.phases.find((p) => p.percent === PHASE)!.observeMs;
  }

  summary(right: number): string {
    const { source, timeScale } = this.runbook;
    return `drill: ${right} of ${this.faults.length} decisions right in ${seconds(Date.now() - this.startedAt)} ` +
      `(runbook ${source}, profile ${this.profile}, phase ${PHASE}%, time scale ${timeScale}: a minute is ${seconds(this.minuteMs)}, a cycle every ${this.everyMs} ms)`;
  }

  interrupt(signal: NodeJS.Signals): void {
    this.interrupted ??= signal;
    this.aborter.abort();
  }

  private get stopped(): boolean {
    return this.aborter.signal.aborted;
  }

  async run(): Promise<DrillRow[]> {
    const rows: DrillRow[] = [];
    const { startSandbox } = await import('../../sandbox/server.ts');
    this.startSandbox = startSandbox;
    this.control = await this.sandbox(0, 'drill-control');
    this.canary = await this.sandbox(0, 'drill-canary-0');
    this.canaryPort = this.canary.port;
    log(`drill: control ${this.control.url}, canary ${this.canary.url}, results ${this.results}; a cycle every ${this.everyMs} ms, a minute is ${seconds(this.minuteMs)}`);
    for (const [i, fault] of this.faults.entries()) {
      const build = `drill-${i + 1}-${fault.name}`;
      const limitMs = this.limitOf(fault);
      if (this.stopped) {
        rows.push(this.row(fault, build, null, false, `not run: interrupted by ${this.interrupted}`, '', 0));
        continue;
      }
      if (Date.now() >= this.deadline) {
        rows.push(this.row(fault, build, null, false, `not run: the drill's ${seconds(this.deadline - this.startedAt)} limit was reached`, '', 0));
        continue;
      }
      rows.push(await this.one(fault, build, limitMs));
      const r = rows.at(-1)!;
      log(`drill: ${fault.name}: ${r.decision ?? 'no decision'} after ${seconds(r.ms)} — ${r.right ? 'right' : 'WRONG'} (${r.named})`);
    }
    return rows;
  }

  private row(f: Fault, build: string, decision: Decision | null, right: boolean, namedText: string, reason: string, ms: number): DrillRow {
    return { fault: f.name, injected: f.how, expected: f.expected, decision, right, named: namedText, reason, ms, build };
  }

  /** One fault: a fresh canary build, recovered; the fault; the gate polled until it decides or the limit. */
  private async one(fault: Fault, build: string, ownLimitMs: number): Promise<DrillRow> {
    try {
      if (!this.runnerAlive()) this.startRunner();
      await this.redeployCanary(build);
      const recovered = await this.waitRecovered(build);
      if (recovered !== true) return this.row(fault, build, null, false, recovered, '', 0);
      const before = await this.decide();
      if (this.settles(fault, before)) {
        return this.row(fault, build, before.decision, false, `${before.decision} before the fault was injected: ${named(before)}`, before.reason, 0);
      }
      log(`drill: ${fault.name}: canary ${build} up and passing; injecting: ${fault.how}`);
      const injectedAt = Date.now();
      await fault.inject(this);
      const limitMs = Math.max(0, Math.min(ownLimitMs, this.deadline - injectedAt));
      let last: GateResult | undefined;
      for (;;) {
        if (this.runnerDiedUnexpectedly(fault)) {
          return this.row(fault, build, null, false, `the runner exited: ${this.runnerOutput.at(-1) ?? 'no output'}`, last?.reason ?? '', Date.now() - injectedAt);
        }
        last = await this.decide();
        const ms = Date.now() - injectedAt;
        if (this.settles(fault, last)) return this.row(fault, build, last.decision, this.isRight(fault, last), named(last), last.reason, ms);
        if (ms >= limitMs || this.stopped) {
          const why = this.stopped ? `interrupted by ${this.interrupted}` : `no decision within ${seconds(limitMs)}`;
          return this.row(fault, build, null, false, `${why} (last: ${last.decision}: ${named(last)})`, last.reason, ms);
        }
        await sleep(this.pollMs, this.aborter.signal);
      }
    } catch (e) {
      return this.row(fault, build, null, false, `drill error: ${(e as Error).message.split('\n')[0]}`, '', 0);
    } finally {
      // The next fault starts on a fresh build anyway; nothing injected outlives its row.
      this.canary.deps.faults.clear();
    }
  }

  /** A decision that ends the wait: go and rollback always (a rollout acts on them), a hold only when it is the expected one. */
  private settles(f: Fault, r: GateResult): boolean {
    return r.decision === 'rollback' || r.decision === 'go' || (f.expected === 'hold' && this.isRight(f, r));
  }

  private isRight(f: Fault, r: GateResult): boolean {
    return r.decision === f.expected && (!f.because || f.because.test(r.reason));
  }

  private decide(): Promise<GateResult> {
    return decide({ runbook: this.runbook, profile: this.profile, phase: PHASE, source: this.results });
  }

  // ---- sandboxes ----

  private startSandbox!: typeof import('../../sandbox/server.ts').startSandbox;

  /** A sandbox with its default accounts (never the environment's) and a token key shared across redeploys. */
  private sandbox(port: number, buildId: string): Promise<RunningSandbox> {
    return this.startSandbox({ port, host: '127.0.0.1', buildId, gitSha: 'drill00', env: { SANDBOX_TOKEN_SECRET: this.secret } });
  }

  /** The canary redeployed on its address with a new build: the gate's canary evidence starts afresh. */
  private async redeployCanary(build: string): Promise<void> {
    await this.canary.close();
    for (let attempt = 1; ; attempt++) {
      try {
        this.canary = await this.sandbox(this.canaryPort, build);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw e;
        await sleep(100, this.aborter.signal);
      }
    }
  }

  /** POST /__sandbox/faults on the canary: the sandbox's own control surface. */
  async fault(body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${this.canary.url}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST /__sandbox/faults ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
  }

  /** Recovered: every API journey's newest run on the new build passed. True, or why not. */
  private async waitRecovered(build: string): Promise<true | string> {
    const ids = JOURNEYS.filter((j) => j.kind === 'api').map((j) => j.id);
    const since = new Date(Date.now() - 1000);
    const limit = Date.now() + Math.min(this.recoverLimitMs, Math.max(0, this.deadline - Date.now()));
    let latest = new Map<string, string>();
    for (;;) {
      latest = new Map();
      for await (const j of readJourneys(this.results, { since, target: 'canary', build })) latest.set(j.journey, j.outcome);
      if (ids.every((id) => latest.get(id) === 'passed' || latest.get(id) === 'flaky')) return true;
      if (!this.runnerAlive()) return `the runner exited before the canary recovered: ${this.runnerOutput.at(-1) ?? 'no output'}`;
      if (this.stopped) return `interrupted by ${this.interrupted}`;
      if (Date.now() >= limit) {
        const failing = ids.filter((id) => latest.get(id) !== 'passed' && latest.get(id) !== 'flaky').map((id) => `${id} ${latest.get(id) ?? 'not run'}`);
        return `the canary ${build} did not pass a cycle within ${seconds(this.recoverLimitMs)} before the fault (${failing.join(', ')})`;
      }
      await sleep(this.pollMs, this.aborter.signal);
    }
  }

  // ---- the runner ----

  private runnerEnv(): NodeJS.ProcessEnv {
    // The suite's defaults, not this shell's or a .env's: the drill targets its own sandboxes.
    const drop = new Set([...CONFIG_KEYS.map((k) => k.key), SANDBOX_URL_ENV]);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, value] of Object.entries(process.env)) if (!drop.has(k)) env[k] = value;
    const { backoff } = this.runbook.monitor;
    const scale = this.runbook.timeScale;
    return {
      ...env,
      SYNTH_STUDENT_EMAIL: SANDBOX_ACCOUNTS.student.email, SYNTH_STUDENT_PASSWORD: SANDBOX_ACCOUNTS.student.password,
      SYNTH_PROVIDER_EMAIL: SANDBOX_ACCOUNTS.provider.email, SYNTH_PROVIDER_PASSWORD: SANDBOX_ACCOUNTS.provider.password,
      SYNTH_QUOTA_EMAIL: SANDBOX_ACCOUNTS.quota.email, SYNTH_QUOTA_PASSWORD: SANDBOX_ACCOUNTS.quota.password,
      RESULTS_DIR: this.results,
      RUNNER_ID: `drill-${process.pid}`,
      // The runbook's backoff on the drill's clock.
      RETRIES: String(backoff.retries),
      RETRY_MIN_DELAY_MS: String(Math.round(backoff.minDelayMs * scale)),
      RETRY_FACTOR: String(backoff.factor),
      RETRY_MAX_DELAY_MS: String(Math.round(backoff.maxDelayMs * scale)),
    };
  }

  private startRunner(): void {
    // Bounded by the drill's own limit even if this process is killed outright.
    const cycles = Math.ceil(Math.max(0, this.deadline - Date.now()) / this.everyMs) + 20;
    const args = [BIN, 'run', '--every', `${this.everyMs}ms`, '--project', 'api', '--cycles', String(cycles),
      '--target', `control=${this.control.url}`, '--target', `canary=${this.canary.url}`, '--results', this.results];
    // Its own process group: the whole tree is killed at once, and a terminal's Ctrl-C reaches
    // only the drill, which then stops it.
    this.runnerStoppedOnPurpose = false;
    const child = spawn(process.execPath, args, { cwd: this.dir, env: this.runnerEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.runner = child;
    const keep = (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line) this.runnerOutput.push(line);
      if (this.runnerOutput.length > 2000) this.runnerOutput.splice(0, this.runnerOutput.length - 1000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.runnerExit = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('error', (e) => this.runnerOutput.push(`spawn failed: ${e.message}`));
    log(`drill: runner started (pid ${child.pid}): synthetics ${args.slice(1).join(' ')}`);
  }

  private runnerAlive(): boolean {
    return this.runner !== undefined && this.runner.exitCode === null && this.runner.signalCode === null;
  }

  private runnerStoppedOnPurpose = false;

  private runnerDiedUnexpectedly(f: Fault): boolean {
    return !this.runnerAlive() && !(f.name === 'stopped' && this.runnerStoppedOnPurpose);
  }

  /** A stop as an operator would: SIGTERM, the running cycle finishes; SIGKILL of the group if it hangs. */
  async stopRunner(): Promise<void> {
    const child = this.runner;
    if (!child || !this.runnerAlive()) return;
    this.runnerStoppedOnPurpose = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => this.killRunnerNow(), 25_000);
    await this.runnerExit;
    clearTimeout(timer);
  }

  /** SIGKILL to the runner's process group (it and every child it started). Synchronous: safe in an exit handler. */
  killRunnerNow(): void {
    const pid = this.runner?.pid;
    if (pid === undefined || !this.runnerAlive()) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async cleanup(): Promise<void> {
    this.killRunnerNow();
    await Promise.race([this.runnerExit, new Promise((r) => setTimeout(r, 5000))]);
    await Promise.allSettled([this.control?.close(), this.canary?.close()]);
    try {
      writeFileSync(join(this.dir, 'runner.log'), this.runnerOutput.join('\n') + '\n');
    } catch {
      // the log is a convenience
    }
  }
}
