// What a long-running runner does when the world around it breaks: it says what happened in one
// line and keeps cycling (at least two more cycles after the event), and it stops cleanly on a
// signal. Each case runs a real `synthetics run --every 1s` process.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { after, afterEach, before, describe, test, type TestContext } from 'node:test';
import { selectJourneys } from '../../journeys/index.ts';
import { resultsFileFor } from '../../reporters/results-store/index.ts';
import { baseEnv, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';
import {
  cleanupProcesses, closedPort, descendants, gatewaySamples, killTree, poll, select, sleep, startPushgateway, startRunner, valueOf,
  type Runner,
} from './helpers.ts';

const API_JOURNEYS = selectJourneys('api').length;
const STACK_TRACE = /\n\s+at /;

let sb: SandboxHandle | undefined;
let caseNo = 0;

before(async () => {
  sb = await sandbox();
});
afterEach(async () => {
  await sb!.clearFaults();
});
after(async () => {
  await cleanupProcesses();
  await sb?.close();
});

/** A runner of this case, killed (with its Chromium) when the case ends, whatever happened. */
function runner(t: TestContext, args: string[], env: Record<string, string> = {}): { r: Runner; runnerId: string } {
  const runnerId = `resilience-${process.pid}-${++caseNo}`;
  const r = startRunner(
    ['run', '--every', '1s', ...args],
    baseEnv({ ...sandboxEnv(sb!.url), RESULTS_DIR: tempDir(), RUNNER_ID: runnerId, ...env }),
  );
  t.after(() => killTree(r.child));
  return { r, runnerId };
}

/** Stops the runner with SIGTERM: exit 0, a final `stopped after N cycle(s)` line, no stack trace. */
async function stopCleanly(r: Runner): Promise<void> {
  const code = await r.stop('SIGTERM');
  assert.equal(code, 0, r.output());
  assert.match(r.output(), /stopped after \d+ cycle\(s\)\n$/);
  assert.doesNotMatch(r.output(), STACK_TRACE);
}

describe('the runner keeps cycling and says what happened', () => {
  test('target down: every cycle says "target unreachable", no stack trace', { timeout: 60_000 }, async (t) => {
    const port = await closedPort();
    const { r } = runner(t, ['--project', 'api', '--target', `canary=http://127.0.0.1:${port}`]);
    const cycles = await r.waitForCycles(3);
    for (const c of cycles) {
      assert.equal(c.failed, c.total, c.line);
      assert.match(c.reason ?? '', /target unreachable.*ECONNREFUSED/, c.line);
    }
    assert.doesNotMatch(r.output(), STACK_TRACE);
    await stopCleanly(r);
  });

  test('Pushgateway down, then up: "push failed" cycles, then one push with the full state', { timeout: 90_000 }, async (t) => {
    const port = await closedPort();
    const { r, runnerId } = runner(t, ['--project', 'api', '--target', `canary=${sb!.url}`], { PUSHGATEWAY_URL: `http://127.0.0.1:${port}` });
    const down = await r.waitForCycles(2, 30_000, (c) => c.pushFailed);
    for (const c of down) assert.equal(c.failed, 0, `the journeys themselves pass: ${c.line}`);

    const gateway = await startPushgateway(port);
    t.after(() => killTree(gateway.child));
    // The first state the gateway holds for this runner (polled faster than the runner cycles).
    const group = { job: 'synthetics', runner: runnerId, target: 'canary' };
    const samples = await poll('the first good push', async () => {
      const s = await gatewaySamples(gateway.url);
      return select(s, 'synthetic_journey_runs_total', group).length > 0 ? s : undefined;
    }, 30_000, 50, () => r.output());
    const runs = select(samples, 'synthetic_journey_runs_total', group).reduce((n, s) => n + s.value, 0);
    const pushFailures = valueOf(samples, 'synthetic_push_failures_total', group);
    // The push after cycle k carries k cycles' runs …
    const k = runs / API_JOURNEYS;
    assert.ok(Number.isInteger(k), `${runs} journey runs is not a whole number of cycles of ${API_JOURNEYS}`);
    const [pushedCycle] = await r.waitForCycles(1, 15_000, (c) => c.n === k);
    assert.equal(pushedCycle!.pushFailed, false, `cycle ${k}'s push reached the gateway: ${pushedCycle!.line}`);
    // … including those of the cycles whose pushes failed, and counts those failures.
    const failedBefore = r.cycles().filter((c) => c.n < k && c.pushFailed).length;
    assert.ok(failedBefore >= 2 && k > failedBefore, `cycle ${k}, ${failedBefore} failed pushes before it`);
    assert.equal(pushFailures, failedBefore, 'synthetic_push_failures_total');
    t.diagnostic(`first good push after cycle ${k}: ${runs} journey runs, ${pushFailures} push failures`);

    await r.waitForCycles(2, 15_000, (c) => c.n > k && !c.pushFailed);
    await stopCleanly(r);
  });

  test('Pushgateway that accepts and never answers: pushes time out, the cadence holds', { timeout: 60_000 }, async (t) => {
    const sockets = new Set<Socket>();
    let connections = 0;
    const server = createServer((s) => {
      connections += 1;
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    const { port } = server.address() as { port: number };
    const { r } = runner(t, ['--project', 'api', '--target', `canary=${sb!.url}`], { PUSHGATEWAY_URL: `http://127.0.0.1:${port}`, PUSH_TIMEOUT_MS: '300' });
    const [first] = await r.waitForCycles(1, 30_000, (c) => c.pushFailed);
    const cycles = await r.waitForCycles(3, 30_000, (c) => c.n > first!.n);
    const all = [first!, ...cycles.slice(0, 3)];
    for (const c of all) {
      assert.equal(c.pushFailed, true, c.line);
      assert.equal(c.failed, 0, c.line);
      assert.ok(c.ms <= 3_000, `a cycle took ${c.ms} ms: ${c.line}`);
    }
    for (let i = 1; i < all.length; i++) {
      assert.ok(all[i]!.at - all[i - 1]!.at <= 3_500, `cycles ${all[i - 1]!.n} and ${all[i]!.n} ended ${all[i]!.at - all[i - 1]!.at} ms apart`);
    }
    assert.match(r.output(), /push of .* failed \(no complete answer within 300 ms\)/);
    assert.ok(connections >= all.length, `only ${connections} connections reached the silent gateway`);
    t.diagnostic(`cycle times with a silent gateway: ${all.map((c) => c.ms).join(', ')} ms`);
    await stopCleanly(r);
  });

  // Killed between cycles, and ~80 ms into a cycle, while it sets its page up: a kill there used
  // to leave newPage() pending forever and the runner exited 0, silently, mid-cycle.
  for (const when of ['between cycles', 'during page setup'] as const) {
    test(`browser crash ${when}: Chromium killed, later cycles pass on a relaunched browser`, { timeout: 120_000 }, async (t) => {
      const { r } = runner(t, ['--project', 'browser', '--journey', 'provider-browser', '--target', `canary=${sb!.url}`], { DEVICES: 'desktop', JOURNEY_TIMEOUT_MS: '3000' });
      await r.waitForCycles(2, 60_000, (c) => c.failed === 0 && c.passed === 1);
      if (when === 'during page setup') {
        const tick = Math.ceil(Date.now() / 1000) * 1000; // cycles start on whole seconds
        await sleep(tick - Date.now() + 80);
      }
      const before = new Set(descendants(r.child.pid!));
      assert.ok(before.size > 0, 'the runner has no Chromium processes to kill');
      const lastBeforeKill = Math.max(...r.cycles().map((c) => c.n));
      for (const pid of before) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      const passing = await r.waitForCycles(2, 60_000, (c) => c.n > lastBeforeKill && c.failed === 0 && c.passed === 1);
      const relaunched = descendants(r.child.pid!).filter((pid) => !before.has(pid));
      assert.ok(relaunched.length > 0, 'no new Chromium process: the browser was not relaunched');
      const hit = r.cycles().filter((c) => c.n > lastBeforeKill && c.n < passing[0]!.n);
      for (const c of hit) assert.match(c.reason ?? '', /closed|crash|disconnect|hung/i, `a cycle hit by the crash says so: ${c.line}`);
      t.diagnostic(`killed ${before.size} Chromium processes after cycle ${lastBeforeKill}; ${hit.map((c) => c.line.replace(/^\S+ /, '')).join(' | ') || 'no cycle failed'}`);
      await stopCleanly(r);
    });
  }

  test('journey hung: it fails as "journey hung" after JOURNEY_TIMEOUT_MS and the next cycles come', { timeout: 60_000 }, async (t) => {
    await sb!.fault({ route: '/api/flags', latencyMs: 8_000 });
    const { r } = runner(t, ['--project', 'api', '--journey', 'guardrail,health', '--target', `canary=${sb!.url}`], { JOURNEY_TIMEOUT_MS: '1000' });
    const [hung] = await r.waitForCycles(1, 30_000, (c) => /guardrail\/api: journey hung/.test(c.reason ?? ''));
    assert.equal(hung!.failed, 1, `only the guardrail journey fails: ${hung!.line}`);
    const next = await r.waitForCycles(2, 30_000, (c) => c.n > hung!.n);
    // A hung call is cut at the timeout: no cycle waits for the 8 s answer.
    for (const c of [hung!, ...next]) assert.ok(c.ms < 3_000, `cycle ${c.n} took ${c.ms} ms: ${c.line}`);
    await stopCleanly(r);
  });

  test('results dir refusing writes: a "results store … write failed" line, journeys still pass', { timeout: 60_000 }, async (t) => {
    // Writable at start (a results dir that cannot be written then is refused at start), but
    // today's file is a directory, so every append fails.
    const dir = tempDir();
    for (const day of [0, 1]) mkdirSync(resultsFileFor(dir, new Date(Date.now() + day * 86_400_000)));
    const { r } = runner(t, ['--project', 'api', '--target', `canary=${sb!.url}`], { RESULTS_DIR: dir });
    const cycles = await r.waitForCycles(3);
    for (const c of cycles) assert.equal(c.passed, API_JOURNEYS, c.line);
    const failures = r.output().split('\n').filter((l) => /results store .*: write failed/.test(l));
    assert.ok(failures.length >= 3, `one write-failed line per cycle:\n${r.output()}`);
    assert.match(failures[0]!, /EISDIR/);
    await stopCleanly(r);
  });
});

describe('a signal mid-cycle: the running cycle finishes, exit 0, the group is marked stopped', () => {
  let gateway: { url: string; child: import('node:child_process').ChildProcess } | undefined;
  before(async () => {
    gateway = await startPushgateway(await closedPort());
  });
  after(async () => {
    if (gateway) await killTree(gateway.child);
  });

  const cases: Array<{ signal: NodeJS.Signals; project: 'api' | 'browser' }> = [
    { signal: 'SIGTERM', project: 'api' },
    { signal: 'SIGINT', project: 'api' },
    { signal: 'SIGTERM', project: 'browser' },
    { signal: 'SIGINT', project: 'browser' },
  ];
  for (const { signal, project } of cases) {
    test(`${signal} during a ${project} cycle`, { timeout: 90_000 }, async (t) => {
      const journeys = project === 'api' ? API_JOURNEYS : 1;
      // API cycles are short: slow every login down so the signal surely lands inside one.
      if (project === 'api') await sb!.fault({ route: '/api/auth/login', latencyMs: 100 });
      const args = project === 'api' ? ['--project', 'api'] : ['--project', 'browser', '--journey', 'provider-browser'];
      // mark: the stopped group stays, with runner_up 0, so the final push can be read back.
      const { r, runnerId } = runner(t, [...args, '--target', `canary=${sb!.url}`], { PUSHGATEWAY_URL: gateway!.url, DEVICES: 'desktop', STOPPED_GROUP: 'mark' });
      await r.waitForCycles(1, 60_000, (c) => c.failed === 0);
      // The next cycle has started when the sandbox sees its first request: signal 100 ms later.
      await sb!.clearRequests();
      await poll('the next cycle to start', async () => (await sb!.requests()).length > 0, 10_000, 20);
      await sleep(100);
      const signalledAt = Date.now();
      r.child.kill(signal);
      const code = await Promise.race([r.exited, sleep(30_000).then(() => 'timeout' as const)]);
      assert.equal(code, 0, r.output());
      const cycles = r.cycles();
      const last = cycles[cycles.length - 1]!;
      assert.ok(last.at > signalledAt, `the signal did not land inside a cycle (last cycle ended before it):\n${r.output()}`);
      assert.equal(last.failed, 0, `the cycle running at the signal was cut short: ${last.line}`);
      const stopped = /stopped after (\d+) cycle\(s\)\n$/.exec(r.output());
      assert.ok(stopped, r.output());
      assert.equal(Number(stopped[1]), last.n);
      assert.match(r.output(), new RegExp(`${signal}: finishing the running cycle`));
      assert.doesNotMatch(r.output(), STACK_TRACE);

      const group = { job: 'synthetics', runner: runnerId, target: 'canary' };
      const samples = await gatewaySamples(gateway!.url);
      assert.equal(valueOf(samples, 'synthetic_runner_up', group), 0, 'synthetic_runner_up');
      const runs = select(samples, 'synthetic_journey_runs_total', group).reduce((n, s) => n + s.value, 0);
      assert.equal(runs, last.n * journeys, 'the final push carries every cycle, the finished one included');
    });
  }
});
