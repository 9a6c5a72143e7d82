import { log } from '../core/log.ts';
import type { TargetRun } from './target-run.ts';

/** The next start on the clock grid: cycles of 60 s start at :00 of every minute, whatever happens. */
export function nextTick(now: number, intervalMs: number): number {
  return Math.floor(now / intervalMs) * intervalMs + intervalMs;
}

/** Ticks skipped by a cycle that started at `start` and ended at `end`. */
export function missedTicks(start: number, end: number, intervalMs: number): number {
  return Math.max(0, Math.floor(end / intervalMs) - Math.floor(start / intervalMs));
}

export interface SchedulerOptions {
  intervalMs: number;
  /** Stop after this many cycles (tests, soak); undefined: until a signal. */
  maxCycles?: number;
  onCycle?: (n: number, runs: TargetRun[]) => void;
}

/**
 * Runs every target's cycle on a fixed, clock-aligned cadence. A cycle never overlaps the next:
 * one that runs long makes the ticks it covered count as missed, and the next cycle starts on
 * the next tick. `stop()` lets the running cycle finish, then returns.
 */
export class Scheduler {
  private stopping = false;
  private wake?: () => void;
  cycles = 0;

  constructor(private readonly runs: TargetRun[], private readonly options: SchedulerOptions) {}

  stop(): void {
    this.stopping = true;
    this.wake?.();
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
      await this.sleepUntil(nextTick(Date.now(), intervalMs));
      if (this.stopping) break;
      const start = Date.now();
      this.cycles += 1;
      await Promise.all(this.runs.map((run) => this.cycleOf(run)));
      const missed = missedTicks(start, Date.now(), intervalMs);
      if (missed > 0) {
        log(`cycle ${this.cycles} took ${Date.now() - start} ms, longer than ${intervalMs} ms: ${missed} cycle(s) skipped`);
        for (const run of this.runs) run.cyclesMissed(missed);
      }
      this.options.onCycle?.(this.cycles, this.runs);
    }
  }

  private async cycleOf(run: TargetRun): Promise<void> {
    const started = Date.now();
    try {
      const { results, sinks } = await run.cycle();
      const failed = results.filter((r) => r.outcome === 'failed');
      const flaky = results.filter((r) => r.outcome === 'flaky').length;
      const first = failed[0] ? ` — ${failed[0].journey}/${failed[0].labels.device}: ${failed[0].reason}` : '';
      log(
        `cycle ${this.cycles} ${run.session.target.name}: ${results.length - failed.length}/${results.length} passed` +
          `${flaky ? ` (${flaky} flaky)` : ''}, ${failed.length} failed in ${Date.now() - started} ms` +
          `${sinks.notes.map((n) => `, ${n}`).join('')}${first}`,
      );
    } catch (e) {
      // Nothing a target does may stop the runner: the next cycle tries again.
      log(`cycle ${this.cycles} ${run.session.target.name}: runner error (${(e as Error).message.split('\n')[0]})`);
    }
  }
}
