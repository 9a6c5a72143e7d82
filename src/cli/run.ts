import { join } from 'node:path';
import { loadConfig, loadEnv, type SuiteConfig } from '../config/load.ts';
import { parseDuration } from '../config/duration.ts';
import { UserFacingError } from '../core/errors.ts';
import { log } from '../core/log.ts';
import type { JourneyResult } from '../core/records.ts';
import type { TargetSpec } from '../core/target.ts';
import { selectJourneys } from '../../journeys/index.ts';
import type { SinkFanOut } from '../../reporters/sink.ts';
import { standardSinks } from '../../reporters/sinks.ts';
import { startEmbeddedSandbox } from '../../sandbox/embedded.ts';
import { acquireLock } from '../runner/lock.ts';
import { cycleDeadline, Scheduler } from '../runner/scheduler.ts';
import { Suite } from '../runner/suite.ts';
import { TargetRun } from '../runner/target-run.ts';
import { parseRunArgs, type RunArgs } from './args.ts';
import { preflight } from './preflight.ts';

/** How long a signalled runner lets the running cycle finish before its attempts are aborted. */
const SHUTDOWN_GRACE_MS = 8_000;
/**
 * A signalled runner is gone by then, whatever hangs: grace, the last cycle's push (bounded) and
 * the final delete (one try of at most 3 s) fit well inside it.
 */
const SHUTDOWN_BOUND_MS = 20_000;

function targetSpecs(args: RunArgs, config: SuiteConfig): TargetSpec[] {
  if (args.targets.length > 0) return args.targets;
  return config.baseUrl ? [{ name: config.targetName, baseUrl: config.baseUrl }] : [];
}

/** `synthetics run`: config → targets → journeys → sinks. */
export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  const overrides: Record<string, string> = {};
  if (args.baseUrl) overrides.BASE_URL = args.baseUrl;
  if (args.results) overrides.RESULTS_DIR = args.results;
  const config = loadConfig(loadEnv(), overrides);
  // parseRunArgs has checked the cadence and the journey selection.
  const intervalMs = args.every === undefined ? undefined : args.every === '' ? config.runIntervalMs : parseDuration(args.every)!;
  const journeys = selectJourneys(args.project, args.journeys);
  await preflight(config, { browser: journeys.some((j) => j.kind === 'browser'), resultsFlag: args.results !== undefined });
  const suite = new Suite(config);

  const specs = targetSpecs(args, config);
  let sandbox: { url: string; close(): Promise<void> } | undefined;
  if (specs.length === 0) {
    sandbox = await startEmbeddedSandbox();
    log(`no BASE_URL: targeting the embedded sandbox at ${sandbox.url}`);
    specs.push({ name: config.targetName, baseUrl: sandbox.url, sandbox: true });
  }

  const locks: Array<{ release(): Promise<void> }> = [];
  const lockDir = join(config.resultsDir, 'locks');
  const { fanOut } = standardSinks(config, intervalMs === undefined ? 'cron' : 'loop',
    intervalMs === undefined ? { out: process.stdout, headings: specs.length > 1 } : undefined);
  try {
    const runs: TargetRun[] = [];
    for (const spec of specs) {
      // A results dir refusing writes is a sink failure (each cycle logs it), not a reason to stop watching.
      const lock = await acquireLock(lockDir, `${config.runnerId}--${spec.name}`).catch((e: Error) => {
        log(`lock ${lockDir}: cannot be taken (${e.message.split('\n')[0]}); running without it`);
        return { release: async () => undefined };
      });
      if ('heldBy' in lock) {
        const message = `target ${spec.name}: another run (pid ${lock.heldBy}) is still going; skipped`;
        if (intervalMs !== undefined) throw new UserFacingError(message);
        log(message);
        continue;
      }
      locks.push(lock);
      runs.push(new TargetRun(await suite.open(spec), journeys, fanOut));
    }
    if (intervalMs === undefined) return await runOnce(runs, config.runIntervalMs);
    return await runForever(runs, intervalMs, args.cycles, fanOut);
  } finally {
    // Closing the sinks prints a one-shot run's latency summary, or marks a stopped runner's groups.
    await fanOut.close();
    await suite.close();
    await Promise.allSettled(locks.map((l) => l.release()));
    await sandbox?.close();
  }
}

/**
 * One cycle of every target, at once, bounded as a whole by the deadline RUN_INTERVAL gives (the
 * cron schedule's period). A signal aborts it: what ran is kept, nothing is judged failed for it.
 */
async function runOnce(runs: TargetRun[], intervalMs: number): Promise<number> {
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    log(`${signal}: aborting the run`);
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const bounds = { deadline: cycleDeadline(Date.now(), intervalMs), stop: stop.signal };
    const cycles = await Promise.all(runs.map((run) => run.cycle(bounds)));
    return cycles.every((c) => c.results.every((r) => r.outcome !== 'failed')) ? 0 : 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

async function runForever(runs: TargetRun[], intervalMs: number, maxCycles: number | undefined, sinks: SinkFanOut): Promise<number> {
  const scheduler = new Scheduler(runs, { intervalMs, maxCycles });
  let forced: NodeJS.Timeout | undefined;
  const onSignal = (signal: string) => {
    if (forced) return;
    log(`${signal}: finishing the running cycle (up to ${SHUTDOWN_GRACE_MS / 1000} s), then a final push`);
    scheduler.stop();
    // Past the grace the running attempts are aborted: recorded as aborted, never as the target's failure.
    forced = setTimeout(() => scheduler.abortRunning(), SHUTDOWN_GRACE_MS);
    setTimeout(() => {
      log(`still stopping ${SHUTDOWN_BOUND_MS / 1000} s after ${signal}: exiting now`);
      process.exit(70);
    }, SHUTDOWN_BOUND_MS).unref();
  };
  // A cycle awaiting a promise that never settles, with no timer or socket left, drains the event
  // loop: Node would exit 0 mid-cycle, silently, with runner_up still 1. Make that loud and non-zero.
  const onDrained = () => {
    log(`cycle ${scheduler.cycles} never finished and nothing is left to wait for: the runner is stuck; exiting`);
    process.exit(70);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('beforeExit', onDrained);
  log(`running ${runs.map((r) => r.session.target.name).join(', ')} every ${intervalMs} ms: first cycle now`);
  try {
    await scheduler.run();
  } finally {
    clearTimeout(forced);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('beforeExit', onDrained);
    await sinks.close(); // the final push marks the groups stopped
    log(`stopped after ${scheduler.cycles} cycle(s)`);
  }
  return 0;
}
