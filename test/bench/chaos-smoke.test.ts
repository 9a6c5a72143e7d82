// The chaos soak cannot rot: `npm run chaos -- --smoke` runs half a minute of faults against a
// real runner, writes its report, and leaves nothing it started behind. Its verdict (exit 0 or 1)
// is the runner's business, not the harness's: only a crash or a usage mistake fails here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../support/cli.ts';

const CHAOS = join(ROOT, 'bench', 'chaos.ts');

function chaos(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHAOS, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Live processes whose environment carries this marker (a zombie has none left to read). */
function marked(marker: string): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CHAOS_SOAK_ID=${marker}`);
    } catch {
      return false;
    }
  });
}

test('a flag mistake is one line and exit 2', async () => {
  for (const args of [['--minutes', '0'], ['--every', 'soon'], ['--seed', '-3'], ['--minutes', '0.5', '--every', '1m'], ['--nope']]) {
    const { code, stderr } = await chaos(args);
    assert.equal(code, 2, args.join(' '));
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /^chaos: /);
  }
});

test('the smoke soak injects faults, reports them and leaves no process behind', { timeout: 240_000 }, async () => {
  const out = tempDir('chaos-smoke-');
  const { code, stderr } = await chaos(['--smoke', '--seed', '2'], { BENCH_RESULTS_DIR: out });
  assert.ok(code === 0 || code === 1, `exit ${code}:\n${stderr}`);
  const md = readFileSync(join(out, 'chaos.md'), 'utf8');
  assert.match(md, /^## Chaos$/m);
  assert.match(md, /npm run chaos -- --minutes 0\.5 --every 10s --seed 2/);
  assert.match(md, /^\*\*Verdict: (PASS|FAIL)\*\*/m);
  const result = JSON.parse(readFileSync(join(out, 'chaos.json'), 'utf8'));
  // Seed 2 plans a 500 on the canary's checkout and a Chromium freeze.
  assert.deepEqual(result.plan.target.map((f: { kind: string }) => f.kind), ['payments-500']);
  assert.ok(result.timeline.some((f: { class: string; injected: boolean }) => f.class === 'target' && f.injected), JSON.stringify(result.timeline));
  assert.ok(result.cycles.canary.cycles >= 2 && result.cycles.control.cycles >= 2, JSON.stringify(result.cycles));
  assert.ok(result.samples.length >= 1);
  assert.equal(typeof result.verdict.pass, 'boolean');
  assert.deepEqual(marked(result.marker), []);
});
