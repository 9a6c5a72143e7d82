import type { AttemptRecord, CallRecord, JourneyResult, RunLabels } from '../../src/core/records.ts';

/**
 * The store's two kinds of line, the one machine format every consumer reads (report, gate,
 * baseline, ship-room view). Labels are flat on both, so every consumer filters them alike.
 * No bodies, no tokens, no emails: the records they are made from carry none.
 */
export type JourneyLine = Omit<JourneyResult, 'attempts' | 'labels'> & RunLabels & {
  type: 'journey';
  /** The attempts without their calls (those are call lines). */
  attempts: Array<Omit<AttemptRecord, 'calls'>>;
};

export type CallLine = CallRecord & RunLabels & {
  type: 'call';
  journey: string;
  attempt: number;
  /** Made by a retry attempt: kept out of latency percentiles. */
  retry: boolean;
  runId: string;
};

export type StoreLine = JourneyLine | CallLine;

/** A call the runner made itself in a cycle (the build probe), outside any journey. */
export interface ProbeCall {
  labels: RunLabels;
  call: CallRecord;
}

/** The `journey` of a probe's call line: not a journey, so no journey line goes with it. */
export const PROBE_JOURNEY = 'runner-probe';

/** One journey line per journey run, then one call line per call of each of its attempts. */
export function toLines(results: JourneyResult[], probes: readonly ProbeCall[] = []): StoreLine[] {
  const lines: StoreLine[] = probes.map(({ labels, call }) => ({
    type: 'call', journey: PROBE_JOURNEY, ...labels, attempt: 1, retry: false, runId: '-', ...call,
  }));
  for (const r of results) {
    const { attempts, labels, ...journey } = r;
    lines.push({ type: 'journey', ...journey, ...labels, attempts: attempts.map(({ calls: _calls, ...a }) => a) });
    for (const a of attempts) {
      for (const c of a.calls) {
        lines.push({ type: 'call', journey: r.journey, ...labels, attempt: a.attempt, retry: a.attempt > 1, runId: a.runId, ...c });
      }
    }
  }
  return lines;
}

/** When a line happened: a journey's start, a call's start. */
export const timeOf = (line: StoreLine): string => (line.type === 'journey' ? line.startedAt : line.at);
