import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptRecord, JourneyResult, RunLabels } from '../src/core/records.ts';

/**
 * Request-latency buckets, in seconds: an edge at every latency threshold of the canary runbook
 * (120, 130, 150, 160, 350 ms), so threshold ratios read from the histogram are exact, and few
 * others: every edge costs one series per route and status class, and a push must stay bounded
 * (docs/metrics.md). Exact percentiles come from the results store.
 */
export const REQUEST_BUCKETS = [0.05, 0.12, 0.13, 0.15, 0.16, 0.35, 1];
/** Journey wall time: API journeys take tens of ms, browser journeys seconds, a hung one its timeout. */
export const JOURNEY_BUCKETS = [0.25, 1, 2.5, 10];
/** User-centric timings (time to value, time to first interaction): what a person waits, in seconds. */
export const USER_TIMING_BUCKETS = [0.25, 0.5, 1, 1.5, 2, 3, 5, 8];

type UserTimings = NonNullable<AttemptRecord['timings']>;
/** The `timing` label of each user-timing field: a fixed set, so the series stay bounded. */
export const USER_TIMING_LABELS: { readonly [K in keyof UserTimings]-?: string } = {
  timeToValueMs: 'time_to_value',
  timeToFirstInteractionMs: 'time_to_first_interaction',
};

const BASE = ['target', 'canary', 'region', 'device', 'cohort', 'build_id', 'git_sha'] as const;
const JOURNEY = [...BASE, 'journey'] as const;
/**
 * The request histograms are keyed by what a gate reads (route, method, status class and the run
 * labels, cohort included: B2C and B2B latency told apart), not by journey or step: those multiply
 * the buckets by every step that calls a route. Cohort adds few series: it has three values and
 * most routes are called by one cohort (docs/metrics.md has the count). Journey and step stay on
 * the counters (runs, schema failures, budget breaches) and the journey duration histogram; step
 * durations are in the results store.
 */
const RUN = ['target', 'canary', 'region', 'device', 'build_id', 'git_sha'] as const;
const REQUEST = [...BASE, 'path', 'method', 'status_class'] as const;
/** One journey reports each timing, so `journey` adds no series: 2 timings × devices × buckets. */
const USER_TIMING = [...RUN, 'journey', 'timing'] as const;

const statusClass = (status: number) => (status === 0 ? 'none' : `${Math.floor(status / 100)}xx`);

/**
 * The metrics of one target as this runner saw them. One registry per target, because the
 * Pushgateway group (runner × target) is replaced whole on every push.
 */
