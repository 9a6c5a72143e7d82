import type { Registry } from 'prom-client';
import type { Journey } from '../../journeys/journey.ts';
import { TargetMetrics } from '../../reporters/metrics.ts';
import type { NdjsonResultStore } from '../../reporters/ndjson-store.ts';
import { pushRegistry, type PushTarget } from '../../reporters/pushgateway.ts';
import { log } from '../core/log.ts';
import type { JourneyResult } from '../core/records.ts';
import { ConsecutiveFailures } from './consecutive.ts';
import { combineWithState, cronStatePath, loadCronState, saveCronState, type CronState } from './cron-state.ts';
import type { WarmSession } from './execute.ts';
import { runCycle } from './run-once.ts';

export interface CycleSummary {
  results: JourneyResult[];
  pushed: boolean | undefined;
  stored: boolean;
}

/**
 * One target's side of a cycle: run the journeys, count consecutive failures, then hand the
 * results to the sinks (results store, metrics push). A sink failure is one log line and a
 * counter, never a red run.
 */
export class TargetRun {
  readonly metrics: TargetMetrics;
  consecutive = new ConsecutiveFailures();
  private cronState?: CronState;
  private readonly statePath: string;
  private cycles = 0;

  constructor(
    readonly session: WarmSession,
    readonly journeys: Journey[],
    private readonly store: NdjsonResultStore,
    /** cron: each run is a new process, so cumulative metric state is kept in RESULTS_DIR. */
    private readonly mode: 'cron' | 'loop',
  ) {
    const { config, target } = session;
    this.metrics = new TargetMetrics(target.name, config.region);
    this.statePath = cronStatePath(config.resultsDir, config.runnerId, target.name);
  }

  get push(): PushTarget | undefined {
    const { config, target } = this.session;
    if (!config.pushgatewayUrl) return undefined;
    return {
      url: config.pushgatewayUrl,
      job: config.pushJob,
      groupings: { runner: config.runnerId, target: target.name },
      timeoutMs: config.pushTimeoutMs,
    };
  }

  async cycle(): Promise<CycleSummary> {
    if (this.mode === 'cron' && !this.cronState) {
      this.cronState = await loadCronState(this.statePath);
      this.consecutive = new ConsecutiveFailures(this.cronState.consecutive);
    }
    if (this.cycles++ > 0) await this.renewRequestContext();
    const results = await runCycle(this.session, this.journeys);
    this.consecutive.update(results);
    this.metrics.record(results, this.consecutive.of);
    const stored = await this.store.write(results).then(
      () => true,
      (e: Error) => {
        log(`results store ${this.store.dir}: write failed (${e.message.split('\n')[0]}); results of this cycle are only in metrics`);
        return false;
      },
    );
    const pushed = await this.publish();
    return { results, pushed, stored };
  }

  /**
   * Playwright keeps every response body (and its request log) of a request context until the
   * context is disposed: one warm context for the life of the runner grows ~130 KB a cycle. Each
   * cycle after the first gets a fresh one; the old one is disposed.
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

  /** Pushes the full state (PUT replaces the group); in cron mode also saves it for the next run. */
  async publish(): Promise<boolean | undefined> {
    const push = this.push;
    const { region } = this.session.config;
    const labels = { target: this.session.target.name, region };
    let registry: Registry = this.metrics.registry;
    if (this.mode === 'cron') registry = await combineWithState(this.metrics.registry, this.cronState ?? { consecutive: {}, metrics: [] });
    let pushed: boolean | undefined;
    if (push) {
      pushed = await pushRegistry(registry, push);
      if (!pushed) {
        this.metrics.pushFailures.inc(labels);
        if (this.mode === 'cron') registry = await combineWithState(this.metrics.registry, this.cronState ?? { consecutive: {}, metrics: [] });
      }
    }
    if (this.mode === 'cron') {
      await saveCronState(this.statePath, registry, this.consecutive.toJSON()).catch((e: Error) =>
        log(`cron state ${this.statePath}: save failed (${e.message}); counters restart next run`));
    }
    return pushed;
  }

  /** A clean shutdown marks the group: runner_up 0 and a last push, so a stopped runner never looks green. */
  async markStopped(): Promise<void> {
    this.metrics.runnerUp.set({ target: this.session.target.name, region: this.session.config.region }, 0);
    if (this.push) await pushRegistry(this.metrics.registry, { ...this.push, retries: 1 });
  }
}
