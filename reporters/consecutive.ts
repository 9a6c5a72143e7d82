import type { JourneyResult } from '../src/core/records.ts';

const keyOf = (r: Pick<JourneyResult, 'journey' | 'labels'>) => `${r.journey}|${r.labels.device}`;

/**
 * Consecutive failed cycles per journey and device of one target: the runbook's rollback trigger
 * "synthetic failures ≥ 3 consecutive checks" reads this. A flaky pass resets it: the journey worked.
 */
export class ConsecutiveFailures {
  private readonly counts: Map<string, number>;

  constructor(initial: Record<string, number> = {}) {
    this.counts = new Map(Object.entries(initial));
  }

  /** An aborted run says nothing about the target: the count stays as it was. */
  update(results: JourneyResult[]): void {
    for (const r of results) {
      if (r.outcome === 'aborted') continue;
      this.counts.set(keyOf(r), r.outcome === 'failed' ? (this.counts.get(keyOf(r)) ?? 0) + 1 : 0);
    }
  }

  of = (r: Pick<JourneyResult, 'journey' | 'labels'>): number => this.counts.get(keyOf(r)) ?? 0;

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
