// The runner never dies of its browser, never paints the target red for its own trouble, and one
// slow journey never starves the others. Real runner processes, a real sandbox, real Chromium.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { selectJourneys } from '../../journeys/index.ts';
import type { JourneyLine } from '../../reporters/results-store/index.ts';
import { totalBackoff } from '../../src/core/backoff.ts';
import { baseEnv, readResults, ROOT, tempDir } from '../support/cli.ts';
import { sandbox, sandboxEnv, type SandboxHandle } from '../support/sandbox.ts';
import { cleanupProcesses, descendants, killTree, poll, sleep, startRunner, type Runner } from './helpers.ts';

let sb: SandboxHandle | undefined;
let caseNo = 0;

before(async () => {
  sb = await sandbox();
});
after(async () => {
  await cleanupProcesses();
  await sb?.close();
});

function runner(t: TestContext, args: string[], env: Record<string, string> = {}): { r: Runner; results: string } {
  const results = tempDir();
  const r = startRunner(args, baseEnv({ ...sandboxEnv(sb!.url), RESULTS_DIR: results, RUNNER_ID: `browser-faults-${process.pid}-${++caseNo}`, ...env }));
  t.after(async () => {
    await killTree(r.child);
    await sb!.clearFaults();
  });
  return { r, results };
}

const journeyLines = (results: string) => readResults(results).filter((l) => l.type === 'journey') as unknown as JourneyLine[];
const chromiumOf = (r: Runner) => descendants(r.child.pid!).filter((pid) => {
  try {
    return /chrom/i.test(execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }));
  } catch {
    return false;
  }
});
/** The browser process itself: the runner's Chromium child (the others are its descendants). */
const browserProcessOf = (r: Runner) => chromiumOf(r).find((pid) => {
  try {
    return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim()) === r.child.pid;
  } catch {
    return false;
  }
});

/** Waits until the sandbox has seen a page of a new browser journey, i.e. a browser attempt is under way. */
async function midJourney(since: number): Promise<void> {
  await poll('a browser journey under way', async () => (await sb!.requests()).some((q) => q.path.startsWith('/scholarships/') && Date.parse(q.receivedAt) > since), 30_000, 20);
}

describe('a browser fault outside every call', () => {
  test('the race, reproduced: closing a context while an answer naming a new handle is held back kills an unguarded process', { timeout: 60_000 }, () => {
    const script = join(ROOT, 'test', 'support', 'handle-race.ts');
    let died: { status: number | null; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    } catch (e) {
      died = e as { status: number | null; stderr: string };
    }
    assert.ok(died, 'the unguarded process survived: the reproduction no longer reproduces');
    assert.match(died.stderr, /Object with guid handle@\w+ was not bound in the connection/);
    assert.match(died.stderr, /Connection\.dispatch/);
  });

  test('… and the runner\'s guard survives it, twice, with the browser still answering', { timeout: 60_000 }, () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'handle-race.ts'), '--guard', '--times', '2'], { cwd: ROOT, encoding: 'utf8', timeout: 40_000 });
    assert.equal(out.match(/^browser fault noted: Object with guid handle@\w+ was not bound in the connection$/gm)?.length, 2, out);
    assert.match(out, /^race 2: survived, the browser still answers \(42\)$/m);
    assert.match(out, /^faults noted: 2$/m);
  });
});

test('an error of ours outside every call (its log pipe closed: EPIPE) stops the runner with exit 70, once, instead of looping', { timeout: 60_000 }, async (t) => {
  const { r } = runner(t, ['run', '--every', '1s', '--project', 'api']);
  await r.waitForCycles(1, 30_000);
  // Nobody reads its log any more: the next line it writes fails with EPIPE, thrown outside any call.
  r.child.stderr!.destroy();
  const code = await Promise.race([r.exited, sleep(25_000).then(() => 'still running')]);
  assert.equal(code, 70, 'the runner stopped as on a bug, within the shutdown bound');
});

