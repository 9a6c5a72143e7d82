import type { JourneyResult } from '../src/core/records.ts';
import { formatLatencies, latencySamples, routeLatencies } from './latency.ts';
import type { CycleBatch, Sink } from './sink.ts';
import { formatTable } from './table.ts';

/**
 * The run summary a person reads at the end of a one-shot run (`run --once`, `playwright test`):
 * each target's journey table as its batch arrives, then P50/P95/P99 per route over the whole run.
 */
export class SummarySink implements Sink {
  readonly name = 'summary';
  private readonly results: JourneyResult[] = [];

  constructor(
    private readonly out: { write(text: string): unknown },
    /** Several targets: each table gets a `target NAME` heading. */
    private readonly headings: boolean,
  ) {}

  async write({ target, baseUrl, results }: CycleBatch): Promise<void> {
    this.results.push(...results);
    const heading = this.headings ? `\ntarget ${target}${baseUrl ? ` (${baseUrl})` : ''}\n` : '';
    this.out.write(`${heading}${formatTable(results)}\n`);
  }

  async close(): Promise<void> {
    if (this.results.length === 0) return;
    this.out.write(`\nAPI latency (ms, first attempts)\n${formatLatencies(routeLatencies(latencySamples(this.results)))}\n`);
  }
}
