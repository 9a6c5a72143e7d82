// A runner through deploys, restarts, stops and a misbehaving Pushgateway: what it shows stays
// true (the builds and runners that exist), every wait is bounded, and a stop is never a red.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cronStatePath } from '../../reporters/cron-state.ts';
import { readLines, type JourneyLine } from '../../reporters/results-store/index.ts';
import { baseEnv, readResults, runCli, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';
import { cleanupProcesses, closedPort, gatewaySamples, poll, select, sleep, startPushgateway, startRunner, valueOf, type Runner } from './helpers.ts';

let gateway: string;
before(async () => {
  gateway = (await startPushgateway(await closedPort())).url;
});
after(cleanupProcesses);

let runnerNo = 0;
const runnerId = () => `life-${process.pid}-${++runnerNo}`;
const env = (url: string, extra: Record<string, string> = {}) =>
  baseEnv({ ...sandboxEnv(url), RESULTS_DIR: tempDir('life-'), PUSHGATEWAY_URL: gateway, BUILD_ID: '', GIT_SHA: '', ...extra });
const groupOf = async (runner: string) => (await gatewaySamples(gateway)).filter((s) => s.labels.runner === runner);
const buildsIn = (samples: Awaited<ReturnType<typeof groupOf>>) => [...new Set(samples.map((s) => s.labels.build_id).filter(Boolean))].sort();

async function journeys(dir: string): Promise<JourneyLine[]> {
  const out: JourneyLine[] = [];
  for await (const l of readLines(dir)) if (l.type === 'journey') out.push(l);
  return out;
}

test('a deploy mid-run: within two cycles the group and the store carry the new build, none of the old', { timeout: 90_000 }, async (t) => {
  let sb: SandboxHandle = await sandbox({ buildId: 'b41' });
  t.after(() => sb.close());
  const port = Number(new URL(sb.url).port);
  const id = runnerId();
  const e = env(sb.url, { RUNNER_ID: id });
  const r = startRunner(['run', '--every', '1s', '--project', 'api', '--journey', 'health,guardrail', '--target', `canary=${sb.url}`], e);
  await r.waitForCycles(2, 30_000, (c) => c.failed === 0);
  assert.deepEqual(buildsIn(await groupOf(id)), ['b41']);

  await sb.close();
  sb = await sandbox({ port, buildId: 'b42' });
  const changedAt = await poll('the build change line', async () => {
    const m = /^(\S+) target canary: build b41 → b42$/m.exec(r.output());
    return m ? Date.parse(m[1]!) : undefined;
  }, 15_000);
  await r.waitForCycles(2, 20_000, (c) => c.at > changedAt && c.failed === 0);
  const samples = await groupOf(id);
  assert.deepEqual(buildsIn(samples), ['b42'], 'the old build has left the group');
  assert.ok(select(samples, 'synthetic_journey_runs_total').length > 0);
  assert.equal((r.output().match(/build b41 → b42/g) ?? []).length, 1, 'the change is said once');
  await r.stop();
  const lines = await journeys(e.RESULTS_DIR!);
  const after = lines.filter((l) => Date.parse(l.startedAt) >= changedAt);
  assert.ok(after.length >= 4 && after.every((l) => l.build_id === 'b42'), `results after the change carry the new build: ${after.map((l) => `${l.startedAt} ${l.journey} ${l.build_id}`).join(', ')} (change at ${new Date(changedAt).toISOString()})`);
  assert.ok(lines.some((l) => l.build_id === 'b41'), 'results before it keep the old one');
  const probes = readResults(e.RESULTS_DIR!).filter((l) => l.type === 'call' && l.source === 'probe');
  assert.ok(probes.length >= 4 && probes.every((p) => p.route === '/health' && typeof p.syntheticId === 'string'), 'each cycle\'s build probe is a tagged call of the cycle');
});

test('cron mode across five builds: only the last build is in the Pushgateway, and the kept state does not grow', { timeout: 120_000 }, async (t) => {
  const sb = await sandbox();
  t.after(() => sb.close());
  const id = runnerId();
  const results = tempDir('cron-builds-');
  const sizes: number[] = [];
  for (const build of ['b1', 'b2', 'b3', 'b4', 'b5']) {
    const run = await runCli(['run', '--once', '--project', 'api', '--journey', 'health,guardrail'], env(sb.url, { RUNNER_ID: id, RESULTS_DIR: results, BUILD_ID: build, TARGET_NAME: 'canary' }));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(buildsIn(await groupOf(id)), [build], `after the ${build} run`);
    sizes.push(statSync(cronStatePath(results, id, 'canary')).size);
  }
  t.diagnostic(`kept state per build: ${sizes.join(', ')} bytes`);
  assert.ok(Math.max(...sizes) <= Math.min(...sizes) * 1.1, `the state grew from build to build: ${sizes.join(', ')}`);
});

test('the same runner stopped and started again leaves one group while it runs, and none that looks alive after', { timeout: 90_000 }, async (t) => {
  const sb = await sandbox();
  t.after(() => sb.close());
  const id = runnerId();
  const args = ['run', '--every', '1s', '--project', 'api', '--journey', 'health', '--target', `canary=${sb.url}`];
  for (const instance of [1, 2]) {
    const r = startRunner(args, env(sb.url, { RUNNER_ID: id }));
    await r.waitForCycles(2, 30_000);
    const live = await groupOf(id);
    assert.deepEqual([...new Set(live.map((s) => `${s.labels.runner}/${s.labels.target}`))], [`${id}/canary`], `instance ${instance}: one group`);
    assert.equal(valueOf(live, 'synthetic_runner_up'), 1);
    assert.equal(await r.stop(), 0, r.output());
    assert.deepEqual(await groupOf(id), [], `instance ${instance} stopped: its group is deleted (absent is the signal)`);
  }
  // STOPPED_GROUP=mark keeps the group, marked: runner_up 0, never a green that lingers.
  const r = startRunner(args, env(sb.url, { RUNNER_ID: id, STOPPED_GROUP: 'mark' }));
  await r.waitForCycles(1, 30_000);
  assert.equal(await r.stop(), 0);
  assert.equal(valueOf(await groupOf(id), 'synthetic_runner_up'), 0);
});

test('an API-only push holds at most 420 series', { timeout: 60_000 }, async (t) => {
  const sb = await sandbox();
  t.after(() => sb.close());
  const id = runnerId();
  const run = await runCli(['run', '--once', '--project', 'api'], env(sb.url, { RUNNER_ID: id }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const series = await groupOf(id);
  t.diagnostic(`${series.length} series in one API-only push`);
  assert.ok(series.length > 100, `${series.length} series: the push is there`);
  // 384 before the request histograms carried the cohort (issue 19), 404 with it.
  assert.ok(series.length <= 420, `${series.length} series in one API-only push (bound: 420)`);
});

/** A gateway that answers 200 and then trickles its body a byte a second. */
async function tricklingGateway(t: { after(fn: () => void): void }): Promise<{ url: string; requests: () => number }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('data', () => {
      requests += 1;
      s.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n');
      const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write('.')), 1000);
      s.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests: () => requests };
}

test('a trickling Pushgateway: cycles keep their cadence, and SIGTERM exits within the bound', { timeout: 90_000 }, async (t) => {
  const sb = await sandbox();
  t.after(() => sb.close());
  const trickle = await tricklingGateway(t);
  const r = startRunner(['run', '--every', '2s', '--project', 'api', '--journey', 'health,guardrail', '--target', `canary=${sb.url}`],
    env(sb.url, { RUNNER_ID: runnerId(), PUSHGATEWAY_URL: trickle.url, PUSH_TIMEOUT_MS: '300' }));
  const cycles = await r.waitForCycles(4, 40_000);
  for (const c of cycles) assert.ok(c.pushFailed, c.line);
  const gaps = cycles.slice(1).map((c, i) => c.at - cycles[i]!.at);
  assert.ok(gaps.every((g) => g <= 4_500), `cycles ${gaps.join(', ')} ms apart at a 2 s cadence`);
  assert.match(r.output(), /push of .* failed \(no complete answer within 300 ms\)/);
  assert.ok(trickle.requests() >= cycles.length);
  const signalled = Date.now();
  assert.equal(await r.stop('SIGTERM'), 0, r.output());
  const took = Date.now() - signalled;
  t.diagnostic(`exit ${took} ms after SIGTERM`);
  assert.ok(took < 20_000, `exit came ${took} ms after SIGTERM (bound 20 s)`);
});

test('SIGTERM during a long cycle: nothing that did not really fail is recorded or pushed as failed', { timeout: 90_000 }, async (t) => {
  const sb = await sandbox();
  t.after(() => sb.close());
  const id = runnerId();
  const e = env(sb.url, { RUNNER_ID: id, STOPPED_GROUP: 'mark', JOURNEY_TIMEOUT_MS: '60000' });
  // The guardrail's call hangs for 40 s; at a 30 s cadence the cycle's deadline (24 s) is far, so
  // it is the signal, not the deadline, that ends the cycle.
  await sb.fault({ route: '/api/flags', latencyMs: 40_000 });
  const r: Runner = startRunner(['run', '--every', '30s', '--project', 'api', '--target', `canary=${sb.url}`], e);
  await poll('the stuck call', async () => (await sb.requests()).some((q) => q.path === '/api/flags'), 15_000, 50);
  const signalled = Date.now();
  r.child.kill('SIGTERM');
  const code = await Promise.race([r.exited, sleep(25_000).then(() => 'timeout' as const)]);
  const took = Date.now() - signalled;
  assert.equal(code, 0, r.output());
  assert.ok(took < 20_000, `exit ${took} ms after SIGTERM (bound 20 s)`);
  const last = r.cycles().at(-1)!;
  assert.equal(last.failed, 0, last.line);
  assert.ok(last.aborted >= 1, last.line);
  const lines = await journeys(e.RESULTS_DIR!);
  assert.deepEqual(lines.filter((l) => l.outcome === 'failed').map((l) => `${l.journey}: ${l.reason}`), []);
  const guardrail = lines.filter((l) => l.journey === 'guardrail').at(-1)!;
  assert.equal(guardrail.outcome, 'aborted');
  assert.match(guardrail.reason ?? '', /^stopped: the runner was shutting down$/);
  const samples = await groupOf(id);
  assert.equal(select(samples, 'synthetic_journey_runs_total', { outcome: 'failed' }).length, 0, 'no failure pushed');
  assert.equal(valueOf(samples, 'synthetic_consecutive_failures', { journey: 'health' }), 0);
  assert.ok((valueOf(samples, 'synthetic_journey_runs_total', { journey: 'guardrail', outcome: 'aborted' }) ?? 0) >= 1);
});

test('a hung target: run --once ends within its cycle deadline, with a reason for every journey', { timeout: 60_000 }, async (t) => {
  const sb = await sandbox();
  t.after(() => sb.close());
  await sb.fault({ latencyMs: 60_000 });
  const e = env(sb.url, { RUN_INTERVAL: '6s', JOURNEY_TIMEOUT_MS: '20000', PUSHGATEWAY_URL: '' });
  const started = Date.now();
  const run = await runCli(['run', '--once', '--project', 'api'], e, { timeoutMs: 40_000 });
  const took = Date.now() - started;
  t.diagnostic(`run --once against a hung target took ${took} ms (deadline ${5_000} ms of journeys)`);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.ok(took < 12_000, `took ${took} ms`);
  const lines = await journeys(e.RESULTS_DIR!);
  assert.equal(lines.length, 7);
  for (const l of lines) assert.ok(l.reason && l.reason.length > 10, `${l.journey} has a reason: ${l.reason}`);
  // The first journey outlived its lease, so the others started beside it: each is cut by the
  // deadline with a reason of its own, and each is the target's failure: it was waiting on a call
  // the target had not answered past its budget.
  for (const l of lines) {
    assert.equal(l.outcome, 'failed', `${l.journey}: ${l.reason}`);
    assert.match(l.reason!, /^cycle deadline: still running after \d+ ms, when the cycle had to end \(step "[^"]+"\) \(\+1 more\)$/, l.journey);
    assert.match(l.attempts[0]!.problems!.at(-1)!, /^(GET|POST|PUT|DELETE) \S+: no answer after \d+ ms \(budget \d+ ms\)$/, 'the call it was waiting on');
  }
});

test('no silences: at a 60 s cadence the first cycle runs at once, each failed attempt is a line as it happens, and the next start is said', { timeout: 60_000 }, async () => {
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const r = startRunner(['run', '--every', '60s', '--project', 'api', '--journey', 'health', '--target', `canary=${url}`],
    env(url, { RUNNER_ID: runnerId(), PUSHGATEWAY_URL: '', RETRIES: '2', RETRY_MIN_DELAY_MS: '500' }));
  const firstAttempt = await poll('the first failed attempt line', async () =>
    /cycle 1 canary: health\/api attempt 1 failed \(target unreachable: .*ECONNREFUSED\)\); next retry in 0\.5 s$/m.test(r.output()) ? Date.now() : undefined, 10_000, 50);
  assert.ok(firstAttempt - started < 8_000, `the first line came ${firstAttempt - started} ms after the start`);
  const [cycle] = await r.waitForCycles(1, 10_000);
  assert.equal(cycle!.failed, 1);
  assert.match(r.output(), /attempt 3 failed .*; no retry in this cycle$/m);
  assert.match(r.output(), /next cycle at \d\d:\d\d:00, then every 60000 ms on the clock$/m);
  assert.equal(await r.stop(), 0);
});
