// Shared pieces of the long-running runner's integration tests: real services, runner processes
// that are always cleaned up, the runner's cycle lines, Pushgateway and Prometheus reads.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseExposition, type Sample } from '../../src/core/exposition.ts';
import { after, before } from 'node:test';
import { closedPort, ROOT, startCli, tempDir } from '../support/cli.ts';
import { sandbox, type SandboxHandle } from '../support/sandbox.ts';

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Child processes: every one a test starts is registered and killed (with its descendants, e.g.
// the runner's Chromium) by `cleanupProcesses`, which each file calls in an `after` hook.

const started = new Set<ChildProcess>();

/** Live descendants of `pid` (children first, then theirs), from `ps --ppid`. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let frontier = [pid];
  for (let depth = 0; depth < 10 && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const p of frontier) {
      let text = '';
      try {
        text = execFileSync('ps', ['-o', 'pid=', '--ppid', String(p)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      } catch {
        text = ''; // ps exits 1 when there is no child
      }
      for (const line of text.split('\n')) {
        const child = Number(line.trim());
        if (child > 0) next.push(child);
      }
    }
    out.push(...next);
    frontier = next;
  }
  return out;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Registers a process for cleanup. */
export function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** SIGKILLs a process and its descendants (unless it has exited) and waits for its exit. */
export async function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const tree = descendants(child.pid);
  const exited = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  killQuietly(child.pid, 'SIGKILL');
  for (const pid of tree) killQuietly(pid, 'SIGKILL');
  await exited;
}

/** SIGKILLs every registered process still running, and its descendants. */
export async function cleanupProcesses(): Promise<void> {
  for (const child of [...started]) await killTree(child);
  started.clear();
}

// ---------------------------------------------------------------------------------------------
// The runner.

export interface CycleLine {
  at: number;
  n: number;
  target: string;
  passed: number;
  total: number;
  flaky: number;
  failed: number;
  aborted: number;
  ms: number;
  pushFailed: boolean;
  reason?: string;
  line: string;
}

const CYCLE = /^(\S+) cycle (\d+) (\S+): (\d+)\/(\d+) passed(?: \((\d+) flaky\))?, (\d+) failed(?:, (\d+) aborted)? in (\d+) ms(, push failed)?(?: — (.*))?$/;

/** The `cycle N TARGET: X/Y passed …` lines of a runner's output, in order. */
export function cycleLines(output: string): CycleLine[] {
  const lines: CycleLine[] = [];
  for (const line of output.split('\n')) {
    const m = CYCLE.exec(line);
    if (!m) continue;
    lines.push({
      at: Date.parse(m[1]!), n: Number(m[2]), target: m[3]!, passed: Number(m[4]), total: Number(m[5]),
      flaky: Number(m[6] ?? 0), failed: Number(m[7]), aborted: Number(m[8] ?? 0), ms: Number(m[9]), pushFailed: Boolean(m[10]), reason: m[11], line,
    });
  }
  return lines;
}