export class TargetMetrics {
  readonly registry = new Registry();
  private readonly requestDuration = this.requestHistogram(
    'synthetic_request_duration_seconds',
    'Latency of synthetic API calls, first attempts only (retries: synthetic_retry_request_duration_seconds; browser-timed: synthetic_browser_request_duration_seconds).',
  );
  private readonly retryRequestDuration = this.requestHistogram(
    'synthetic_retry_request_duration_seconds',
    'Latency of synthetic calls made by retry attempts, kept apart so retries never hide slowness.',
  );
  private readonly browserRequestDuration = this.requestHistogram(
    'synthetic_browser_request_duration_seconds',
    'Latency of pages and their fetch/XHR calls as the browser timed them (first attempts): user experience, not server latency.',
  );
  private readonly journeyDuration = new Histogram({
    name: 'synthetic_journey_duration_seconds',
    help: 'Wall time of a journey run, all attempts and backoff included.',
    labelNames: JOURNEY, buckets: JOURNEY_BUCKETS, registers: [this.registry],
  });
  private readonly userTiming = new Histogram({
    name: 'synthetic_user_timing_seconds',
    help: 'User-centric timings the browser journeys read from the page\'s own clock (time_to_value: landing to first match visible; time_to_first_interaction: dashboard navigation start to its tiles usable), first attempts of passed and flaky runs.',
    labelNames: USER_TIMING, buckets: USER_TIMING_BUCKETS, registers: [this.registry],
  });
  private readonly journeySuccess = new Gauge({
    name: 'synthetic_journey_success',
    help: '1 when the journey passed in the last cycle (first time or on retry), 0 when it failed.',
    labelNames: JOURNEY, registers: [this.registry],
  });
  private readonly journeyAttempts = new Gauge({
    name: 'synthetic_journey_attempts',
    help: 'Attempts the journey took in the last cycle (1 = passed first time).',
    labelNames: JOURNEY, registers: [this.registry],
  });
  private readonly journeyRuns = new Counter({
    name: 'synthetic_journey_runs_total',
    help: 'Journey runs by outcome: passed (first attempt), flaky (passed on retry), failed, aborted (cut short by a stop or the runner\'s own fault: no verdict on the target).',
    labelNames: [...JOURNEY, 'outcome'], registers: [this.registry],
  });
  private readonly consecutiveFailures = new Gauge({
    name: 'synthetic_consecutive_failures',
    help: 'Consecutive cycles in which the journey failed (0 after a pass).',
    labelNames: JOURNEY, registers: [this.registry],
  });
  /**
   * Calls a client would see fail: no answer, a 5xx, or a check that failed (a status the journey
   * did not expect, a broken schema). Same calls and labels as the request histograms, so PromQL
   * can divide one by the other (client, non-user 4xx and auth error ratios); a healthy target
   * has none of these series.
   */
  private readonly requestFailures = new Counter({
    name: 'synthetic_request_failures_total',
    help: 'Synthetic calls a client would see fail (no answer, 5xx, or a failed check), counted over the same calls as the request histograms.',
    labelNames: REQUEST, registers: [this.registry],
  });
  private readonly schemaFailures = new Counter({
    name: 'synthetic_schema_failures_total',
    help: 'Responses that broke their JSON Schema.',
    labelNames: [...JOURNEY, 'step', 'path', 'method'], registers: [this.registry],
  });
  private readonly budgetBreaches = new Counter({
    name: 'synthetic_budget_breaches_total',
    help: 'Calls slower than their latency budget.',
    labelNames: [...JOURNEY, 'step', 'path', 'method'], registers: [this.registry],
  });
  private readonly lastCycle = new Gauge({
    name: 'synthetic_last_cycle_timestamp_seconds',
    help: 'Unix time the last cycle against this target ended: a stale value means a stopped runner.',
    labelNames: ['target', 'canary', 'region'], registers: [this.registry],
  });
  readonly cyclesMissed = new Counter({
    name: 'synthetic_cycles_missed_total',
    help: 'Scheduled cycles skipped because the previous one was still running.',
    labelNames: ['target', 'region'], registers: [this.registry],
  });
  readonly pushFailures = new Counter({
    name: 'synthetic_push_failures_total',
    help: 'Pushes to the Pushgateway that failed after their retries.',
    labelNames: ['target', 'region'], registers: [this.registry],
  });
  readonly sinkFailures = new Counter({
    name: 'synthetic_sink_failures_total',
    help: 'Batches a sink (results-store, metrics, summary) failed to take; the other sinks still had them.',
    labelNames: ['target', 'region', 'sink'], registers: [this.registry],
  });
  private readonly runnerErrors = new Counter({
    name: 'synthetic_runner_errors_total',
    help: 'The runner\'s own faults, never the target\'s: attempts it could not carry out or that failed in its trouble (browser crashed or frozen, event loop blocked, page or request context not made), and errors of its browser connection it survived.',
    labelNames: ['target', 'region'], registers: [this.registry],
  });
  readonly runnerUp = new Gauge({
    name: 'synthetic_runner_up',
    help: '1 while the runner is cycling; 0 pushed by a clean shutdown.',
    labelNames: ['target', 'region'], registers: [this.registry],
  });

  /** The three request histograms differ only in what they hold: same labels, same buckets. */
  private requestHistogram(name: string, help: string): Histogram<(typeof REQUEST)[number]> {
    return new Histogram({ name, help, labelNames: REQUEST, buckets: REQUEST_BUCKETS, registers: [this.registry] });
  }

  constructor(readonly target: string, readonly region: string) {
    // Zero the runner-level counters so they exist (and rate() works) before the first event.
    this.cyclesMissed.inc({ target, region }, 0);
    this.pushFailures.inc({ target, region }, 0);
    this.runnerErrors.inc({ target, region }, 0);
  }

