#!/usr/bin/env node
// Runs the node:test suites through tsx (Node 20 cannot run .ts tests by itself) and ends with
// the plain `N passed, N failed` line CI reads. `node scripts/run-tests.mjs [unit|integration|…]`
// runs only the test folders named.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const groups = process.argv.slice(2);
const dirs = readdirSync(join(root, 'test')).filter((d) => statSync(join(root, 'test', d)).isDirectory())
  .filter((d) => groups.length === 0 || groups.includes(d)).sort((a, b) => (a === 'unit' ? -1 : b === 'unit' ? 1 : a.localeCompare(b)));
const files = dirs.flatMap((d) => readdirSync(join(root, 'test', d)).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', d, f)));
if (files.length === 0) {
  console.error(`no test files under test/${groups.join(',')}`);
  process.exit(2);
}
const tap = join(mkdtempSync(join(tmpdir(), 'synthetics-tests-')), 'results.tap');
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test', '--test-concurrency=1',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...files,
], { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
child.on('exit', (code, signal) => {
  let passed = 0, failed = 0, skipped = 0;
  try {
    const text = readFileSync(tap, 'utf8');
    passed = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
    failed = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0);
    skipped = Number(/^# skipped (\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    failed = Math.max(failed, 1);
  }
  if (code !== 0 && failed === 0) failed = 1; // a crash outside any test still fails the run
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code ?? (signal ? 1 : 0));
});
