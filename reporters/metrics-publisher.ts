import type { Registry } from 'prom-client';
import type { SuiteConfig } from '../src/config/load.ts';
import { log } from '../src/core/log.ts';
import type { JourneyResult } from '../src/core/records.ts';
import { ConsecutiveFailures } from './consecutive.ts';
import { combineWithState, cronStatePath, loadCronState, ofBuild, saveCronState, type CronState } from './cron-state.ts';
import { TargetMetrics } from './metrics.ts';
import { deleteGroup, pushRegistry, type PushTarget } from './pushgateway.ts';
import type { CycleBatch, Sink } from './sink.ts';

/** The final delete or push of a stopping runner: one try, at most this long. */
const STOP_PUSH_TIMEOUT_MS = 3000;

/**
 * One target's metrics as one process publishes them: consecutive failures, the prom-client
 * registry and its Pushgateway group. `loop` (a long-running runner) keeps everything in memory;
 * `cron` (a `run --once` or a Playwright run: a new process each time) carries the cumulative
 * counters and the consecutive failures over in RESULTS_DIR. A failed push is one log line and a
 * counter, never an error.
 */
export class MetricsPublisher {
  readonly metrics: TargetMetrics;
  consecutive = new ConsecutiveFailures();
  private cronState?: CronState;
  /** The build the target served in the last batch: a change drops the old build's series. */
  private build?: string;
  private readonly statePath: string;
  private readonly labels: { target: string; region: string };

  constructor(private readonly config: SuiteConfig, readonly target: string, private readonly mode: 'cron' | 'loop') {
    this.metrics = new TargetMetrics(target, config.region);
    this.statePath = cronStatePath(config.resultsDir, config.runnerId, target);
    this.labels = { target, region: config.region };
  }

  get push(): PushTarget | undefined {
    const { config } = this;
    if (!config.pushgatewayUrl) return undefined;
    return {
      url: config.pushgatewayUrl,
      job: config.pushJob,
      groupings: { runner: config.runnerId, target: this.target },
      timeoutMs: config.pushTimeoutMs,
    };
  }

  /** Adds one cycle's results (cron mode first restores the earlier runs' state). */
  async record(results: JourneyResult[]): Promise<void> {
    if (this.mode === 'cron' && !this.cronState) {
      this.cronState = await loadCronState(this.statePath);
      this.consecutive = new ConsecutiveFailures(this.cronState.consecutive);
    }
    const build = results[0]?.labels.build_id;
    if (build !== undefined && build !== this.build) {
      if (this.build !== undefined) this.metrics.forgetBuild();
      this.build = build;
      // Earlier runs' series of other builds leave the kept state: it depends on the current build only.
      if (this.cronState) this.cronState = ofBuild(this.cronState, build);
    }
    this.consecutive.update(results);
    this.metrics.record(results, this.consecutive.of);
  }

  countMissed(cycles: number): void {
    this.metrics.cyclesMissed.inc(this.labels, cycles);
  }

  countRunnerFaults(count: number): void {
    this.metrics.countRunnerFaults(count);
  }

  countSinkFailure(sink: string): void {
    this.metrics.sinkFailures.inc({ ...this.labels, sink });
  }

  /** Pushes the full state (PUT replaces the group); in cron mode also saves it for the next run. */
  async publish(): Promise<boolean | undefined> {
    const push = this.push;
    let registry = await this.registryToPush();
    let pushed: boolean | undefined;
    if (push) {
      pushed = await pushRegistry(registry, push);
      if (!pushed) {
        this.metrics.pushFailures.inc(this.labels);
        registry = await this.registryToPush();
      }
    }
    if (this.mode === 'cron') {
      await saveCronState(this.statePath, registry, this.consecutive.toJSON()).catch((e: Error) =>
        log(`cron state ${this.statePath}: save failed (${e.message}); counters restart next run`));
    }
    return pushed;
  }

  /**
   * A clean shutdown of a long-running runner never leaves a group that looks alive: by default
   * it deletes the group (absent and stale are then the signals, and a rollout of the runner leaves
   * no ghost); with STOPPED_GROUP=mark it pushes runner_up 0 and leaves the group. One quick try
   * each: a stop is bounded.
   */
  async stop(): Promise<void> {
    if (!this.push) return;
    const once = { ...this.push, retries: 0, timeoutMs: Math.min(this.push.timeoutMs, STOP_PUSH_TIMEOUT_MS) };
    if (this.config.stoppedGroup === 'delete') {
      await deleteGroup(once);
      return;
    }
    this.metrics.runnerUp.set(this.labels, 0);
    await pushRegistry(await this.registryToPush(), once);
  }

  private registryToPush(): Promise<Registry> | Registry {
    return this.mode === 'cron' ? combineWithState(this.metrics.registry, this.cronState ?? { consecutive: {}, metrics: [] }) : this.metrics.registry;
  }
}

/**
 * The metrics as a sink: one publisher (registry and Pushgateway group) per target, made on the
 * target's first batch. A push that fails is a note on the cycle's line (`push failed`) and a
 * counter, not a sink failure: the next push carries the full state.
 */
export class MetricsSink implements Sink {
  readonly name = 'metrics';
  private readonly publishers = new Map<string, MetricsPublisher>();

  constructor(private readonly config: SuiteConfig, private readonly mode: 'cron' | 'loop') {}

  /** One target's publisher (tests read its registry). */
  of(target: string): MetricsPublisher {
    let publisher = this.publishers.get(target);
    if (!publisher) this.publishers.set(target, (publisher = new MetricsPublisher(this.config, target, this.mode)));
    return publisher;
  }

  async write({ target, results }: CycleBatch): Promise<string | void> {
    const publisher = this.of(target);
    await publisher.record(results);
    return (await publisher.publish()) === false ? 'push failed' : undefined;
  }

  cyclesMissed(target: string, count: number): void {
    this.of(target).countMissed(count);
  }

  sinkFailed(sink: string, target: string): void {
    this.of(target).countSinkFailure(sink);
  }

  runnerFaults(target: string, count: number): void {
    this.of(target).countRunnerFaults(count);
  }

  /** A long-running runner deletes (or marks) its groups; a cron run leaves them for the next run. */
  async close(): Promise<void> {
    if (this.mode === 'loop') await Promise.allSettled([...this.publishers.values()].map((p) => p.stop()));
  }
}
