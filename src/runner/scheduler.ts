import { log } from '../core/log.ts';
import type { AttemptRecord } from '../core/records.ts';
import type { CycleBounds } from './execute.ts';
import type { TargetRun } from './target-run.ts';

/** The next start on the clock grid: cycles of 60 s start at :00 of every minute, whatever happens. */
export function nextTick(now: number, intervalMs: number): number {
  return Math.floor(now / intervalMs) * intervalMs + intervalMs;
}

/** Ticks skipped by a cycle that started at `start` and ended at `end`. */
export function missedTicks(start: number, end: number, intervalMs: number): number {
  return Math.max(0, Math.floor(end / intervalMs) - Math.floor(start / intervalMs));
}

/** Never less than this for a cycle's journeys, however short the cadence (tests run at 1 s). */
export const MIN_CYCLE_MS = 5000;

/**
 * When the journeys of a cycle started at `start` must be done: the cadence minus a reserve for
 * the sinks (a fifth of it, at most 15 s), and never under MIN_CYCLE_MS. At 60 s: 48 s.
 */
export function cycleDeadline(start: number, intervalMs: number): number {
  return start + Math.max(MIN_CYCLE_MS, intervalMs - Math.min(intervalMs / 5, 15_000));
}

const clock = (at: number) => new Date(at).toISOString().slice(11, 19);

/** One line per failed attempt, as it happens: a dead target is visible in seconds, not at the cycle's end. */
function logAttempt(cycle: number, target: string): NonNullable<CycleBounds['onAttemptFailed']> {
  return (journey: string, device: string, attempt: AttemptRecord, nextRetryMs: number | undefined) => {
    const next = nextRetryMs === undefined ? 'no retry in this cycle' : `next retry in ${(nextRetryMs / 1000).toFixed(1)} s`;
    log(`cycle ${cycle} ${target}: ${journey}/${device} attempt ${attempt.attempt} ${attempt.status} (${attempt.reason}); ${next}`);
  };
}

export interface SchedulerOptions {
  intervalMs: number;
  /** Stop after this many cycles (tests, soak); undefined: until a signal. */
  maxCycles?: number;
  onCycle?: (n: number, runs: TargetRun[]) => void;
}

/**
 * Runs every target's cycle: the first at once, then on a fixed, clock-aligned cadence. A cycle
 * never overlaps the next: one that runs long makes the ticks it covered count as missed, and the
 * next cycle starts on the next tick. `stop()` lets the running cycle finish; `abortRunning()`
 * then ends its attempts as aborted.
 */
export class Scheduler {
  private stopping = false;
  private readonly aborter = new AbortController();
  private wake?: () => void;
  cycles = 0;

  constructor(private readonly runs: TargetRun[], private readonly options: SchedulerOptions) {}

  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Cuts the running cycle short: its running attempts end as aborted, the rest do not start. */
  abortRunning(): void {
    this.stop();
    this.aborter.abort();
  }

  private sleepUntil(at: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, at - Date.now()));
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async run(): Promise<void> {
    const { intervalMs, maxCycles } = this.options;
    while (!this.stopping && (maxCycles === undefined || this.cycles < maxCycles)) {
      const tick = this.cycles > 0 ? nextTick(Date.now(), intervalMs) : Date.now();
      if (this.cycles > 0) await this.sleepUntil(tick);
      if (this.stopping) break;
      // A timer may fire a millisecond early: the cycle belongs to its tick, or it would seem to cover the next one.
      const start = Math.max(Date.now(), tick);
      this.cycles += 1;
      const deadline = cycleDeadline(start, intervalMs);
      await Promise.all(this.runs.map((run) => this.cycleOf(run, deadline)));
      const end = Date.now();
      // The first cycle starts off the grid: only the ticks a cycle really covered are missed.
      const missed = this.cycles === 1 ? Math.max(0, Math.floor((end - start) / intervalMs)) : missedTicks(start, end, intervalMs);
      const next = `next cycle at ${clock(nextTick(end, intervalMs))}`;
      if (missed > 0) {
        log(`cycle ${this.cycles} took ${end - start} ms, longer than ${intervalMs} ms: ${missed} cycle(s) skipped; ${next}`);
        for (const run of this.runs) run.cyclesMissed(missed);
      } else if (this.cycles === 1 && !this.stopping) {
        log(`${next}, then every ${intervalMs} ms on the clock`);
      }
      this.options.onCycle?.(this.cycles, this.runs);
    }
  }

  private async cycleOf(run: TargetRun, deadline: number): Promise<void> {
    const started = Date.now();
    const target = run.session.target.name;
    try {
      const { results, sinks } = await run.cycle({ deadline, stop: this.aborter.signal, onAttemptFailed: logAttempt(this.cycles, target) });
      const failed = results.filter((r) => r.outcome === 'failed');
      const flaky = results.filter((r) => r.outcome === 'flaky').length;
      const aborted = results.filter((r) => r.outcome === 'aborted');
      const passed = results.length - failed.length - aborted.length;
      // The first failure says what is wrong with the target; failing that, the first abort says what stopped the runner.
      const shown = failed[0] ?? aborted[0];
      const first = shown ? ` — ${shown.journey}/${shown.labels.device}: ${shown.reason}` : '';
      log(
        `cycle ${this.cycles} ${target}: ${passed}/${results.length} passed` +
          `${flaky ? ` (${flaky} flaky)` : ''}, ${failed.length} failed${aborted.length ? `, ${aborted.length} aborted` : ''} in ${Date.now() - started} ms` +
          `${sinks.notes.map((n) => `, ${n}`).join('')}${first}`,
      );
    } catch (e) {
      // Nothing a target does may stop the runner: the next cycle tries again.
      log(`cycle ${this.cycles} ${target}: runner error (${(e as Error).message.split('\n')[0]})`);
    }
  }
}
