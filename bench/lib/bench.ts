import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_ACCOUNTS } from '../../sandbox/defaults.ts';

/** Shared by every bench: a sandbox in its own process, the accounts' env, and where results go. */

export const ROOT = new URL('../..', import.meta.url).pathname;
/** Every benchmark, in the order `npm run bench` runs them and BENCHMARKS.md shows them. */
export const BENCHES = ['fidelity', 'cycle-cost', 'detection', 'scale', 'soak'] as const;
/** Where each bench writes its JSON and Markdown section; the harness smoke test points it at a temp dir. */
export const RESULTS_DIR = process.env.BENCH_RESULTS_DIR ?? join(ROOT, 'bench', 'results');

export const ACCOUNTS_ENV = {
  SYNTH_STUDENT_EMAIL: SANDBOX_ACCOUNTS.student.email, SYNTH_STUDENT_PASSWORD: SANDBOX_ACCOUNTS.student.password,
  SYNTH_PROVIDER_EMAIL: SANDBOX_ACCOUNTS.provider.email, SYNTH_PROVIDER_PASSWORD: SANDBOX_ACCOUNTS.provider.password,
  SYNTH_QUOTA_EMAIL: SANDBOX_ACCOUNTS.quota.email, SYNTH_QUOTA_PASSWORD: SANDBOX_ACCOUNTS.quota.password,
};

/** A reference sandbox in its own process (so its CPU is not the suite's), on a free 127.0.0.1 port. */
export function startSandbox(opts: { buildId?: string } = {}): Promise<{ url: string; child: ChildProcess; stop(): void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/synthetics.js'), 'sandbox', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(opts.buildId ? { BUILD_ID: opts.buildId } : {}) },
    });
    const timer = setTimeout(() => reject(new Error('sandbox did not start within 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on (\S+)/.exec(String(d));
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, stop: () => child.kill('SIGTERM') });
      }
    });
    child.on('error', reject);
  });
}

/**
 * Calls `onLine` for each whole line a child writes (stdout and stderr alike: the runner logs its
 * cycle lines to stderr) and returns what it wrote last, for an error message.
 */
export function onLines(child: ChildProcess, onLine: (line: string) => void): () => string {
  let tail = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += String(d);
      tail = (tail + String(d)).slice(-4000);
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      lines.forEach(onLine);
    });
  }
  return () => tail;
}

/** The machine a figure came from: figures move between machines, ratios hold. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}`;
}

/** Writes the bench's JSON and its Markdown section, for `npm run bench` to put together. */
export function writeResult(name: string, result: unknown, markdown: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), markdown.endsWith('\n') ? markdown : `${markdown}\n`);
}

/** A Markdown table. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A free 127.0.0.1 port (bound once, then released), for a service a bench starts itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
