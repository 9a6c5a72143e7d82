import { log } from '../src/core/log.ts';
import { toLabel } from '../src/core/labels.ts';
import type { PhaseStart } from './decision-types.ts';
import type { Ledger } from './ledger.ts';

/**
 * When a phase began, for the canary build under watch. Its observation window counts from there,
 * so the 25% phase is watched for its own minimum, not credited with the time spent at 5%.
 *
 * - `since`: the caller said when (the endpoint's `since`, Flagger's `metadata.since`, `--since`).
 * - Otherwise the first time the gate was asked about this phase for this build, kept in the
 *   ledger so a restarted gate and a second replica see the same moment. A new build is a new
 *   version of the slot: every phase starts afresh.
 * - `record: false` (someone looking at the ship-room page) reads but never starts a phase: only
 *   a rollout tool's question, or a person asking `gate --phase`, begins one.
 * - A ledger that cannot be read or written makes the phase begin now: the gate waits longer,
 *   never goes earlier.
 */
export interface PhaseStartPolicy {
  ledger: Ledger;
  record: boolean;
  since?: number;
}

export async function phaseStartOf(policy: PhaseStartPolicy, q: { profile: string; phase: number; build: string; now: number }): Promise<PhaseStart> {
  if (policy.since !== undefined) return { at: new Date(policy.since).toISOString(), how: 'since' };
  const slot = { kind: 'synthetic_gate_phase_started_timestamp_seconds' as const, key: { profile: toLabel(q.profile), phase: String(q.phase) } };
  const version = toLabel(q.build);
  try {
    const kept = await policy.ledger.read(slot);
    // A kept start later than now (another replica's clock ahead) is still the kept one: later only means waiting longer.
    if (kept && kept.version === version) return { at: new Date(kept.at).toISOString(), how: 'first-asked' };
    if (!policy.record) return { at: null, how: 'not-asked' };
    await policy.ledger.write(slot, { version, at: q.now });
    return { at: new Date(q.now).toISOString(), how: 'first-asked' };
  } catch (e) {
    const note = `the phase's start is kept in ${policy.ledger.where}, which did not answer (${String((e as Error).message).split('\n')[0]})`;
    log(`gate: phase ${q.phase} ${q.profile}: ${note}; counting from now`);
    return { at: new Date(q.now).toISOString(), how: 'unavailable', note };
  }
}

/** The phase's start in words, for the table, the phase summary and the ship-room. */
export function phaseStartText(start: PhaseStart): string {
  switch (start.how) {
    case 'since': return `${start.at} (as the caller said)`;
    case 'first-asked': return `${start.at} (first asked for this build)`;
    case 'not-asked': return 'not yet (no rollout tool has asked about this phase for this build)';
    case 'unavailable': return `unknown, counted from now (${start.note ?? 'the ledger did not answer'})`;
  }
}
