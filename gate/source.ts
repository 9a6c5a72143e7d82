import { measure, type Measured } from './measure.ts';
import type { CheckScope, MetricName } from './runbook-types.ts';
import { slice, type WindowSamples } from './samples.ts';

export type SideName = 'canary' | 'control';

/**
 * Where the gate reads from. The decision logic (gate/evaluate.ts) asks only these questions, so
 * the results store (`local`) and Prometheus (`prometheus`, over the pushed metrics of several
 * runners) answer them alike and give the same verdicts on the same data.
 */
export interface GateSource {
  /** One metric of one side over [from, to). */
  measure(metric: MetricName, scope: CheckScope | undefined, side: SideName, from: number, to: number, ctx: { sloPercent: number }): Promise<Measured>;
  /** The last cycle seen per target. */
  freshness(): Promise<Array<{ target: string; last: number }>>;
  /** The canary's current build and when it was first seen in what was read; undefined: never. */
  canaryBuild(): Promise<{ build: string; firstSeen: number } | undefined>;
  /** Whether a side has any journey result in what was read. */
  hasResults(side: SideName): Promise<boolean>;
}

/** The results store, through its one reader: one window of lines, sliced per question. */
export class LocalSource implements GateSource {
  constructor(private readonly samples: WindowSamples) {}

  async measure(metric: MetricName, scope: CheckScope | undefined, side: SideName, from: number, to: number, ctx: { sloPercent: number }): Promise<Measured> {
    return measure(metric, scope, slice(this.samples[side], from, to), { windowMs: to - from, sloPercent: ctx.sloPercent });
  }

  async freshness(): Promise<Array<{ target: string; last: number }>> {
    const all = new Map([...this.samples.control.lastSeen, ...this.samples.canary.lastSeen]);
    return [...all].sort(([a], [b]) => a.localeCompare(b)).map(([target, last]) => ({ target, last }));
  }

  async canaryBuild(): Promise<{ build: string; firstSeen: number } | undefined> {
    const first = this.samples.canary.journeys[0];
    return first ? { build: this.samples.canary.build ?? first.build_id, firstSeen: Date.parse(first.startedAt) } : undefined;
  }

  async hasResults(side: SideName): Promise<boolean> {
    return this.samples[side].journeys.length > 0;
  }
}
