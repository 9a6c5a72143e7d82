import type { GateResult } from './decision-types.ts';
import { evaluate, lookbackMs } from './evaluate.ts';
import type { Runbook } from './runbook-types.ts';
import { readWindow } from './samples.ts';
import { LocalSource, type GateSource } from './source.ts';
import { phaseStartOf, type PhaseStartPolicy } from './phase-start.ts';

/** Stale: no cycle from a target within 2.5 cadences (scaled, as in a drill); never under this. */
const MIN_STALE_MS = 5000;

/** How long after its last cycle a target's data is stale: the gate holds, the staleness alert fires. */
export function staleAfterMs(runbook: Runbook): number {
  return Math.max(MIN_STALE_MS, 2.5 * runbook.monitor.cadenceMs * runbook.timeScale);
}

/**
 * The gate's decision for a phase at `now` (default: this moment), over the phase's window (or
 * `windowMs`, already time-scaled) with the staleness rule: what `synthetics gate` and its endpoint
 * answer, and what `synthetics drill` polls in-process. `source`: the results store's directory,
 * or what reads the window [from, to) from elsewhere (Prometheus). `phaseStart`: where the phase's
 * own start is kept (gate/phase-start.ts); without it the phase counts from the build's first cycle.
 */
export async function decide(opts: {
  runbook: Runbook; profile: string; phase: number;
  source: string | ((from: number, to: number) => GateSource);
  now?: number; windowMs?: number; baseline?: Partial<Record<string, number>>;
  phaseStart?: PhaseStartPolicy;
}): Promise<GateResult> {
  const { runbook, profile, phase, baseline } = opts;
  const { bucketMs } = runbook;
  const prof = runbook.profiles[profile];
  if (!prof) throw new Error(`no profile "${profile}" in the runbook`);
  const now = opts.now ?? Date.now();
  const window = opts.windowMs ?? prof.phases.find((p) => p.percent === phase)!.observeMs;
  const stale = staleAfterMs(runbook);
  // A little before the window too: data that began before it proves the window has elapsed.
  const from = now - lookbackMs(prof, window, bucketMs) - stale;
  const source = typeof opts.source === 'string' ? new LocalSource(await readWindow(opts.source, from, now)) : opts.source(from, now);
  const policy = opts.phaseStart;
  return evaluate({
    runbook, profile, phase, source, now, windowMs: window, bucketMs, baseline, staleAfterMs: stale,
    phaseStart: policy ? (build) => phaseStartOf(policy, { profile, phase, build, now }) : undefined,
  });
}

