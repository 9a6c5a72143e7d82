import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { ATTEMPT_ATTACHMENT, type AttemptAttachment } from '../fixtures/test.ts';
import { loadConfig, type SuiteConfig } from '../src/config/load.ts';
import { outcomeOf, type JourneyResult } from '../src/core/records.ts';
import { NdjsonResultStore } from './ndjson-store.ts';
import { MetricsPublisher } from './metrics-publisher.ts';
import { formatTable } from './table.ts';
import { firstAttemptCalls, formatLatencies, routeLatencies } from './latency.ts';

/**
 * Feeds Playwright Test runs into the same sinks as the runner (table, results store, metrics):
 * each test attempt attaches its record; retries of one test become the attempts of one journey
 * result.
 */
export default class SyntheticsReporter implements Reporter {
  private readonly byTest = new Map<string, JourneyResult>();

  printsToStdio(): boolean {
    return false;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const attachment = result.attachments.find((a) => a.name === ATTEMPT_ATTACHMENT);
    if (!attachment?.body) return;
    const { attempts, ...rest } = JSON.parse(attachment.body.toString('utf8')) as AttemptAttachment;
    const key = test.id;
    const existing = this.byTest.get(key);
    const all = [...(existing?.attempts ?? []), ...attempts];
    const outcome = outcomeOf(all);
    this.byTest.set(key, {
      ...rest,
      attempts: all,
      outcome,
      startedAt: all[0]!.startedAt,
      durationMs: all.reduce((sum, a) => sum + a.durationMs, 0),
      reason: outcome === 'failed' ? all[all.length - 1]!.reason : undefined,
    });
  }

  async onEnd(_result: FullResult): Promise<void> {
    // A rejected onEnd turns a green Playwright run red: every sink failure is caught and said.
    const results = [...this.byTest.values()];
    if (results.length === 0) return;
    process.stdout.write(`\n${formatTable(results)}\n\nAPI latency (ms, first attempts)\n${formatLatencies(routeLatencies(firstAttemptCalls(results)))}\n`);
    let config: SuiteConfig;
    try {
      config = loadConfig();
    } catch (e) {
      process.stderr.write(`synthetics reporter: ${(e as Error).message}\n`);
      return;
    }
    await new NdjsonResultStore(config.resultsDir).write(results)
      .catch((e: Error) => process.stderr.write(`synthetics reporter: results store: ${e.message}\n`));
    // A Playwright run is a new process, like a cron run: its metrics carry the earlier runs' state.
    for (const target of new Set(results.map((r) => r.labels.target))) {
      const publisher = new MetricsPublisher(config, target, 'cron');
      await publisher.record(results.filter((r) => r.labels.target === target))
        .then(() => publisher.publish())
        .catch((e: Error) => process.stderr.write(`synthetics reporter: metrics: ${e.message}\n`));
    }
  }
}
