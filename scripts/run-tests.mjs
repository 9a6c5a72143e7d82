#!/usr/bin/env node
// Runs the node:test suites through tsx (Node 20 cannot run .ts tests by itself) and ends with
// the plain `N passed, N failed` line CI reads. `node scripts/run-tests.mjs [unit|integration|…]`
// runs only the test folders named.
//
// Test files run side by side, TEST_JOBS at a time (default 2), the longest first, as measured
// and kept in test/schedule.json, so the run ends when its longest lane does rather than after the
// sum of all files; of the files that drive Chromium (listed there too) only one runs at a time:
// two at once on 2 cores stretch every page past its timeouts. Each file's output is printed whole
// when it ends, with its duration. `TEST_JOBS=1` runs them one after another.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const groups = process.argv.slice(2);
const dirs = readdirSync(join(root, 'test')).filter((d) => statSync(join(root, 'test', d)).isDirectory())
  .filter((d) => groups.length === 0 || groups.includes(d)).sort();
const files = dirs.flatMap((d) => readdirSync(join(root, 'test', d)).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', d, f)));
if (files.length === 0) {
  console.error(`no test files under test/${groups.join(',')}`);
  process.exit(2);
}
const jobsRaw = process.env.TEST_JOBS ?? '2';
if (!/^[1-9]\d?$/.test(jobsRaw)) {
  console.error(`TEST_JOBS "${jobsRaw}": must be a whole number from 1 to 99`);
  process.exit(2);
}
const jobs = Number(jobsRaw);

const scheduleFile = join(root, 'test', 'schedule.json');
const schedule = JSON.parse(readFileSync(scheduleFile, 'utf8'));
const secondsOf = (f) => schedule.seconds[f] ?? 5;
const browser = new Set(schedule.browser);
// Longest first: a long file started last would end the run alone.
const pending = [...files].sort((a, b) => secondsOf(b) - secondsOf(a));
let browserRunning = false;
/** The longest file that may start now: not a second Chromium file while one runs. */
function nextFile() {
  const i = pending.findIndex((f) => !(browserRunning && browser.has(f)));
  return i < 0 ? undefined : pending.splice(i, 1)[0];
}

const scratch = mkdtempSync(join(tmpdir(), 'synthetics-tests-'));
const measured = {};
let passed = 0, failed = 0, skipped = 0, crashed = 0;

function count(tap) {
  const n = (key) => Number(new RegExp(`^# ${key} (\\d+)`, 'm').exec(tap)?.[1] ?? 0);
  return { pass: n('pass'), fail: n('fail') + n('cancelled'), skip: n('skipped') };
}

function runFile(file, index) {
  const tap = join(scratch, `${index}.tap`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [
      '--import', 'tsx', '--test',
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`,
      file,
    ], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('exit', (code, signal) => {
      const ms = Date.now() - started;
      measured[file] = ms;
      let c = { pass: 0, fail: 0, skip: 0 };
      try {
        c = count(readFileSync(tap, 'utf8'));
      } catch {
        // no TAP: counted as a crash below
      }
      // A file that exits non-zero with no failing test crashed outside any test: that fails the run.
      if (code !== 0 && c.fail === 0) crashed += 1;
      passed += c.pass;
      failed += c.fail;
      skipped += c.skip;
      process.stdout.write(`\n━━ ${file} (${(ms / 1000).toFixed(1)} s): ${c.pass} passed, ${c.fail} failed${code !== 0 ? `, exit ${code ?? signal}` : ''}\n`);
      process.stdout.write(Buffer.concat(out));
      resolve();
    });
  });
}

const started = Date.now();
let index = 0;
/** Lanes waiting for the Chromium file to end. */
const waiting = [];
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, async () => {
  while (pending.length > 0) {
    const file = nextFile();
    if (!file) {
      await new Promise((resolve) => waiting.push(resolve));
      continue;
    }
    const heavy = browser.has(file);
    if (heavy) browserRunning = true;
    await runFile(file, index++);
    if (heavy) {
      browserRunning = false;
      waiting.splice(0).forEach((resume) => resume());
    }
  }
}));

// RECORD_DURATIONS=1 on a full serial run (TEST_JOBS=1) keeps what it measured for the next runs' order.
if (groups.length === 0 && process.env.RECORD_DURATIONS === '1') {
  schedule.seconds = Object.fromEntries(Object.entries(measured).sort().map(([f, ms]) => [f, Math.round(ms / 1000)]));
  writeFileSync(scheduleFile, `${JSON.stringify(schedule, null, 2)}\n`);
}
const slowest = Object.entries(measured).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([f, ms]) => `${f} ${(ms / 1000).toFixed(0)} s`);
console.log(`\n${files.length} files, ${jobs} at a time, in ${((Date.now() - started) / 1000).toFixed(0)} s; slowest: ${slowest.join(', ')}`);
failed += crashed;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
