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
import type { RunnerHealth } from './runner-health.ts';
import type { FairSlots } from './slots.ts';

/** What the runner keeps warm between cycles for one target. */
export interface WarmSession {
  config: SuiteConfig;
  schemas: SchemaRegistry;
  target: Target;
  request: APIRequestContext;
  newRequestContext: () => Promise<APIRequestContext>;
  /** Launched lazily, shared by all targets. */
  browser?: () => Promise<Browser>;
  /** Gives up a browser that cannot serve (closed without waiting); the next `browser()` launches anew. */
  discardBrowser?: (browser: Browser) => void;
  /** The runner's own trouble, shared by all targets: a failure in its shadow is the runner's. */
  health?: RunnerHealth;
  /** How many browser journeys run at once, over all targets of the runner (one context each). */
  browserSlots?: FairSlots;
}

/** What bounds one cycle: every attempt ends by the deadline, and none runs after a stop. */
export interface CycleBounds {
  /** Epoch ms by which the cycle's journeys must be done (the sinks need the rest of the cadence). */
  deadline: number;
  /** Aborted when the runner stops: running attempts end as aborted, none starts. */
  stop: AbortSignal;
  /** Told of each failed attempt as it happens (the long-running runner logs it). */
  onAttemptFailed?: (journey: string, device: string, attempt: AttemptRecord, nextRetryMs: number | undefined) => void;
  /** Told of each journey's result as soon as it is final, before the cycle ends (the results store writes it at once). */
  onResult?: (result: JourneyResult) => void;
}

/** An attempt shorter than this is not worth starting: it could only time out. */
const MIN_ATTEMPT_MS = 500;
/** A browser that has not made a page in this long is wedged, not slow (a page takes ~0.1 s). */
const WEDGED_SETUP_MS = 5_000;
/** Closing an attempt's browser context waits no longer than this (a frozen browser never answers). */
const CLOSE_MS = 1_000;
/** The runner could not give the journey what it needs (browser, page, request context): not the target's failure. */
class RunnerFault extends Error {}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

async function attemptOnce(journey: Journey, session: WarmSession, device: string, attempt: number, bounds: CycleBounds): Promise<AttemptRecord> {
  const left = bounds.deadline - Date.now();
  const health = session.health;
  /** A renderer that crashed under this attempt: the runner's trouble (a killed process), this attempt's alone. */
  let crashed: string | undefined;
  const base = {
    config: session.config, schemas: session.schemas, target: session.target,
    request: session.request, newRequestContext: session.newRequestContext,
    attempt, stop: bounds.stop,
    timeoutMs: Math.min(session.config.journeyTimeoutMs, left),
    timeoutCause: left < session.config.journeyTimeoutMs ? 'cycle' as const : 'journey' as const,
    runnerTrouble: (from: number, to: number) => crashed ?? health?.troubleDuring(from, to, journey.kind),
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
      // A browser that cannot make a page (a killed zygote leaves it connected but wedged) is
      // given up: the next attempt launches a new one instead of hanging the same way.
      if (browser && setupMs >= WEDGED_SETUP_MS) session.discardBrowser?.(browser);
      throw e instanceof RunnerFault ? e : new RunnerFault(`browser setup failed: ${firstLine(e)}`);
    });
  page.once('crash', () => {
    crashed = 'the page\'s renderer crashed';
  });
  try {
    const evidence = runnerEvidence(session.config.resultsDir, { target: session.target.name, journey: journey.id, device, attempt, deadline: bounds.deadline });
    const timeoutMs = Math.min(base.timeoutMs, bounds.deadline - Date.now());
    const record = await runAttempt(journey, {
      ...base, timeoutMs, timeoutCause: timeoutMs < session.config.journeyTimeoutMs ? 'cycle' : 'journey', browser: { context, page, device }, evidence,
    });
    // The browser died under the journey (a crash, the kernel): the runner's fault, not the target's.
    if (record.status === 'failed' && browser && !browser.isConnected()) {
      return { ...record, status: 'aborted', abortedBy: 'runner', reason: `runner error: the browser closed during the attempt (${record.reason})` };
    }
    // One line when evidence was due but not kept (not for a dead browser: nothing could be had).
    if (record.evidence?.withheld) log(`${session.target.name}: ${journey.id}/${device} attempt ${attempt}: ${record.evidence.withheld}`);
    return record;
  } finally {
    // A frozen browser never answers the close: the cycle's deadline must not wait for it.
    await withTimeout(context.close(), CLOSE_MS, () => new Error('context close hung')).catch(() => undefined);
  }
}

/** An attempt that never ran a journey step: nothing reached the target. `since`: when the runner began trying. */
function notRun(attempt: number, abortedBy: NonNullable<AttemptRecord['abortedBy']>, reason: string, since = Date.now()): AttemptRecord {
  return { attempt, status: 'aborted', abortedBy, startedAt: new Date(since).toISOString(), durationMs: Date.now() - since, reason, runId: '-', traceId: '-', steps: [], calls: [] };
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
        const tried = Date.now();
        try {
          record = await inSlot(journey, session, () => {
            // A wait for a slot can outlast the cycle or a stop: the attempt is then never made.
            if (bounds.stop.aborted) return notRun(attemptNumber, 'stop', 'not run: the runner was stopping');
            if (!fits(0)) return notRun(attemptNumber, 'deadline', `not run: the cycle deadline came before a slot was free`);
            return attemptOnce(journey, session, device, attemptNumber, bounds);
          });
        } catch (e) {
          record = notRun(attemptNumber, 'runner', `runner error: ${firstLine(e)}`, tried);
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
  const result = journeyResult(
    { journey: journey.id, kind: journey.kind, labels: labelsFor(session.config.region, session.target, journey.cohort, device) },
    attempts,
    { startedAt, durationMs: Math.round(performance.now() - started) },
  );
  try {
    bounds.onResult?.(result);
  } catch (e) {
    log(`${session.target.name}: ${journey.id}/${device}: early result not delivered (${firstLine(e)}); it goes with the cycle`);
  }
  return result;
}

/** A browser attempt in one of the runner's browser slots (all targets share them, fairly); an API attempt at once. */
async function inSlot(journey: Journey, session: WarmSession, attempt: () => Promise<AttemptRecord> | AttemptRecord): Promise<AttemptRecord> {
  const slots = journey.kind === 'browser' ? session.browserSlots : undefined;
  return slots ? slots.run(session.target.name, attempt) : attempt();
}
