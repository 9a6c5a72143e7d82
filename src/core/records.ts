/**
 * The one record format every run mode produces and every consumer reads (table, NDJSON store,
 * metrics, gate). Nothing here may hold a body, a token or an email.
 */

export type SchemaOutcome = 'pass' | 'fail' | 'none';

export interface CallRecord {
  /** ISO time the call started. */
  at: string;
  step: string;
  method: string;
  /** Contract route pattern, never a raw path. */
  route: string;
  /** HTTP status, 0 when no response came back. */
  status: number;
  durationMs: number;
  /** The server's own time for the call (`Server-Timing: app;dur=`), when it sends one. */
  serverMs?: number;
  budgetMs: number;
  overBudget: boolean;
  schema: string | null;
  schemaHash: string | null;
  schemaOutcome: SchemaOutcome;
  syntheticId: string;
  traceId: string;
  /**
   * api: made by the API client; browser: a same-origin request made by the page; probe: made by
   * the runner itself (the build probe), never a latency sample of a journey.
   */
  source: 'api' | 'browser' | 'probe';
  /** Only set when the call itself failed a check. */
  problem?: string;
}

export interface StepRecord {
  title: string;
  status: 'passed' | 'failed';
  durationMs: number;
  /** The journey's line that made the step (`journeys/b2c-api.journey.ts:21`): where a failure is read from. */
  at?: string;
}

/**
 * `aborted`: the runner cut the attempt short (a stop, the cycle's deadline, or its own fault: the
 * browser crashed or froze, its connection threw, the runner's event loop was blocked, a page or
 * request context could not be made). Not the target's failure: never pushed or counted as one.
 */
export type AttemptStatus = 'passed' | 'failed' | 'aborted';

export interface AttemptRecord {
  attempt: number;
  status: AttemptStatus;
  /** Why an aborted attempt was cut: a stop, the runner's own fault, or the cycle's deadline. */
  abortedBy?: 'stop' | 'runner' | 'deadline';
  startedAt: string;
  durationMs: number;
  /** The attempt's first problem, for tables (`… (+2 more)` when there were more). */
  reason?: string;
  /** Every problem of a failed attempt, in the order seen: what the store keeps whole. */
  problems?: string[];
  runId: string;
  traceId: string;
  steps: StepRecord[];
  calls: CallRecord[];
  /**
   * What the user saw when a browser attempt failed (or always, with EVIDENCE=always): paths
   * relative to RESULTS_DIR under the runner, attachment names under Playwright Test; `withheld`
   * says why a piece was not kept (its secret scan failed, the page was gone).
   */
  evidence?: { screenshot?: string; trace?: string; withheld?: string };
  /**
   * User-centric timings a browser journey read from the page's own clock, in ms; each absent
   * when not measured (an API journey, or the attempt failed before its end event). A fixed set
   * of names, so the metric's `timing` label stays bounded.
   */
  timings?: { timeToValueMs?: number; timeToFirstInteractionMs?: number };
}

/** Labels every metric and result line carries (bounded values only). */
export interface RunLabels {
  target: string;
  canary: string;
  region: string;
  device: string;
  cohort: string;
  build_id: string;
  git_sha: string;
}

export type JourneyOutcome = 'passed' | 'flaky' | 'failed' | 'aborted';

export interface JourneyResult {
  journey: string;
  kind: 'api' | 'browser';
  labels: RunLabels;
  outcome: JourneyOutcome;
  startedAt: string;
  durationMs: number;
  reason?: string;
  attempts: AttemptRecord[];
}

/**
 * The target's verdict over its attempts. Only a `failed` attempt is the target's failure; an
 * aborted one (a stop, the cycle deadline, the runner's own fault) says nothing of the target. So:
 * passed when an attempt passed and none before it failed (an attempt the runner lost, then a
 * pass, is not flaky); flaky when it passed after a failure; failed when it never passed and
 * failed at least once (a retry the runner then lost does not hide that); aborted when no attempt
 * came to a verdict.
 */
export function outcomeOf(attempts: AttemptRecord[]): JourneyOutcome {
  const passedAt = attempts.findIndex((a) => a.status === 'passed');
  const failedBefore = (end: number) => attempts.slice(0, end).some((a) => a.status === 'failed');
  if (passedAt >= 0) return failedBefore(passedAt) ? 'flaky' : 'passed';
  if (attempts.length === 0 || failedBefore(attempts.length)) return 'failed';
  return 'aborted';
}

/**
 * What the target itself got wrong in an attempt, as far as its answers show: a 5xx, a status the
 * journey did not expect, a body that broke its schema, and (only when the runner's own timing can
 * be trusted) a call over its budget. A call that got no answer (status 0) is not counted: a
 * frozen browser or a blocked runner makes those too. Used to tell the runner's trouble from the
 * target's: an attempt the runner cut short or starved stays failed only when this is non-empty.
 */
export function targetProblems(attempt: Pick<AttemptRecord, 'calls'>, opts: { timingTrusted: boolean }): CallRecord[] {
  return attempt.calls.filter((c) => c.status > 0 && c.source !== 'probe' && (
    c.status >= 500 || c.schemaOutcome === 'fail' || (c.problem !== undefined && !c.overBudget) || (opts.timingTrusted && c.overBudget)
  ));
}

/** The labels of one journey run: the cohort is the journey's, the device is `api` or a browser profile. */
export function labelsFor(region: string, target: { name: string; canary: boolean; buildId: string; gitSha: string }, cohort: string, device: string): RunLabels {
  return {
    target: target.name,
    canary: String(target.canary),
    region,
    device,
    cohort,
    build_id: target.buildId,
    git_sha: target.gitSha,
  };
}

/**
 * A journey's result from its attempts, however they were run (one process retrying, or
 * Playwright's retries arriving one test result at a time). The reason of a failed or aborted
 * journey is its last attempt's. A flaky journey has none: it passed, and consumers read a
 * journey reason as a failure's (gate evidence, last failures); why its first attempt failed
 * stays in that attempt (`attempts[0].reason`, `problems`), where the run table reads it.
 */
export function journeyResult(
  run: Pick<JourneyResult, 'journey' | 'kind' | 'labels'>,
  attempts: AttemptRecord[],
  timing: { startedAt?: string; durationMs?: number } = {},
): JourneyResult {
  const outcome = outcomeOf(attempts);
  return {
    ...run,
    outcome,
    startedAt: timing.startedAt ?? attempts[0]?.startedAt ?? new Date().toISOString(),
    durationMs: timing.durationMs ?? attempts.reduce((sum, a) => sum + a.durationMs, 0),
    reason: outcome === 'failed' || outcome === 'aborted' ? attempts[attempts.length - 1]?.reason : undefined,
    attempts,
  };
}
