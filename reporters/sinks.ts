import type { SuiteConfig } from '../src/config/load.ts';
import { MetricsSink } from './metrics-publisher.ts';
import { ResultsStore } from './results-store/index.ts';
import { SinkFanOut, type Sink } from './sink.ts';
import { SummarySink } from './summary.ts';

export interface StandardSinks {
  fanOut: SinkFanOut;
  /** The metrics side, for tests and benchmarks that read a target's registry. */
  metrics: MetricsSink;
}

/**
 * The sinks every run mode feeds, wired in one place: the results store, then the metrics (so a
 * store failure is counted in the same push), then, for one-shot runs, the printed summary.
 * `cron`: each run is a new process, so cumulative metric state is kept in RESULTS_DIR.
 */
export function standardSinks(
  config: SuiteConfig,
  mode: 'cron' | 'loop',
  summary?: { out: { write(text: string): unknown }; headings: boolean },
): StandardSinks {
  const metrics = new MetricsSink(config, mode);
  const sinks: Sink[] = [new ResultsStore(config.resultsDir, { retentionDays: config.resultsRetentionDays }), metrics];
  if (summary) sinks.push(new SummarySink(summary.out, summary.headings));
  return { fanOut: new SinkFanOut(sinks), metrics };
}
