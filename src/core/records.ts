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
  budgetMs: number;
  overBudget: boolean;
  schema: string | null;
  schemaHash: string | null;
  schemaOutcome: SchemaOutcome;
  syntheticId: string;
  traceId: string;
  /** api: made by the API client; browser: a same-origin request made by the page. */
  source: 'api' | 'browser';
  /** Only set when the call itself failed a check. */
  problem?: string;
}

export interface StepRecord {
  title: string;
  status: 'passed' | 'failed';
  durationMs: number;
}

export interface AttemptRecord {
  attempt: number;
  status: 'passed' | 'failed';
  startedAt: string;
  durationMs: number;
  reason?: string;
  runId: string;
  traceId: string;
  steps: StepRecord[];
  calls: CallRecord[];
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

export type JourneyOutcome = 'passed' | 'flaky' | 'failed';

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

/** Passed first time, passed only on a retry (flaky), or never passed. */
export function outcomeOf(attempts: AttemptRecord[]): JourneyOutcome {
  const last = attempts[attempts.length - 1];
  if (!last || last.status === 'failed') return 'failed';
  return attempts.length > 1 ? 'flaky' : 'passed';
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
 * Playwright's retries arriving one test result at a time). The reason of a failed journey is
 * its last attempt's.
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
    reason: outcome === 'failed' ? attempts[attempts.length - 1]?.reason : undefined,
    attempts,
  };
}
