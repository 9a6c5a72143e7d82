import { devices, type APIRequestContext, type Browser } from '@playwright/test';
import pRetry from 'p-retry';
import { runAttempt } from '../../fixtures/attempt.ts';
import { BROWSER_CONTEXT_DEFAULTS } from '../../fixtures/browser-tagging.ts';
import { runnerEvidence } from '../../fixtures/evidence.ts';
import type { Journey } from '../../journeys/journey.ts';
import type { SuiteConfig } from '../config/load.ts';
import { DEVICE_PROFILES, type DeviceName } from '../core/chromium.ts';
import { journeyResult, labelsFor, type AttemptRecord, type JourneyResult } from '../core/records.ts';
import type { SchemaRegistry } from '../core/schemas.ts';
import type { Target } from '../core/target.ts';
import { log } from '../core/log.ts';
import { withTimeout } from '../core/timeout.ts';
import { backoffDelay } from '../core/backoff.ts';

/** What the runner keeps warm between cycles for one target. */
export interface WarmSession {
  config: SuiteConfig;
  schemas: SchemaRegistry;
  target: Target;
  request: APIRequestContext;
  newRequestContext: () => Promise<APIRequestContext>;
  /** Launched lazily, shared by all targets. */
  browser?: () => Promise<Browser>;
}

/** What bounds one cycle: every attempt ends by the deadline, and none runs after a stop. */
export interface CycleBounds {
  /** Epoch ms by which the cycle's journeys must be done (the sinks need the rest of the cadence). */
  deadline: number;
  /** Aborted when the runner stops: running attempts end as aborted, none starts. */
  stop: AbortSignal;
  /** Told of each failed attempt as it happens (the long-running runner logs it). */
  onAttemptFailed?: (journey: string, device: string, attempt: AttemptRecord, nextRetryMs: number | undefined) => void;
}

/** An attempt shorter than this is not worth starting: it could only time out. */
const MIN_ATTEMPT_MS = 500;

/** The runner could not give the journey what it needs (browser, page, request context): not the target's failure. */
class RunnerFault extends Error {}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

async function attemptOnce(journey: Journey, session: WarmSession, device: string, attempt: number, bounds: CycleBounds): Promise<AttemptRecord> {
  const left = bounds.deadline - Date.now();
  const base = {
    config: session.config, schemas: session.schemas, target: session.target,
    request: session.request, newRequestContext: session.newRequestContext,
    attempt, stop: bounds.stop,
    timeoutMs: Math.min(session.config.journeyTimeoutMs, left),
    timeoutCause: left < session.config.journeyTimeoutMs ? 'cycle' as const : 'journey' as const,
  };
  if (journey.kind === 'api') return runAttempt(journey, base);
  if (!session.browser) throw new RunnerFault('browser journeys need a browser');
  const browserOf = session.browser;
  // The page setup runs before runAttempt's hung-journey timer, and a browser killed during it can
  // leave newPage() pending forever (measured: Playwright 1.65, Chromium killed ~80 ms into an
  // attempt): with no timer alive either, the runner's event loop drained and it exited 0 mid-cycle.
  let browser: Browser | undefined;
  const setup = (async () => {
    browser = await browserOf();
    const context = await browser.newContext({ ...devices[DEVICE_PROFILES[device as DeviceName]], ...BROWSER_CONTEXT_DEFAULTS });
    try {
      return { context, page: await context.newPage() };
    } catch (e) {
      await context.close().catch(() => undefined);
      throw e;
    }
  })();
  const setupMs = Math.min(session.config.journeyTimeoutMs, Math.max(left, MIN_ATTEMPT_MS));
  const { context, page } = await withTimeout(setup, setupMs, () => new RunnerFault(`browser setup hung: no page after ${setupMs} ms`))
    .catch((e: unknown) => {
      void setup.then(({ context: late }) => late.close(), () => undefined).catch(() => undefined);
      throw e instanceof RunnerFault ? e : new RunnerFault(`browser setup failed: ${firstLine(e)}`);
    });
  try {
    const evidence = runnerEvidence(session.config.resultsDir, { target: session.target.name, journey: journey.id, device, attempt, deadline: bounds.deadline });
    const record = await runAttempt(journey, { ...base, timeoutMs: Math.min(base.timeoutMs, bounds.deadline - Date.now()), browser: { context, page, device }, evidence });
    // The browser died under the journey (a crash, the kernel): the runner's fault, not the target's.
    if (record.status === 'failed' && browser && !browser.isConnected()) {
      return { ...record, status: 'aborted', abortedBy: 'runner', reason: `runner error: the browser closed during the attempt (${record.reason})` };
    }
    // One line when evidence was due but not kept (not for a dead browser: nothing could be had).
    if (record.evidence?.withheld) log(`${session.target.name}: ${journey.id}/${device} attempt ${attempt}: ${record.evidence.withheld}`);
    return record;
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** An attempt that never ran: nothing reached the target. */
function notRun(attempt: number, abortedBy: NonNullable<AttemptRecord['abortedBy']>, reason: string): AttemptRecord {
  return { attempt, status: 'aborted', abortedBy, startedAt: new Date().toISOString(), durationMs: 0, reason, runId: '-', traceId: '-', steps: [], calls: [] };
}

class AttemptFailed extends Error {}

/**
 * Runs a journey until it passes or its retries are spent (exponential backoff, p-retry), and
 * reports every attempt: a journey that passes only on retry is flaky, not green. A retry is
 * made only when its backoff and a useful attempt still fit before the cycle's deadline, and none
 * after a stop.
 */
export async function executeJourney(journey: Journey, session: WarmSession, bounds: CycleBounds, device = journey.kind === 'api' ? 'api' : 'desktop'): Promise<JourneyResult> {
  const { retry } = session.config;
  const attempts: AttemptRecord[] = [];
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const fits = (waitMs: number) => Date.now() + waitMs + MIN_ATTEMPT_MS <= bounds.deadline;
  if (bounds.stop.aborted) attempts.push(notRun(1, 'stop', 'not run: the runner was stopping'));
  else if (!fits(0)) attempts.push(notRun(1, 'deadline', 'not run: the cycle deadline was reached before it could start'));
  else {
    await pRetry(
      async (attemptNumber) => {
        let record: AttemptRecord;
        try {
          record = await attemptOnce(journey, session, device, attemptNumber, bounds);
        } catch (e) {
          record = notRun(attemptNumber, 'runner', `runner error: ${firstLine(e)}`);
        }
        attempts.push(record);
        if (record.status !== 'passed') throw new AttemptFailed(record.reason);
      },
      {
        retries: retry.retries, minTimeout: retry.minDelayMs, factor: retry.factor, maxTimeout: retry.maxDelayMs, randomize: false,
        signal: bounds.stop,
        shouldRetry: ({ attemptNumber }) => !bounds.stop.aborted && attempts.at(-1)?.abortedBy !== 'stop' && fits(backoffDelay(retry, attemptNumber)),
        onFailedAttempt: ({ attemptNumber, retriesLeft }) => {
          const last = attempts.at(-1);
          const next = retriesLeft > 0 && !bounds.stop.aborted && fits(backoffDelay(retry, attemptNumber)) ? backoffDelay(retry, attemptNumber) : undefined;
          if (last) bounds.onAttemptFailed?.(journey.id, device, last, next);
        },
      },
    ).catch(() => undefined);
  }
  return journeyResult(
    { journey: journey.id, kind: journey.kind, labels: labelsFor(session.config.region, session.target, journey.cohort, device) },
    attempts,
    { startedAt, durationMs: Math.round(performance.now() - started) },
  );
}
