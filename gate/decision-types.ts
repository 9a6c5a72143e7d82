import type { Comparison, Op } from './runbook-types.ts';

/** go: advance; hold: not enough to say (never go, never roll back); rollback: a trigger holds. */
export type Decision = 'go' | 'hold' | 'rollback';

/** A call or run the ship-room can look up in the app's logs. */
export interface Offender {
  syntheticId: string;
  traceId: string;
  at: string;
  what: string;
}

export interface CheckVerdict {
  name: string;
  kind: 'gate' | 'trigger';
  metric: string;
  /** Undefined: not enough data to judge (the check holds). */
  ok: boolean | undefined;
  observed: { canary: number | null; control: number | null; baseline?: number | null };
  against: Comparison;
  op: Op;
  threshold: number;
  samples: { canary: number; control: number };
  /** Triggers: consecutive one-minute buckets (or checks) the condition has held, at the window's end. */
  heldFor?: number;
  /** The statistical verdict where there is one (latency against control). */
  statistics?: {
    test: 'mann-whitney-u' | 'wilcoxon-signed-rank';
    p: number;
    effectMs: number;
    significant: boolean;
  }[];
  /** One sentence: why this check says what it says. */
  reason: string;
  evidence: { window: { from: string; to: string }; offenders: Offender[] };
}

export interface GateResult {
  decision: Decision;
  /** One sentence for the ship-room. */
  reason: string;
  phase: number;
  profile: string;
  /**
   * The window: `elapsedMs` counts from the latest of the window's start, the canary build's first
   * cycle and the phase's own start (`phaseStart`, absent when nothing keeps it: a drill, --at).
   */
  window: { from: string; to: string; elapsedMs: number; requiredMs: number; phaseStart?: PhaseStart };
  /** The last cycle seen per target (and runner, when the source knows runners). */
  freshness: Array<{ target: string; runner?: string; lastCycle: string | null; stale: boolean }>;
  checks: CheckVerdict[];
}

/**
 * When the phase began: `since` (the caller said), `first-asked` (the first time the gate was asked
 * about this phase for this build), `not-asked` (nobody has: a page looking never starts a phase),
 * `unavailable` (the ledger did not answer: counted from now, so the gate waits longer).
 */
export interface PhaseStart {
  at: string | null;
  how: 'since' | 'first-asked' | 'not-asked' | 'unavailable';
  note?: string;
}
