import { log } from '../src/core/log.ts';
import type { CallRecord, JourneyResult, RunLabels } from '../src/core/records.ts';

/** One cycle's results for one target: what every sink is given. */
export interface CycleBatch {
  target: string;
  /** Where the target was reached, when the run knows it (for a person reading a summary). */
  baseUrl?: string;
  results: JourneyResult[];
  /** The runner's own calls of the cycle (the build probe of /health), outside any journey. */
  probes?: Array<{ labels: RunLabels; call: CallRecord }>;
}

/**
 * Where results go (the results store, the Pushgateway, a terminal table). The runner and the
 * Playwright reporter are handed sinks and know no concrete one; a new sink is one class and one
 * line in `standardSinks`.
 */
export interface Sink {
  /** Short and stable: it is a metric label. */
  readonly name: string;
  /** How log lines name it (`results store results/`); default the name. */
  readonly title?: string;
  /**
   * Takes one batch. Throwing is a failure of this sink only (logged and counted by the fan-out);
   * a returned note is a degraded success shown on the cycle's log line (`push failed`).
   */
  write(batch: CycleBatch): Promise<string | void>;
  /**
   * One journey's result of `target`, final before its cycle ends: a sink that gains from having
   * it early (the results store: the first failing result lands at once) takes it now, and then
   * leaves it out when the cycle's batch comes. Throwing is a failure of this sink only; the batch
   * then brings the result again.
   */
  journeyDone?(target: string, result: JourneyResult): Promise<void>;
  /** Scheduled cycles of `target` skipped because the previous cycle was still running. */
  cyclesMissed?(target: string, count: number): void;
  /** Faults of the runner's browser layer it survived, outside any recorded attempt, seen by `target`. */
  runnerFaults?(target: string, count: number): void;
  /** A sink (possibly this one) failed on a batch of `target`: sinks that keep counts count it. */
  sinkFailed?(sink: string, target: string): void;
  /** The run is over (a stop, or the end of a one-shot run). */
  close?(): Promise<void>;
}

export interface FanOutOutcome {
  /** Notes of the sinks that took the batch degraded. */
  notes: string[];
  /** Names of the sinks that failed on it. */
  failed: string[];
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/**
 * Hands every batch to every sink, in order, each isolated from the others (as Playwright's
 * reporter multiplexer isolates its reporters): a sink that throws is one log line and a count in
 * `synthetic_sink_failures_total`, never a red run and never a lost batch for the sinks after it.
 * Sinks run one after another so a failure of the results store is counted in the same cycle's push.
 */
export class SinkFanOut {
  private closed = false;
  constructor(readonly sinks: readonly Sink[]) {}

  async write(batch: CycleBatch): Promise<FanOutOutcome> {
    const outcome: FanOutOutcome = { notes: [], failed: [] };
    for (const sink of this.sinks) {
      try {
        const note = await sink.write(batch);
        if (note) outcome.notes.push(note);
      } catch (e) {
        outcome.failed.push(sink.name);
        this.failed(sink, batch.target, 'write', e);
      }
    }
    return outcome;
  }

  /**
   * An early result: each sink that takes one gets it. A sink that fails on it is not told or
   * counted here: the result stays in the cycle's batch, which the sink takes again, and a failure
   * there is the one line and count of the cycle.
   */
  async journeyDone(target: string, result: JourneyResult): Promise<void> {
    for (const sink of this.sinks) {
      await sink.journeyDone?.(target, result).catch(() => undefined);
    }
  }

  cyclesMissed(target: string, count: number): void {
    this.each(target, 'cyclesMissed', (sink) => sink.cyclesMissed?.(target, count));
  }

  runnerFaults(target: string, count: number): void {
    this.each(target, 'runnerFaults', (sink) => sink.runnerFaults?.(target, count));
  }

  private each(target: string, what: string, call: (sink: Sink) => void): void {
    for (const sink of this.sinks) {
      try {
        call(sink);
      } catch (e) {
        this.failed(sink, target, what, e);
      }
    }
  }

  /** Closes every sink once; later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sink of this.sinks) {
      try {
        await sink.close?.();
      } catch (e) {
        log(`${sink.title ?? sink.name}: close failed (${firstLine(e)})`);
      }
    }
  }

  private failed(sink: Sink, target: string, what: string, error: unknown): void {
    log(`${sink.title ?? sink.name}: ${what} failed for target ${target} (${firstLine(error)}); the other sinks have it`);
    for (const s of this.sinks) {
      try {
        s.sinkFailed?.(sink.name, target);
      } catch {
        // A counter that cannot count is not worth a second line.
      }
    }
  }
}