export interface Runner {
  child: ChildProcess;
  output(): string;
  cycles(): CycleLine[];
  exited: Promise<number | null>;
  /** Waits until at least `count` cycle lines satisfy `match` (default: any), or the runner dies. */
  waitForCycles(count: number, timeoutMs?: number, match?: (c: CycleLine) => boolean): Promise<CycleLine[]>;
  /** Sends a signal and waits for the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Starts `synthetics ARGS` as a long-running child, registered for cleanup. */
export function startRunner(args: string[], env: NodeJS.ProcessEnv): Runner {
  const { child, output, exited } = startCli(args, env);
  track(child);
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const runner: Runner = {
    child,
    output,
    cycles: () => cycleLines(output()),
    exited,
    async waitForCycles(count, timeoutMs = 30_000, match = () => true) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = runner.cycles().filter(match);
        if (found.length >= count) return found;
        if (exitCode !== undefined) throw new Error(`runner exited (${exitCode}) after ${found.length} of ${count} matching cycles:\n${output()}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms with ${found.length} of ${count} matching cycles:\n${output()}`);
        await sleep(100);
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return runner;
}

/** Runs `synthetics ARGS` to its end; SIGKILL after `timeoutMs`. */
export async function runToEnd(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
  const r = startRunner(args, env);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await r.exited;
    return { code, output: r.output() };
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `everyMs` until it returns something other than undefined/false. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `\n${describe()}` : ''}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Ports and services.

export { closedPort } from '../support/cli.ts';

export interface Services {
  dir: string;
  pushgatewayUrl: string;
  prometheusUrl: string;
  stop(): Promise<void>;
}

const SERVICES = join(ROOT, 'scripts', 'services.sh');

/** A real Pushgateway and Prometheus from `scripts/services.sh start` (stopped by `stop()`), with `rulesFile` loaded when given. */
export async function startServices(opts: { rulesFile?: string } = {}): Promise<Services> {
  const dir = tempDir('synthetics-services-');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await run('bash', [SERVICES, 'stop', dir], { timeout: 60_000 }).catch(() => undefined);
  };
  try {
    await run('bash', [SERVICES, 'start', dir], { timeout: 60_000, env: { ...process.env, ...(opts.rulesFile ? { RULES_FILE: opts.rulesFile } : {}) } });
  } catch (e) {
    await stop();
    throw e;
  }
  const env = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  if (!env.PUSHGATEWAY_URL || !env.PROMETHEUS_URL) throw new Error(`services.sh wrote no URLs in ${dir}/env`);
  return { dir, pushgatewayUrl: env.PUSHGATEWAY_URL, prometheusUrl: env.PROMETHEUS_URL, stop };
}

export const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';

/** A Pushgateway of the test's own on `port` (registered for cleanup); resolves when it is ready. */
export async function startPushgateway(port: number): Promise<{ url: string; child: ChildProcess }> {
  const child = track(spawn(PUSHGATEWAY_BIN, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: 'ignore' }));
  const url = `http://127.0.0.1:${port}`;
  await poll('the pushgateway to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`pushgateway exited ${child.exitCode}`);
    return (await fetch(`${url}/-/ready`)).ok;
  }, 15_000, 100);
  return { url, child };
}

// ---------------------------------------------------------------------------------------------
// Reading metrics.

/** Every sample the Pushgateway exposes. */
export async function gatewaySamples(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}/metrics: ${res.status}`);
  return parseExposition(await res.text()).samples;
}

/** Samples of `name` whose labels include `labels`. */
export function select(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The single value of `name{labels}`; undefined when absent, an error when ambiguous. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = select(samples, name, labels);
  if (found.length > 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} series`);
  return found[0]?.value;
}

export async function promQuery(prometheusUrl: string, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`query ${query}: ${body.error}`);
  return body.data.result;
}

export async function promSeries(prometheusUrl: string, match: string): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${prometheusUrl}/api/v1/series?match[]=${encodeURIComponent(match)}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { status: string; error?: string; data: Array<Record<string, string>> };
  if (body.status !== 'success') throw new Error(`series ${match}: ${body.error}`);
  return body.data;
}

/**
 * Hooks for a test file that needs the real Pushgateway and Prometheus and a sandbox: started
 * before its tests, stopped after them (with every process the file started).
 */
export function useServicesAndSandbox(): { readonly services: Services; readonly sb: SandboxHandle } {
  const started = {} as { services: Services; sb: SandboxHandle };
  before(async () => {
    started.services = await startServices();
    started.sb = await sandbox();
  });
  after(async () => {
    await cleanupProcesses();
    await started.sb?.close();
    await started.services?.stop();
  });
  return started;
}

/** Hooks for a test file that needs a sandbox and a Pushgateway of its own (no Prometheus). */
export function useSandboxAndPushgateway(): { readonly sb: SandboxHandle; readonly gateway: string } {
  const started = {} as { sb: SandboxHandle; gateway: string };
  before(async () => {
    started.sb = await sandbox();
    started.gateway = (await startPushgateway(await closedPort())).url;
  });
  after(async () => {
    await started.sb?.close();
    await cleanupProcesses();
  });
  return started;
}
