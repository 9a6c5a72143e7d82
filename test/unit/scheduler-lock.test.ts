import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireLock } from '../../src/runner/lock.ts';
import { cycleDeadline, MIN_CYCLE_MS, Scheduler } from '../../src/runner/scheduler.ts';
import type { TargetRun } from '../../src/runner/target-run.ts';
import { tempDir } from '../support/cli.ts';

/** A stand-in target whose cycles take the given times; records when each cycle started. */
function fakeRun(durations: number[]) {
  const starts: number[] = [];
  let missed = 0;
  const run = {
    session: { target: { name: 'fake' } },
    cyclesMissed: (n: number) => void (missed += n),
    async cycle() {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, durations[starts.length - 1] ?? 0));
      return { results: [], sinks: { notes: [], failed: [] } };
    },
  };
  return { run: run as unknown as TargetRun, starts, missed: () => missed };
}

test('the first cycle runs at once; later ones start on the clock grid and a long cycle skips ticks instead of stacking them', async () => {
  // Wide margins: timers on a loaded machine fire late, and the 900 ms cycle must cover exactly two ticks.
  const interval = 400;
  const fake = fakeRun([10, 900, 10, 10]);
  const scheduler = new Scheduler([fake.run], { intervalMs: interval, maxCycles: 4 });
  const called = Date.now();
  await scheduler.run();
  assert.equal(fake.starts.length, 4);
  assert.ok(fake.starts[0]! - called < 150, `the first cycle started ${fake.starts[0]! - called} ms after run()`);
  for (const start of fake.starts.slice(1)) {
    const offset = start % interval;
    assert.ok(offset < 150, `cycle started ${offset} ms after its tick`);
  }
  const gaps = fake.starts.slice(2).map((s, i) => Math.round((s - fake.starts[i + 1]!) / interval));
  assert.deepEqual(gaps, [3, 1], 'the 900 ms cycle covered two ticks, which were skipped');
  assert.equal(fake.missed(), 2);
});

test('stop() ends the loop without waiting for the next tick', async () => {
  const fake = fakeRun([]);
  const scheduler = new Scheduler([fake.run], { intervalMs: 60_000 });
  const started = Date.now();
  const running = scheduler.run();
  setTimeout(() => scheduler.stop(), 50);
  await running;
  assert.ok(Date.now() - started < 1000);
  assert.equal(fake.starts.length, 1, 'the first cycle ran at once, the next tick was not waited for');
});

test('a cycle\'s deadline leaves the sinks a fifth of the cadence (at most 15 s), never under 5 s', () => {
  assert.equal(cycleDeadline(1_000, 60_000), 1_000 + 48_000);
  assert.equal(cycleDeadline(0, 300_000), 285_000);
  assert.equal(cycleDeadline(0, 10_000), 8_000);
  assert.equal(cycleDeadline(0, 1_000), MIN_CYCLE_MS);
});

test('a lock is held until released; a second taker is told who holds it', async () => {
  const dir = tempDir('locks-');
  const first = await acquireLock(dir, 'runner--canary');
  assert.ok('release' in first);
  // Another process's live lock: pid 1 always exists.
  writeFileSync(join(dir, 'runner--control.lock'), '1');
  const held = await acquireLock(dir, 'runner--control');
  assert.deepEqual(held, { heldBy: 1 });
  await first.release();
  const again = await acquireLock(dir, 'runner--canary');
  assert.ok('release' in again);
  await again.release();
});

test('a lock whose owner is dead is stale and taken over', async () => {
  const dir = tempDir('locks-');
  writeFileSync(join(dir, 'runner--canary.lock'), '999999999');
  const lock = await acquireLock(dir, 'runner--canary');
  assert.ok('release' in lock);
  await lock.release();
});
