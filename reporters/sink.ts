import type { JourneyResult } from '../src/core/records.ts';

/** Where journey results go after a cycle (or a Playwright run): table, results store, metrics. */
export interface ResultSink {
  readonly name: string;
  write(results: JourneyResult[]): Promise<void>;
  close?(): Promise<void>;
}