  /** Faults of the runner's browser connection it survived, outside any attempt it recorded. */
  countRunnerFaults(count: number): void {
    this.runnerErrors.inc({ target: this.target, region: this.region }, count);
  }

  /**
   * The target now serves another build: every series of the old build leaves the registry (so
   * the next push, which replaces the group, drops them). Only series with a build label go.
   */
  forgetBuild(): void {
    for (const metric of [this.requestDuration, this.retryRequestDuration, this.browserRequestDuration, this.journeyDuration,
      this.userTiming, this.journeyRuns, this.requestFailures, this.schemaFailures, this.budgetBreaches]) metric.reset();
  }

  /** Adds one cycle's results; gauges describe this cycle only, counters and histograms accumulate. */
  record(results: JourneyResult[], consecutive: (r: JourneyResult) => number, endedAt = Date.now()): void {
    // A gauge series of a build the target no longer serves must not linger with its last value.
    this.journeySuccess.reset();
    this.consecutiveFailures.reset();
    this.journeyAttempts.reset();
    let labels: RunLabels | undefined;
    for (const r of results) {
      labels = r.labels;
      const jl = { ...r.labels, journey: r.journey };
      this.journeyRuns.inc({ ...jl, outcome: r.outcome });
      for (const a of r.attempts) if (a.abortedBy === 'runner') this.runnerErrors.inc({ target: this.target, region: this.region });
      // An aborted run has no verdict: its success gauge is absent this cycle, not 0 and not 1.
      if (r.outcome === 'aborted') continue;
      this.journeySuccess.set(jl, r.outcome === 'failed' ? 0 : 1);
      this.consecutiveFailures.set(jl, consecutive(r));
      this.journeyAttempts.set(jl, r.attempts.length);
      this.journeyDuration.observe(jl, r.durationMs / 1000);
      this.observeUserTimings(r);
      for (const a of r.attempts) {
        if (a.status === 'aborted') continue;
        for (const c of a.calls) {
          const cl = { ...jl, step: c.step, path: c.route, method: c.method };
          // A browser's timing includes its own queueing and the suite's interception: kept out of
          // the server-latency histograms the gate reads.
          const histogram = c.source === 'browser'
            ? (a.attempt === 1 ? this.browserRequestDuration : undefined)
            : (a.attempt === 1 ? this.requestDuration : this.retryRequestDuration);
          const requestLabels = { ...r.labels, path: c.route, method: c.method, status_class: statusClass(c.status) };
          histogram?.observe(requestLabels, c.durationMs / 1000);
          if (histogram && (c.status === 0 || c.status >= 500 || c.problem !== undefined)) this.requestFailures.inc(requestLabels);
          if (c.schemaOutcome === 'fail') this.schemaFailures.inc(cl);
          if (c.overBudget) this.budgetBreaches.inc(cl);
        }
      }
    }
    if (labels) this.lastCycle.set({ target: labels.target, canary: labels.canary, region: labels.region }, endedAt / 1000);
    this.runnerUp.set({ target: this.target, region: this.region }, 1);
  }

  /**
   * The first attempt's user timings, of a run that passed or was flaky (not failed or aborted,
   * and not an aborted first attempt: the runner's fault is nobody's wait). A timing is only
   * there when its end event happened, so it is a whole wait, never a partial one; a flaky run's
   * slow first try counts, as on the request histograms, so a retry never hides slowness.
   */
  private observeUserTimings(r: JourneyResult): void {
    if (r.outcome !== 'passed' && r.outcome !== 'flaky') return;
    const first = r.attempts.find((a) => a.attempt === 1);
    if (!first?.timings || first.status === 'aborted') return;
    const { cohort: _cohort, ...run } = r.labels;
    for (const [field, timing] of Object.entries(USER_TIMING_LABELS) as Array<[keyof UserTimings, string]>) {
      const ms = first.timings[field];
      if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) this.userTiming.observe({ ...run, journey: r.journey, timing }, ms / 1000);
    }
  }
}
