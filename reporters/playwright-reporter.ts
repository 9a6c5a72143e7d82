import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { loadConfig, type SuiteConfig } from '../src/config/load.ts';
import { stripAnsi } from '../src/core/ansi.ts';
import { journeyResult, type AttemptRecord, type JourneyResult } from '../src/core/records.ts';
import { scrub } from '../src/core/scrub.ts';
import { ATTEMPT_ATTACHMENT, type AttemptAttachment } from './playwright-attachment.ts';
import { standardSinks } from './sinks.ts';

/**
 * Feeds Playwright Test runs into the same sinks as the runner (results store, metrics, the run
 * summary): each test attempt attaches its record; retries of one test become the attempts of one
 * journey result. A Playwright run is a new process, like a cron run.
 */
export default class SyntheticsReporter implements Reporter {
  private readonly byTest = new Map<string, JourneyResult>();
  /** Failed attempts that attached nothing, waiting for a later attempt of their test to bring the labels. */
  private readonly unattached = new Map<string, AttemptRecord[]>();

  printsToStdio(): boolean {
    return false;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const attachment = result.attachments.find((a) => a.name === ATTEMPT_ATTACHMENT);
    if (!attachment?.body) {
      // Playwright ended the attempt itself (its test timeout) before it attached a record: still a
      // failed attempt, so a pass on the retry is flaky here as in the runner.
      if (result.status === 'failed' || result.status === 'timedOut') {
        this.unattached.set(test.id, [...(this.unattached.get(test.id) ?? []), failedAttempt(result)]);
      }
      return;
    }
    const { attempts, ...run } = JSON.parse(attachment.body.toString('utf8')) as AttemptAttachment;
    const earlier = [...(this.byTest.get(test.id)?.attempts ?? []), ...(this.unattached.get(test.id) ?? [])];
    this.unattached.delete(test.id);
    this.byTest.set(test.id, journeyResult(run, [...earlier.sort((a, b) => a.attempt - b.attempt), ...attempts]));
  }

  async onEnd(_result: FullResult): Promise<void> {
    const results = [...this.byTest.values()];
    if (results.length === 0) return;
    let config: SuiteConfig;
    try {
      config = loadConfig();
    } catch (e) {
      process.stderr.write(`synthetics reporter: ${(e as Error).message}\n`);
      return;
    }
    // The fan-out never rejects: a rejected onEnd would turn a green Playwright run red.
    const targets = [...new Set(results.map((r) => r.labels.target))];
    const { fanOut } = standardSinks(config, 'cron', { out: process.stdout, headings: targets.length > 1 });
    for (const target of targets) await fanOut.write({ target, results: results.filter((r) => r.labels.target === target) });
    await fanOut.close();
  }
}

/** The record of an attempt Playwright ended before the journey's own record was attached. */
function failedAttempt(result: TestResult): AttemptRecord {
  const reason = scrub(`playwright: ${stripAnsi(result.error?.message ?? result.status).split('\n')[0]}`).slice(0, 300);
  return {
    attempt: result.retry + 1, status: 'failed', startedAt: result.startTime.toISOString(), durationMs: Math.round(result.duration),
    reason, problems: [reason], runId: '-', traceId: '-', steps: [], calls: [],
  };
}
