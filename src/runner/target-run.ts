import type { Journey } from '../../journeys/journey.ts';
import type { FanOutOutcome, SinkFanOut } from '../../reporters/sink.ts';
import { log } from '../core/log.ts';
import { labelsFor, type CallRecord, type JourneyResult } from '../core/records.ts';
import { probeBuild } from './build-probe.ts';
import type { CycleBounds, WarmSession } from './execute.ts';
import { runCycle } from './cycle.ts';

export interface CycleSummary {
  results: JourneyResult[];
  /** What the sinks made of the batch: notes (`push failed`) and the names of sinks that failed. */
  sinks: FanOutOutcome;
}

/** The build label until /health has named one. */
const UNKNOWN_BUILD = 'unknown';

/** The build probe never takes more than this, nor more than a tenth of what is left of the cycle. */
const BUILD_PROBE_TIMEOUT_MS = 2000;

/** One target's side of a cycle: learn its build, run the journeys, hand the results to the sinks it was given. */
export class TargetRun {
  private cycles = 0;
  /** Said once per outage: /health could not tell the build. */
  private buildUnknownSaid = false;

  constructor(
    readonly session: WarmSession,
    readonly journeys: Journey[],
    private readonly sinks: SinkFanOut,
  ) {}

  async cycle(bounds: CycleBounds): Promise<CycleSummary> {
    if (this.cycles++ > 0) await this.renewRequestContext();
    const probe = await this.followBuild(bounds);
    const target = this.session.target.name;
    // Each result goes to the sinks that want it early as soon as it is final; the batch follows.
    const early: Array<Promise<void>> = [];
    const results = await runCycle(this.session, this.journeys, {
      ...bounds,
      onResult: (result) => {
        early.push(this.sinks.journeyDone(target, result));
        bounds.onResult?.(result);
      },
    }, this.cycles);
    await Promise.all(early);
    const { config } = this.session;
    const probes = probe ? [{ labels: labelsFor(config.region, this.session.target, 'runner', 'api'), call: probe }] : [];
    return { results, sinks: await this.sinks.write({ target, baseUrl: this.session.target.baseUrl, results, probes }) };
  }

  /** Faults of the runner's browser layer it survived while this target's journeys ran: counted by the sinks that count. */
  runnerFaults(count: number): void {
    this.sinks.runnerFaults(this.session.target.name, count);
  }

  /** Ticks this target's cycle covered and so skipped: counted by the sinks that count. */
  cyclesMissed(count: number): void {
    this.sinks.cyclesMissed(this.session.target.name, count);
  }

  /**
   * Unless BUILD_ID and GIT_SHA pin them, each cycle asks the target which build it serves, so a
   * canary redeployed on the same address is labelled with its new build from this cycle on.
   * /health unreadable: the last known build is kept, and that is said once.
   */
  private async followBuild(bounds: CycleBounds): Promise<CallRecord | undefined> {
    const { config, target } = this.session;
    if ((config.buildId && config.gitSha) || bounds.stop.aborted) return undefined;
    const { build, call } = await probeBuild(config, target.baseUrl, Math.max(100, Math.round(Math.min(BUILD_PROBE_TIMEOUT_MS, (bounds.deadline - Date.now()) / 10))));
    if (!build) {
      if (!this.buildUnknownSaid) log(`target ${target.name}: /health did not say which build it serves (${call.problem ?? 'no buildId'}); keeping build ${target.buildId}`);
      this.buildUnknownSaid = true;
      return call;
    }
    this.buildUnknownSaid = false;
    if (build.buildId === target.buildId && build.gitSha === target.gitSha) return call;
    log(target.buildId === UNKNOWN_BUILD
      ? `target ${target.name}: serves build ${build.buildId} (git ${build.gitSha})`
      : `target ${target.name}: build ${target.buildId} → ${build.buildId}${build.gitSha !== target.gitSha ? ` (git ${target.gitSha} → ${build.gitSha})` : ''}`);
    target.buildId = build.buildId;
    target.gitSha = build.gitSha;
    return call;
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
