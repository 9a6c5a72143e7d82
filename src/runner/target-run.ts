import type { Journey } from '../../journeys/journey.ts';
import type { TargetMetrics } from '../../reporters/metrics.ts';
import { MetricsPublisher } from '../../reporters/metrics-publisher.ts';
import type { NdjsonResultStore } from '../../reporters/ndjson-store.ts';
import { log } from '../core/log.ts';
import type { JourneyResult } from '../core/records.ts';
import type { WarmSession } from './execute.ts';
import { runCycle } from './cycle.ts';

export interface CycleSummary {
  results: JourneyResult[];
  pushed: boolean | undefined;
  stored: boolean;
}

/**
 * One target's side of a cycle: run the journeys, then hand the results to the sinks (results
 * store, metrics). A sink failure is one log line and a counter, never a red run.
 */
export class TargetRun {
  readonly publisher: MetricsPublisher;
  private cycles = 0;

  constructor(
    readonly session: WarmSession,
    readonly journeys: Journey[],
    private readonly store: NdjsonResultStore,
    /** cron: each run is a new process, so cumulative metric state is kept in RESULTS_DIR. */
    mode: 'cron' | 'loop',
  ) {
    this.publisher = new MetricsPublisher(session.config, session.target.name, mode);
  }

  /** The prom-client side of this target (tests read it directly). */
  get metrics(): TargetMetrics {
    return this.publisher.metrics;
  }

  async cycle(): Promise<CycleSummary> {
    if (this.cycles++ > 0) await this.renewRequestContext();
    const results = await runCycle(this.session, this.journeys);
    await this.publisher.record(results);
    const stored = await this.store.write(results).then(
      () => true,
      (e: Error) => {
        log(`results store ${this.store.dir}: write failed (${e.message.split('\n')[0]}); results of this cycle are only in metrics`);
        return false;
      },
    );
    const pushed = await this.publisher.publish();
    return { results, pushed, stored };
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

  markStopped(): Promise<void> {
    return this.publisher.markStopped();
  }
}
