import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'synthetics.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Environment for a child run: the parent's, minus anything a developer's .env or shell could
 * bring in, plus fast retries so failure tests stay quick.
 */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(BASE_URL|SYNTH_|PUSHGATEWAY_URL|RESULTS_DIR|RETR|TARGET_NAME|CANARY|DEVICES|RUNNER_ID|JOURNEY_TIMEOUT_MS|PW_|[A-Z]+_BUDGETS?_MS|LATENCY_BUDGETS)/.test(k)) env[k] = v;
  }
  // Budgets are relaxed: a 2-core CI machine runs Chromium, Playwright workers and the sandbox at
  // once, and only the tests about budgets (which set their own) should fail on a slow call.
  return {
    ...env, RETRIES: '0', RETRY_MIN_DELAY_MS: '50',
    CRITICAL_BUDGET_MS: '1500', DEFAULT_BUDGET_MS: '3000', PAGE_BUDGET_MS: '8000',
    ...extra,
  };
}

export function tempDir(prefix = 'synthetics-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs node with `argv` and collects its output (async: the sandbox may live in this very process). */
function runNode(argv: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number, onSpawn?: (child: ChildProcess) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `synthetics ARGS` from a scratch cwd (so no .env of the checkout is read). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {}): Promise<CliResult> {
  return runNode([BIN, ...args], env, opts.cwd ?? tempDir(), opts.timeoutMs ?? 180_000, opts.onSpawn);
}

/** Starts a long-running `synthetics` process; the caller stops it. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, cwd = tempDir()): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Every line of every NDJSON results file in `dir`. */
export function readResults(dir: string): Array<Record<string, unknown>> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

/** A port nothing listens on (bound once on 127.0.0.1, then released): the benches' one helper. */
export { freePort as closedPort } from '../../bench/lib/bench.ts';

/** Runs Playwright Test on the project's specs. */
export function runPlaywright(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<CliResult> {
  return runNode([join(ROOT, 'node_modules/@playwright/test/cli.js'), 'test', ...args], env, ROOT, timeoutMs);
}
