import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { loadConfig, type SuiteConfig } from '../src/config/load.ts';
import { journeyResult, type JourneyResult } from '../src/core/records.ts';
import { ATTEMPT_ATTACHMENT, type AttemptAttachment } from './playwright-attachment.ts';
import { standardSinks } from './sinks.ts';

/**
 * Feeds Playwright Test runs into the same sinks as the runner (results store, metrics, the run
 * summary): each test attempt attaches its record; retries of one test become the attempts of one
 * journey result. A Playwright run is a new process, like a cron run.
 */
export default class SyntheticsReporter implements Reporter {
  private readonly byTest = new Map<string, JourneyResult>();

  printsToStdio(): boolean {
    return false;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const attachment = result.attachments.find((a) => a.name === ATTEMPT_ATTACHMENT);
    if (!attachment?.body) return;
    const { attempts, ...run } = JSON.parse(attachment.body.toString('utf8')) as AttemptAttachment;
    this.byTest.set(test.id, journeyResult(run, [...(this.byTest.get(test.id)?.attempts ?? []), ...attempts]));
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
