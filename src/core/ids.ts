import { randomBytes } from 'node:crypto';

/**
 * Synthetic ids are `syn-<run>-<seq>`: the run part correlates every call of one journey attempt
 * in the app's logs, the sequence tells the calls apart.
 */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

export class SyntheticIds {
  private seq = 0;
  /** One W3C trace per journey attempt, so a tracing backend shows the attempt as one trace. */
  readonly traceId = randomBytes(16).toString('hex');
  constructor(readonly runId: string = newRunId()) {}

  next(): { syntheticId: string; traceparent: string } {
    this.seq += 1;
    const spanId = randomBytes(8).toString('hex');
    return {
      syntheticId: `syn-${this.runId}-${String(this.seq).padStart(3, '0')}`,
      traceparent: `00-${this.traceId}-${spanId}-01`,
    };
  }
}
