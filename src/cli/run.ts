import type { SuiteConfig } from '../config/load.ts';
import { parseDuration } from '../config/duration.ts';
import { log } from '../core/log.ts';
import type { TargetSpec } from '../core/target.ts';
import { selectJourneys } from '../../journeys/index.ts';
import type { SinkFanOut } from '../../reporters/sink.ts';
import { Scheduler } from '../runner/scheduler.ts';
import type { TargetRun } from '../runner/target-run.ts';
import { parseRunArgs, type RunArgs } from './args.ts';
import { abortOnSignal, commandConfig, cycleOnce, openRuns } from './cycles.ts';
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
  const config = commandConfig({ baseUrl: args.baseUrl, resultsDir: args.results });
  // parseRunArgs has checked the cadence and the journey selection.
  const intervalMs = args.every === undefined ? undefined : args.every === '' ? config.runIntervalMs : parseDuration(args.every)!;
  const journeys = selectJourneys(args.project, args.journeys);
  await preflight(config, { browser: journeys.some((j) => j.kind === 'browser'), resultsFlag: args.results !== undefined });
  const open = await openRuns(config, journeys, targetSpecs(args, config), intervalMs === undefined
    ? { mode: 'cron', summary: process.stdout, lockHeld: 'skip' }
    : { mode: 'loop', lockHeld: 'fail' });
  try {
    const code = intervalMs === undefined
      ? await runOnce(open.runs, config.runIntervalMs, open.bug)
      : await runForever(open.runs, intervalMs, args.cycles, open.fanOut, open.bug);
    return open.bug.aborted ? 70 : code;
  } finally {
    await open.close();
  }
}

/**
 * One cycle of every target, at once, bounded as a whole by the deadline RUN_INTERVAL gives (the
 * cron schedule's period). A signal aborts it: what ran is kept, nothing is judged failed for it.
 */
async function runOnce(runs: TargetRun[], intervalMs: number, bug: AbortSignal): Promise<number> {
  const stop = abortOnSignal('run');
  try {
    const cycles = await cycleOnce(runs, intervalMs, AbortSignal.any([stop.signal, bug]));
    return cycles.every((c) => c.results.every((r) => r.outcome !== 'failed')) ? 0 : 1;
  } finally {
    stop.dispose();
  }
}

async function runForever(runs: TargetRun[], intervalMs: number, maxCycles: number | undefined, sinks: SinkFanOut, bug: AbortSignal): Promise<number> {
  const scheduler = new Scheduler(runs, { intervalMs, maxCycles });
  let stopping = false;
  let forced: NodeJS.Timeout | undefined;
  /** Never exits later than this after a stop began, whatever hangs. */
  const exitBound = (why: string) => setTimeout(() => {
    log(`still stopping ${SHUTDOWN_BOUND_MS / 1000} s after ${why}: exiting now`);
    process.exit(70);
  }, SHUTDOWN_BOUND_MS).unref();
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing the running cycle (up to ${SHUTDOWN_GRACE_MS / 1000} s), then a final push`);
    scheduler.stop();
    // Past the grace the running attempts are aborted: recorded as aborted, never as the target's failure.
    forced = setTimeout(() => scheduler.abortRunning(), SHUTDOWN_GRACE_MS);
    exitBound(signal);
  };
  // A bug of ours escaped every call: what runs now cannot be trusted, so it is aborted at once.
  const onBug = () => {
    if (stopping) return;
    stopping = true;
    scheduler.abortRunning();
    exitBound('a runner bug');
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
  bug.addEventListener('abort', onBug, { once: true });
  log(`running ${runs.map((r) => r.session.target.name).join(', ')} every ${intervalMs} ms: first cycle now`);
  try {
    await scheduler.run();
  } finally {
    clearTimeout(forced);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('beforeExit', onDrained);
    bug.removeEventListener('abort', onBug);
    await sinks.close(); // the final push marks the groups stopped
    log(`stopped after ${scheduler.cycles} cycle(s)`);
  }
  return 0;
}
