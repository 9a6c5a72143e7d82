/**
 * What one cycle costs: the warm in-process runner (the production shape) against a cold
 * `playwright test` process per cycle (what a naive cron would do), on the same sandbox.
 * Usage: npx tsx bench/cycle.bench.ts [--cycles 50] [--cold 5] [--browser]
 * Prints a JSON summary; bench/REPORT.md records the numbers measured on the project's machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SANDBOX_ACCOUNTS } from '../sandbox/defaults.ts';
import { loadConfig } from '../src/config/load.ts';
import { summarize } from '../src/core/percentiles.ts';
import { selectJourneys } from '../journeys/index.ts';
import { standardSinks } from '../reporters/sinks.ts';
import { Suite } from '../src/runner/suite.ts';
import { TargetRun } from '../src/runner/target-run.ts';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '50' }, cold: { type: 'string', default: '5' }, browser: { type: 'boolean', default: false } } });
const project = values.browser ? 'browser' : 'api';
const root = new URL('..', import.meta.url).pathname;

function startSandboxProcess(): Promise<{ url: string; stop(): void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/synthetics.js'), 'sandbox', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => {
      const m = /listening on (\S+)/.exec(String(d));
      if (m) resolve({ url: m[1]!, stop: () => child.kill('SIGTERM') });
    });
    child.on('error', reject);
  });
}

const env = {
  SYNTH_STUDENT_EMAIL: SANDBOX_ACCOUNTS.student.email, SYNTH_STUDENT_PASSWORD: SANDBOX_ACCOUNTS.student.password,
  SYNTH_PROVIDER_EMAIL: SANDBOX_ACCOUNTS.provider.email, SYNTH_PROVIDER_PASSWORD: SANDBOX_ACCOUNTS.provider.password,
  SYNTH_QUOTA_EMAIL: SANDBOX_ACCOUNTS.quota.email, SYNTH_QUOTA_PASSWORD: SANDBOX_ACCOUNTS.quota.password,
};

/** A cycle as the runner bounds it at the default 60 s cadence. */
const bounds = () => ({ deadline: Date.now() + 48_000, stop: new AbortController().signal });

async function warm(url: string, cycles: number) {
  const results = mkdtempSync(join(tmpdir(), 'bench-'));
  const config = loadConfig({ ...process.env, ...env, BASE_URL: url, RESULTS_DIR: results, RETRIES: '0' });
  const suite = new Suite(config);
  const run = new TargetRun(await suite.open({ name: 'bench', baseUrl: url }), selectJourneys(project), standardSinks(config, 'loop').fanOut);
  await run.cycle(bounds()); // first cycle launches the browser and warms caches: not counted
  const wall: number[] = [];
  const cpu: number[] = [];
  let failed = 0;
  for (let i = 0; i < cycles; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { results: r } = await run.cycle(bounds());
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    failed += r.filter((x) => x.outcome === 'failed').length;
  }
  const rss = process.memoryUsage().rss / 2 ** 20;
  await suite.close();
  return { wallMs: summarize(wall), cpuMs: summarize(cpu), rssMiB: Math.round(rss), failed };
}

function cold(url: string, runs: number) {
  const projects = values.browser ? ['--project', 'desktop'] : ['--project', 'api'];
  const wall: number[] = [];
  const cpu: number[] = [];
  return (async () => {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = mkdtempSync(join(tmpdir(), 'bench-pw-'));
      await new Promise<void>((resolve) => {
        const child = spawn(process.execPath, [join(root, 'node_modules/@playwright/test/cli.js'), 'test', ...projects, '--reporter', 'dot'], {
          cwd: root, stdio: 'ignore',
          env: { ...process.env, ...env, BASE_URL: url, RESULTS_DIR: join(out, 'r'), PW_OUTPUT_DIR: join(out, 't'), PW_HTML_DIR: join(out, 'h'), RETRIES: '0' },
        });
        child.on('exit', () => resolve());
      });
      wall.push(performance.now() - t0);
      // Children's CPU is not visible from here without /proc accounting; wall is the honest number.
    }
    return { wallMs: summarize(wall), cpuMs: cpu.length ? summarize(cpu) : null };
  })();
}

const sandbox = await startSandboxProcess();
try {
  const warmResult = await warm(sandbox.url, Number(values.cycles));
  const coldResult = await cold(sandbox.url, Number(values.cold));
  console.log(JSON.stringify({ project, journeys: selectJourneys(project).length, warm: warmResult, cold: coldResult }, null, 2));
} finally {
  sandbox.stop();
}
