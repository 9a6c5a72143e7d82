import type { Journey } from '../../journeys/journey.ts';
import type { FanOutOutcome, SinkFanOut } from '../../reporters/sink.ts';
import { log } from '../core/log.ts';
import type { JourneyResult } from '../core/records.ts';
import type { WarmSession } from './execute.ts';
import { runCycle } from './cycle.ts';

export interface CycleSummary {
  results: JourneyResult[];
  /** What the sinks made of the batch: notes (`push failed`) and the names of sinks that failed. */
  sinks: FanOutOutcome;
}

/** One target's side of a cycle: run the journeys, then hand the results to the sinks it was given. */
export class TargetRun {
  private cycles = 0;

  constructor(
    readonly session: WarmSession,
    readonly journeys: Journey[],
    private readonly sinks: SinkFanOut,
  ) {}

  async cycle(): Promise<CycleSummary> {
    if (this.cycles++ > 0) await this.renewRequestContext();
    const results = await runCycle(this.session, this.journeys);
    return { results, sinks: await this.sinks.write({ target: this.session.target.name, baseUrl: this.session.target.baseUrl, results }) };
  }

  /** Ticks this target's cycle covered and so skipped: counted by the sinks that count. */
  cyclesMissed(count: number): void {
    this.sinks.cyclesMissed(this.session.target.name, count);
  }

  /**
   * Playwright keeps every response body (and its request log) of a request context until the
   * context is disposed: one warm context for the life of the runner grows ~130 KB a cycle. Each
   * cycle after the first gets a fresh one; the old one is disposed (which also cuts off the calls
   * of a journey that hung past its timeout).
   */
  private async renewRequestContext(): Promise<void> {
    const old = this.session.request;
    try {
      this.session.request = await this.session.newRequestContext();
    } catch (e) {
      log(`target ${this.session.target.name}: new request context failed (${(e as Error).message.split('\n')[0]}); keeping the old one`);
      return;
    }
    await old.dispose().catch(() => undefined);
  }
}
