// The benchmark harness cannot rot: every bench runs at its smallest (`npm run bench -- --smoke`),
// exits 0, and writes a section with a table of numbers. The figures themselves live in
// BENCHMARKS.md (`npm run bench`), never in assertions.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BENCHES } from '../../bench/lib/bench.ts';
import { ROOT, tempDir } from '../support/cli.ts';

test('every benchmark runs at its smallest and writes a section of measured numbers', { timeout: 600_000 }, async () => {
  const out = tempDir('bench-smoke-');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--smoke'], { cwd: ROOT, env: { ...process.env, BENCH_RESULTS_DIR: out }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', resolve);
  });
  assert.equal(code, 0, 'npm run bench -- --smoke');
  for (const name of BENCHES) {
    const md = readFileSync(join(out, `${name}.md`), 'utf8');
    assert.match(md, /^## /m, `${name}: a section`);
    assert.match(md, /^\|.*\d.*\|$/m, `${name}: a table with numbers`);
    assert.match(md, /npx tsx bench\/[\w-]+\.bench\.ts/, `${name}: the command that reproduces it`);
    JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8'));
  }
});
