import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig, loadEnv, type SuiteConfig } from '../config/load.ts';
import { UserFacingError } from '../core/errors.ts';
import { log } from '../core/log.ts';
import type { TargetSpec } from '../core/target.ts';
import type { Journey } from '../../journeys/journey.ts';
import type { SinkFanOut } from '../../reporters/sink.ts';
import { standardSinks } from '../../reporters/sinks.ts';
import { startEmbeddedSandbox } from '../../sandbox/embedded.ts';
import { guardBrowserLayer } from '../runner/browser-guard.ts';
import { acquireLock } from '../runner/lock.ts';
import { cycleDeadline } from '../runner/scheduler.ts';
import { Suite } from '../runner/suite.ts';
import { TargetRun, type CycleSummary } from '../runner/target-run.ts';

/**
 * What every command that runs journeys (`run`, `baseline`) builds before its first cycle and
 * takes down after its last, in one place so they cannot drift apart.
 */

/** The environment and .env, with the command's --base-url and results dir winning. */
export function commandConfig(flags: { baseUrl?: string; resultsDir?: string }): SuiteConfig {
  const overrides: Record<string, string> = {};
  if (flags.baseUrl) overrides.BASE_URL = flags.baseUrl;
  if (flags.resultsDir) overrides.RESULTS_DIR = flags.resultsDir;
  return loadConfig(loadEnv(), overrides);
}

export interface OpenRuns {
  runs: TargetRun[];
  fanOut: SinkFanOut;
  /**
   * Aborted when an error of ours (not of the browser layer) escaped every call: the command
   * stops as on a signal (final push, groups deleted) and exits 70, rather than dying mid-cycle.
   */
  bug: AbortSignal;
  /** Sinks, suite, locks, then the embedded sandbox: call it once, whatever happened. */
  close(): Promise<void>;
}

/**
 * One TargetRun per target, each behind its lock, all feeding the standard sinks. No target:
 * the embedded sandbox is started and is the target. `lockHeld`: a target another run holds
 * is skipped with a log line (a one-shot run), or stops the command (a run that would go on).
 */
export async function openRuns(config: SuiteConfig, journeys: Journey[], targets: TargetSpec[], opts: {
  mode: 'cron' | 'loop';
  /** Where a one-shot run prints its table. */
  summary?: { write(text: string): unknown };
  lockHeld: 'skip' | 'fail';
}): Promise<OpenRuns> {
  const suite = new Suite(config);
  const specs = [...targets];
  let sandbox: { url: string; close(): Promise<void> } | undefined;
  if (specs.length === 0) {
    sandbox = await startEmbeddedSandbox();
    log(`no BASE_URL: targeting the embedded sandbox at ${sandbox.url}`);
    specs.push({ name: config.targetName, baseUrl: sandbox.url, sandbox: true });
  }
  const locks: Array<{ release(): Promise<void> }> = [];
  const lockDir = join(config.resultsDir, 'locks');
  const { fanOut } = standardSinks(config, opts.mode, opts.summary ? { out: opts.summary, headings: specs.length > 1 } : undefined);
  const runs: TargetRun[] = [];
  const bug = new AbortController();
  guardBrowserLayer({
    onBrowserFault: (message) => {
      log(`runner error: the browser connection threw outside any call (${message}); browser attempts running now end aborted, the runner goes on`);
      suite.health.note('browser', `the browser connection threw (${message})`);
      for (const run of runs) if (run.journeys.some((j) => j.kind === 'browser')) run.runnerFaults(1);
    },
    onBug: (e) => {
      // Once: the line itself may fail (a closed stderr throws EPIPE, uncaught), and must not loop.
      if (bug.signal.aborted) return;
      bug.abort();
      log(`runner bug, stopping: ${inspect(e)}`);
    },
  });
  const close = async () => {
    // Closing the sinks prints a one-shot run's latency summary, or marks a stopped runner's groups.
    await fanOut.close();
    await suite.close();
    await Promise.allSettled(locks.map((l) => l.release()));
    await sandbox?.close();
  };
  try {
    for (const spec of specs) {
      // A results dir refusing writes is a sink failure (each cycle logs it), not a reason to stop watching.
      const lock = await acquireLock(lockDir, `${config.runnerId}--${spec.name}`).catch((e: Error) => {
        log(`lock ${lockDir}: cannot be taken (${e.message.split('\n')[0]}); running without it`);
        return { release: async () => undefined };
      });
      if ('heldBy' in lock) {
        const message = `target ${spec.name}: another run (pid ${lock.heldBy}) is still going; skipped`;
        if (opts.lockHeld === 'fail') throw new UserFacingError(message);
        log(message);
        continue;
      }
      locks.push(lock);
      runs.push(new TargetRun(await suite.open(spec), journeys, fanOut));
    }
    return { runs, fanOut, bug: bug.signal, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** One cycle of every target at once, bounded as a whole by the deadline `intervalMs` gives. */
export function cycleOnce(runs: TargetRun[], intervalMs: number, stop: AbortSignal): Promise<CycleSummary[]> {
  const bounds = { deadline: cycleDeadline(Date.now(), intervalMs), stop };
  return Promise.all(runs.map((run) => run.cycle(bounds)));
}

/**
 * SIGTERM/SIGINT abort what runs (what ran is kept, nothing is judged failed for it) instead of
 * killing the process: `dispose` gives the signals back.
 */
export function abortOnSignal(what: string): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    log(`${signal}: aborting the ${what}`);
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