describe('the runner\'s own trouble is never the target\'s failure', () => {
  test('Chromium killed mid-journey: the attempt is aborted (runner), the runner relaunches and keeps cycling, the next cycle is clean', { timeout: 120_000 }, async (t) => {
    // A cycle of 8 s: the B2C flow (~3 s here, more on a loaded machine) and a retry fit in it.
    const { r, results } = runner(t, ['run', '--every', '10s', '--journey', 'b2c-browser'], { RETRIES: '1' });
    const [first] = await r.waitForCycles(1, 60_000);
    await midJourney(first!.at);
    const browserPid = browserProcessOf(r);
    assert.ok(browserPid, 'the runner has a Chromium');
    process.kill(browserPid, 'SIGKILL');
    const killedAt = Date.now();
    const later = await r.waitForCycles(2, 60_000, (c) => c.at > killedAt + 100);
    assert.equal(r.child.exitCode, null, 'the runner is alive');
    const lines = journeyLines(results);
    assert.deepEqual(lines.filter((l) => l.outcome === 'failed' || l.outcome === 'flaky').map((l) => l.reason ?? l.attempts[0]?.reason), [], 'nothing is the target\'s failure');
    const hit = lines.flatMap((l) => l.attempts).filter((a) => a.status === 'aborted');
    assert.ok(hit.some((a) => a.abortedBy === 'runner'), `the attempt under the kill is aborted by the runner: ${JSON.stringify(hit.map((a) => a.reason))}`);
    // A retry the relaunch left too little of the cycle for is the runner's too: cut by the deadline.
    for (const a of hit) assert.ok(a.abortedBy === 'runner' || a.abortedBy === 'deadline', a.reason);
    assert.equal(later.at(-1)!.passed, later.at(-1)!.total, `the next cycle is clean: ${later.at(-1)!.line}`);
  });

  test('Chromium frozen for 6 s (SIGSTOP, then SIGCONT): aborted (runner), never failed or flaky; the next cycle is clean', { timeout: 120_000 }, async (t) => {
    // Frozen for most of an 8 s cycle: the attempt cannot finish, and the runner must say why.
    const { r, results } = runner(t, ['run', '--every', '10s', '--journey', 'b2c-browser'], { RETRIES: '1' });
    const [first] = await r.waitForCycles(1, 60_000);
    await midJourney(first!.at);
    const frozen = chromiumOf(r);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    await sleep(6_000);
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
    const thawedAt = Date.now();
    const later = await r.waitForCycles(2, 60_000, (c) => c.at > thawedAt + 100);
    const lines = journeyLines(results);
    assert.deepEqual(lines.filter((l) => l.outcome === 'failed' || l.outcome === 'flaky').map((l) => l.attempts.map((a) => a.reason)), [], 'nothing is the target\'s failure');
    const lost = lines.flatMap((l) => l.attempts).filter((a) => a.status === 'aborted');
    assert.ok(lost.length >= 1, 'the frozen attempt is aborted');
    assert.ok(lost.some((a) => a.abortedBy === 'runner' && /browser did not answer|browser has not answered/.test(a.reason ?? '')), JSON.stringify(lost.map((a) => a.reason)));
    assert.equal(later.at(-1)!.passed, later.at(-1)!.total, `the next cycle is clean: ${later.at(-1)!.line}`);
    assert.equal(r.child.exitCode, null);
  });

  test('a browser journey the runner starts too late (one browser slot, two devices) is aborted by the deadline, not failed', { timeout: 120_000 }, async (t) => {
    // Each journey is made slower than half the cycle's 8 s (the sandbox holds its search page 3 s,
    // under the 8 s page budget), so the second device waits for the slot and is cut by the deadline.
    await sb!.fault({ route: '/search', latencyMs: 3_000 });
    const { r, results } = runner(t, ['run', '--every', '10s', '--journey', 'b2c-browser'], { DEVICES: 'desktop,mobile', BROWSER_CONTEXTS: '1' });
    await r.waitForCycles(2, 90_000);
    const lines = journeyLines(results).filter((l) => l.journey === 'b2c-browser');
    assert.deepEqual(lines.filter((l) => l.outcome === 'failed' || l.outcome === 'flaky').map((l) => `${l.device}: ${l.reason}`), []);
    const cut = lines.flatMap((l) => l.attempts).filter((a) => a.status === 'aborted');
    assert.ok(cut.length >= 1, `one device per cycle is cut: ${JSON.stringify(lines.map((l) => [l.device, l.outcome]))}`);
    for (const a of cut) assert.equal(a.abortedBy, 'deadline', a.reason);
    assert.ok(lines.some((l) => l.outcome === 'passed'), 'the device that got the slot passes');
  });
});

describe('one slow journey costs only itself', () => {
  test('a hung API journey: the others complete in the same cycle with their own verdicts; the hung one fails at the deadline, naming its step', { timeout: 90_000 }, async (t) => {
    await sb!.fault({ route: '/api/pricing', latencyMs: 30_000 });
    const { r, results } = runner(t, ['run', '--every', '1s', '--project', 'api']);
    const [cycle] = await r.waitForCycles(1, 60_000);
    const api = selectJourneys('api').length;
    assert.equal(cycle!.total, api, cycle!.line);
    assert.equal(cycle!.failed, 1, cycle!.line);
    assert.equal(cycle!.passed, api - 1, `every other journey passed in the same cycle: ${cycle!.line}`);
    assert.ok(cycle!.ms < 7_000, `the cycle ended at its deadline: ${cycle!.line}`);
    const hung = journeyLines(results).find((l) => l.journey === 'payments-api')!;
    assert.equal(hung.outcome, 'failed', 'the target overran a whole cycle on a well runner: its failure');
    assert.match(hung.reason ?? '', /^cycle deadline: still running after \d+ ms, when the cycle had to end \(step "pricing"\)/);
  });

  test('the first failing result of a 5xx fault is in the store within one cadence plus the retry budget', { timeout: 90_000 }, async (t) => {
    const retry = { retries: 2, minDelayMs: 300, factor: 2, maxDelayMs: 8_000 };
    const cadenceMs = 5_000;
    const { r, results } = runner(t, ['run', '--every', '5s', '--journey', 'b2c-api,b2c-browser'], {
      RETRIES: String(retry.retries), RETRY_MIN_DELAY_MS: String(retry.minDelayMs), RETRY_FACTOR: String(retry.factor),
    });
    await r.waitForCycles(1, 60_000);
    await sb!.fault({ route: '/api/scholarships', status: 500 });
    const faultAt = Date.now();
    const failedAfterFault = (l: JourneyLine) => l.outcome === 'failed' && Date.parse(l.startedAt) + l.durationMs >= faultAt;
    const firstFailure = await poll('a failed journey line in the store', async () => journeyLines(results).some(failedAfterFault) ? Date.now() : undefined, 40_000, 50);
    // Backoff before each retry, plus each attempt's own time (a few calls against a 500: well under a second each).
    const retryBudgetMs = totalBackoff(retry) + (retry.retries + 1) * 1_000;
    const took = firstFailure - faultAt;
    t.diagnostic(`first failing result ${took} ms after the fault (bound ${cadenceMs + retryBudgetMs} ms)`);
    assert.ok(took <= cadenceMs + retryBudgetMs, `${took} ms > one cadence (${cadenceMs} ms) + the retry budget (${retryBudgetMs} ms)`);
  });
});
