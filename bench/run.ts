/**
 * `npm run bench`: every benchmark in turn, each bounded, then BENCHMARKS.md from their sections,
 * with the machine they ran on. `--smoke` runs each at its smallest (what `.ci/run` does, so the
 * harness cannot rot) and writes no report.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCHES, machine, RESULTS_DIR, ROOT } from './lib/bench.ts';

/** A bench still running after this is stopped and reported as such: the whole run stays bounded. */
const LIMIT_MS = { smoke: 90_000, full: 360_000 };

function runBench(name: string, smoke: boolean): Promise<{ ok: boolean; ms: number; why?: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', `${name}.bench.ts`), ...(smoke ? ['--smoke'] : [])], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const limit = smoke ? LIMIT_MS.smoke : LIMIT_MS.full;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, limit);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      resolve(code === 0 ? { ok: true, ms } : { ok: false, ms, why: signal ? `stopped after ${Math.round(limit / 1000)} s (${signal})` : `exit ${code}` });
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const only = args.filter((a) => !a.startsWith('--'));
  const unknown = only.filter((n) => !(BENCHES as readonly string[]).includes(n));
  if (unknown.length) {
    console.error(`bench: unknown benchmark ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`);
    return 2;
  }
  const names = only.length ? only : [...BENCHES];
  const outcomes: Array<{ name: string; ok: boolean; ms: number; why?: string }> = [];
  for (const name of names) {
    rmSync(join(RESULTS_DIR, `${name}.md`), { force: true });
    console.error(`bench: ${name}${smoke ? ' (smoke)' : ''}`);
    const r = await runBench(name, smoke);
    const written = existsSync(join(RESULTS_DIR, `${name}.md`));
    outcomes.push({ name, ...r, ...(r.ok && !written ? { ok: false, why: 'wrote no result' } : {}) });
    console.error(`bench: ${name} ${r.ok ? 'done' : `FAILED: ${r.why}`} in ${(r.ms / 1000).toFixed(1)} s`);
  }
  if (!smoke && only.length === 0) {
    const sections = BENCHES.map((n) => (existsSync(join(RESULTS_DIR, `${n}.md`)) ? readFileSync(join(RESULTS_DIR, `${n}.md`), 'utf8') : `## ${n}\n\nNot measured in this run: ${outcomes.find((o) => o.name === n)?.why ?? 'failed'}.\n`));
    // The chaos soak runs for minutes to hours on its own (`npm run chaos`): its last report is shown, never re-run here.
    const chaos = join(RESULTS_DIR, 'chaos.md');
    if (existsSync(chaos)) sections.push(`${readFileSync(chaos, 'utf8')}\n_From the last \`npm run chaos\` (not re-run by \`npm run bench\`)._\n`);
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), `# Benchmarks

The suite measured the way its users would judge it, beside the tools they would otherwise use, on
the same sandbox in the same run. Regenerate everything here with \`npm run bench\` (about
${Math.ceil(outcomes.reduce((a, o) => a + o.ms, 0) / 60_000)} minutes, loopback only); each section names the command for its own figures.

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, Debian Chromium. Figures move between
machines (this machine kind drifts 2× between sessions); ratios measured in one run hold.

${sections.join('\n')}`);
    console.error('bench: wrote BENCHMARKS.md');
  }
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

process.exitCode = await main();
