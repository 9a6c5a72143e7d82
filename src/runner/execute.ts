import { devices, type APIRequestContext, type Browser } from '@playwright/test';
import pRetry from 'p-retry';
import { runAttempt } from '../../fixtures/attempt.ts';
import { BROWSER_CONTEXT_DEFAULTS } from '../../fixtures/browser-tagging.ts';
import type { Journey } from '../../journeys/journey.ts';
import type { SuiteConfig } from '../config/load.ts';
import { DEVICE_PROFILES, type DeviceName } from '../core/chromium.ts';
import { journeyResult, labelsFor, type AttemptRecord, type JourneyResult } from '../core/records.ts';
import type { SchemaRegistry } from '../core/schemas.ts';
import type { Target } from '../core/target.ts';
import { withTimeout } from '../core/timeout.ts';

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

class AttemptFailed extends Error {}

async function attemptOnce(journey: Journey, session: WarmSession, device: string, attempt: number): Promise<AttemptRecord> {
  const base = {
    config: session.config, schemas: session.schemas, target: session.target,
    request: session.request, newRequestContext: session.newRequestContext,
    attempt, timeoutMs: session.config.journeyTimeoutMs,
  };
  if (journey.kind === 'api') return runAttempt(journey, base);
  if (!session.browser) throw new Error('browser journeys need a browser');
  const browser = session.browser;
  // The page setup runs before runAttempt's hung-journey timer, and a browser killed during it can
  // leave newPage() pending forever (measured: Playwright 1.65, Chromium killed ~80 ms into an
  // attempt): with no timer alive either, the runner's event loop drained and it exited 0 mid-cycle.
  const setup = (async () => {
    const context = await (await browser()).newContext({ ...devices[DEVICE_PROFILES[device as DeviceName]], ...BROWSER_CONTEXT_DEFAULTS });
    try {
      return { context, page: await context.newPage() };
    } catch (e) {
      await context.close().catch(() => undefined);
      throw e;
    }
  })();
  const { context, page } = await withTimeout(setup, session.config.journeyTimeoutMs, () => new Error(`browser setup hung: no page after ${session.config.journeyTimeoutMs} ms`))
    .catch((e: unknown) => {
      void setup.then(({ context: late }) => late.close(), () => undefined).catch(() => undefined);
      throw e;
    });
  try {
    return await runAttempt(journey, { ...base, browser: { context, page, device } });
  } finally {
    await context.close().catch(() => undefined);
  }
}

/**
 * Runs a journey until it passes or its retries are spent (exponential backoff, p-retry), and
 * reports every attempt: a journey that passes only on retry is flaky, not green.
 */
export async function executeJourney(journey: Journey, session: WarmSession, device = journey.kind === 'api' ? 'api' : 'desktop'): Promise<JourneyResult> {
  const { retry } = session.config;
  const attempts: AttemptRecord[] = [];
  const started = performance.now();
  const startedAt = new Date().toISOString();
  await pRetry(
    async (attemptNumber) => {
      const record = await attemptOnce(journey, session, device, attemptNumber);
      attempts.push(record);
      if (record.status === 'failed') throw new AttemptFailed(record.reason);
    },
    { retries: retry.retries, minTimeout: retry.minDelayMs, factor: retry.factor, maxTimeout: retry.maxDelayMs, randomize: false },
  ).catch((e: unknown) => {
    if (!(e instanceof AttemptFailed)) {
      attempts.push({
        attempt: attempts.length + 1, status: 'failed', startedAt: new Date().toISOString(), durationMs: 0,
        reason: `runner error: ${String((e as Error).message ?? e).split('\n')[0]}`, runId: '-', traceId: '-', steps: [], calls: [],
      });
    }
  });
  return journeyResult(
    { journey: journey.id, kind: journey.kind, labels: labelsFor(session.config.region, session.target, journey.cohort, device) },
    attempts,
    { startedAt, durationMs: Math.round(performance.now() - started) },
  );
}
