// A bounded soak: 1,000 back-to-back cycles of the API journeys, driven in this process the way
// `synthetics run --every` drives them (Suite → TargetRun → Scheduler, results store and metrics
// push included), so this process's heap is the runner's. The sandbox runs in its own process:
// what it keeps (signup accounts, its request log) is not the runner's memory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { selectJourneys } from '../../journeys/index.ts';
import { standardSinks } from '../../reporters/sinks.ts';
import { loadConfig } from '../../src/config/load.ts';
import { Scheduler } from '../../src/runner/scheduler.ts';
import { Suite } from '../../src/runner/suite.ts';
import { TargetRun } from '../../src/runner/target-run.ts';
import { baseEnv, ROOT, tempDir } from '../support/cli.ts';
import { sandboxEnv } from '../support/sandbox.ts';
import { cleanupProcesses, closedPort, gatewaySamples, select, startPushgateway, track } from './helpers.ts';

const CYCLES = 1_000;
const BASELINE_AT = 100;
/**
 * Heap growth allowed from cycle 100 to the end (after gc), in MB. Measured here: ~4 MB, nearly
 * all of it the scrubber's set of registered tokens (src/core/scrub.ts keeps every token a journey
 * receives, ~21 a cycle, for the life of the process). A per-call leak is far above it: before
 * TargetRun renewed its request context each cycle, the Playwright response bodies the warm
 * context retained added ~130 KB a cycle, ~115 MB over this soak.
 */
const MAX_HEAP_GROWTH_MB = 20;
const MIN_PASS_RATIO = 0.99;

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

let sandboxUrl = '';
let gatewayUrl = '';
const results = tempDir('synthetics-soak-');

before(async () => {
  const child = track(spawn(process.execPath, [join(ROOT, 'bin', 'synthetics.js'), 'sandbox', '--port', '0'], { cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  sandboxUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sandbox printed no URL: ${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /^sandbox listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`the sandbox exited ${code}: ${out}`)));
  });
  gatewayUrl = (await startPushgateway(await closedPort())).url;
});

after(async () => {
  await cleanupProcesses();
  rmSync(results, { recursive: true, force: true });
});

// The count is the test; the timeout only bounds it: twice the idle time, since on 2 cores it shares
// the machine with another lane (a cold image build, a controllers run) and slows with it.
test(`soak: ${CYCLES} cycles of the API journeys in one runner process, heap bounded`, { timeout: 600_000 }, async (t) => {
  // baseEnv: RETRIES=0 and budgets relaxed for a shared 2-core machine (this is not a latency test).
  const config = loadConfig(baseEnv({
    ...sandboxEnv(sandboxUrl),
    RESULTS_DIR: results,
    RUNNER_ID: `soak-${process.pid}`,
    REGION: 'soak',
    PUSHGATEWAY_URL: gatewayUrl,
  }));
  const suite = new Suite(config);
  const journeys = selectJourneys('api');
  const sinks = standardSinks(config, 'loop');
  const run = new TargetRun(await suite.open({ name: 'canary', baseUrl: sandboxUrl }), journeys, sinks.fanOut);

  // The runner logs two lines a cycle (its summary, and "took longer than 1 ms"): count them and
  // keep the unexpected ones instead of flooding the test output.
  const stderrWrite = process.stderr.write;
  let logLines = 0;
  const unexpected: string[] = [];
  const failedCycles: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => {
    const text = String(chunk);
    logLines += 1;
    if (/runner error|push failed|write failed|new request context failed/.test(text) && unexpected.length < 20) unexpected.push(text.trim());
    else if (/ cycle \d+ canary: .* — /.test(text) && failedCycles.length < 10) failedCycles.push(text.trim());
    return true;
  }) as typeof process.stderr.write;

  let baseline = NaN;
  const samples: string[] = [];
  const cyclesSeen: number[] = [];
  const started = Date.now();
  let end = NaN;
  try {
    // intervalMs 1: every cycle starts as soon as the last one ends (they never overlap).
    const scheduler = new Scheduler([run], {
      intervalMs: 1,
      maxCycles: CYCLES,
      onCycle: (n) => {
        cyclesSeen.push(n);
        if (n === BASELINE_AT) baseline = heapMb();
        if (n % 200 === 0) samples.push(`cycle ${n}: ${((Date.now() - started) / 1000).toFixed(1)} s, heap ${heapMb().toFixed(1)} MB, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
      },
    });
    await scheduler.run();
    end = heapMb();
    assert.equal(scheduler.cycles, CYCLES);
  } finally {
    process.stderr.write = stderrWrite;
    await suite.close();
  }
  const seconds = (Date.now() - started) / 1000;
  for (const s of samples) t.diagnostic(s);
  for (const f of failedCycles) t.diagnostic(`failed: ${f}`);
  t.diagnostic(`${CYCLES} cycles in ${seconds.toFixed(1)} s (${((seconds * 1000) / CYCLES).toFixed(0)} ms a cycle); heap after gc: ${baseline.toFixed(1)} MB at cycle ${BASELINE_AT}, ${end.toFixed(1)} MB at the end, growth ${(end - baseline).toFixed(1)} MB (bound ${MAX_HEAP_GROWTH_MB} MB)`);

  assert.deepEqual(cyclesSeen, Array.from({ length: CYCLES }, (_, i) => i + 1), 'every cycle ran, in order');
  assert.deepEqual(unexpected, [], 'no runner errors, failed pushes or failed writes');
  assert.ok(logLines >= CYCLES, `${logLines} log lines for ${CYCLES} cycles`);

  // Outcomes, from the runner's own counters and cross-checked against what the gateway holds.
  const runs = (await sinks.metrics.of('canary').metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'synthetic_journey_runs_total')!;
  const byOutcome = { passed: 0, flaky: 0, failed: 0 } as Record<string, number>;
  for (const v of runs.values) byOutcome[String(v.labels.outcome)]! += v.value;
  const total = byOutcome.passed! + byOutcome.flaky! + byOutcome.failed!;
  t.diagnostic(`journey runs: ${JSON.stringify(byOutcome)}`);
  assert.equal(total, CYCLES * journeys.length);
  assert.ok((byOutcome.passed! + byOutcome.flaky!) / total >= MIN_PASS_RATIO, `only ${byOutcome.passed! + byOutcome.flaky!} of ${total} journey runs passed`);
  const pushed = select(await gatewaySamples(gatewayUrl), 'synthetic_journey_runs_total', { runner: `soak-${process.pid}` }).reduce((n, s) => n + s.value, 0);
  assert.equal(pushed, total, 'the last push carries every journey run');

  assert.ok(end - baseline < MAX_HEAP_GROWTH_MB, `heap grew ${(end - baseline).toFixed(1)} MB from cycle ${BASELINE_AT} to ${CYCLES} (bound ${MAX_HEAP_GROWTH_MB} MB)`);
});
