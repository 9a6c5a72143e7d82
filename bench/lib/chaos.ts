/**
 * The pure half of the chaos soak (`bench/chaos.ts`): the seeded fault plan, what each fault is
 * and which journeys it must fail, the runner's log lines, and the judgement of the results
 * store against the fault timeline. No processes, no clock: the unit tests drive it directly.
 */
import type { JourneyLine } from '../../reporters/results-store/index.ts';
import { mulberry32 } from '../../sandbox/seed.ts';

/** The target misbehaves (the run MUST record failed), or the runner has trouble of its own (it must NOT). */
export type FaultClass = 'target' | 'runner';

export type TargetFaultKind = 'payments-500' | 'page-delay' | 'trickle';
export type RunnerFaultKind = 'chromium-kill' | 'chromium-stop' | 'cpu-load';
export type FaultKind = TargetFaultKind | RunnerFaultKind;

export interface TargetFaultSpec {
  /** The body of `POST /__sandbox/faults` on the canary. */
  body: Record<string, unknown>;
  /**
   * The journeys that cross the faulted route (read from journeys/*.ts), so must fail while it is
   * on. A journey not listed here that fails during the fault is a false failure.
   */
  affects: readonly string[];
}

/**
 * The canary's faults. Each hits one route and names the journeys that cross it:
 * - `/api/checkout/init` is called by payments-api (`api.post`) and by the page of payments-browser;
 * - the `/search` page (a path prefix: not `/api/scholarships`) is loaded only by b2c-browser; its
 *   3 s is over the 2 s PAGE_BUDGET_MS, and a slow page is what a user would see;
 * - the `/provider/dashboard` page (not `/api/provider/dashboard`, which provider-api and auth call)
 *   is loaded only by provider-browser; trickled over 3 s its download is over PAGE_BUDGET_MS
 *   (a browser call's time runs to its responseEnd) although its first byte is quick.
 */
export const TARGET_FAULTS: Record<TargetFaultKind, TargetFaultSpec> = {
  'payments-500': { body: { route: '/api/checkout/init', method: 'POST', status: 500 }, affects: ['payments-api', 'payments-browser'] },
  'page-delay': { body: { route: '/search', latencyMs: 3000 }, affects: ['b2c-browser'] },
  trickle: { body: { route: '/provider/dashboard', trickleMs: 3000 }, affects: ['provider-browser'] },
};

export const RUNNER_FAULT_KINDS: readonly RunnerFaultKind[] = ['chromium-kill', 'chromium-stop', 'cpu-load'];
export const TARGET_FAULT_KINDS = Object.keys(TARGET_FAULTS) as TargetFaultKind[];

export const classOf = (kind: FaultKind): FaultClass => (kind in TARGET_FAULTS ? 'target' : 'runner');

/** A seeded PRNG (the sandbox's own), so a seed replays the same fault plan. */
export const prng = mulberry32;

export interface PlannedFault {
  kind: FaultKind;
  /** When to start it, ms after the soak's start. */
  atMs: number;
  /** How long it stays on (0: an instant, the SIGKILL). */
  durationMs: number;
}

const between = (random: () => number, lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

/**
 * The soak's faults, in two lanes that each run one fault at a time (DELETE /__sandbox/faults
 * clears them all, and one runner fault at a time keeps its effect readable): target faults last
 * 2–4 cadences (so whole attempts fall inside them; never under one cadence, even when the soak's
 * end cuts one short) with 1–3 cadences of quiet between; runner faults come every 10–30 s. The
 * first 1.5 cadences (the browser's launch) and the last cadence are left quiet, each at most a
 * tenth of the soak's length (so a half-minute smoke still gets faults).
 */
export function planFaults(seed: number, soakMs: number, cadenceMs: number): { target: PlannedFault[]; runner: PlannedFault[] } {
  const random = prng(seed);
  const warmupMs = Math.min(1.5 * cadenceMs, soakMs / 10);
  const lastEndMs = soakMs - Math.min(cadenceMs, soakMs / 10);
  const lane = (next: (at: number) => PlannedFault | undefined, gap: () => number): PlannedFault[] => {
    const out: PlannedFault[] = [];
    for (let at = warmupMs; ;) {
      const fault = next(at);
      if (!fault || fault.atMs + fault.durationMs > lastEndMs) break;
      out.push(fault);
      at = fault.atMs + fault.durationMs + gap();
    }
    return out;
  };
  // Each lane draws from its own stream, so a change in one lane's rules does not reshuffle the other.
  const targetRandom = prng(Math.floor(random() * 2 ** 32));
  const runnerRandom = prng(Math.floor(random() * 2 ** 32));
  const target = lane((at) => {
    const kind = pick(targetRandom, TARGET_FAULT_KINDS);
    const atMs = at + between(targetRandom, 0, Math.min(cadenceMs, 10_000));
    const durationMs = Math.min(between(targetRandom, 2 * cadenceMs, 4 * cadenceMs), lastEndMs - atMs);
    return durationMs >= cadenceMs ? { kind, atMs, durationMs } : undefined;
  }, () => between(targetRandom, cadenceMs, 3 * cadenceMs));
  const runner = lane((at) => {
    const kind = pick(runnerRandom, RUNNER_FAULT_KINDS);
    const atMs = at + between(runnerRandom, 0, 10_000);
    if (kind === 'chromium-kill') return { kind, atMs, durationMs: 0 };
    const drawn = kind === 'chromium-stop' ? between(runnerRandom, 2_000, 6_000) : between(runnerRandom, 10_000, 30_000);
    const durationMs = Math.min(drawn, lastEndMs - atMs);
    return durationMs >= 2_000 ? { kind, atMs, durationMs } : undefined;
  }, () => between(runnerRandom, 10_000, 30_000));
  return { target, runner };
}

/** A fault as it happened: epoch ms on this machine's clock, the store's clock too. */
export interface FaultRecord {
  kind: FaultKind;
  class: FaultClass;
  /** The target it hit (target faults: the canary). */
  target?: string;
  /** Journeys that must fail while it is on (target faults). */
  affects: string[];
  /** Target faults: after the sandbox accepted it; runner faults: when the signal or load started. */
  startMs: number;
  /** Target faults: before it was cleared; runner faults: when it was undone (SIGCONT, load killed). */
  endMs: number;
  /** What exactly was done (pids, signal, route), or why nothing could be. */
  detail: string;
  /** False when the fault could not be injected (no Chromium to kill, the sandbox refused): not judged. */
  injected: boolean;
}

/** The runner's per-target cycle line (src/runner/scheduler.ts). */
const CYCLE_LINE = / cycle (\d+) (\S+): (\d+)\/(\d+) passed(?: \((\d+) flaky\))?, (\d+) failed(?:, (\d+) aborted)? in (\d+) ms/;
/** A cycle that ran past its ticks. */
const SKIPPED_LINE = / cycle (\d+) took (\d+) ms, longer than (\d+) ms: (\d+) cycle\(s\) skipped/;
/** A cycle whose target run threw (a runner bug by the runner's own account). */
const RUNNER_ERROR_LINE = / cycle (\d+) (\S+): runner error \((.*)\)/;

export type LogEvent =
  | { type: 'cycle'; cycle: number; target: string; passed: number; total: number; flaky: number; failed: number; aborted: number; ms: number }
  | { type: 'skipped'; cycle: number; tookMs: number; skipped: number }
  | { type: 'runner-error'; cycle: number; target: string; message: string };

export function parseLogLine(line: string): LogEvent | undefined {
  let m = CYCLE_LINE.exec(line);
  if (m) {
    return {
      type: 'cycle', cycle: Number(m[1]), target: m[2]!, passed: Number(m[3]), total: Number(m[4]), flaky: Number(m[5] ?? 0),
      failed: Number(m[6]), aborted: Number(m[7] ?? 0), ms: Number(m[8]),
    };
  }
  m = SKIPPED_LINE.exec(line);
  if (m) return { type: 'skipped', cycle: Number(m[1]), tookMs: Number(m[2]), skipped: Number(m[4]) };
  m = RUNNER_ERROR_LINE.exec(line);
  if (m) return { type: 'runner-error', cycle: Number(m[1]), target: m[2]!, message: m[3]! };
  return undefined;
}

export interface FalseFailure {
  journey: string;
  device: string;
  target: string;
  attempt: number;
  /** The journey's outcome: `flaky` (a retry passed) or `failed`. */
  outcome: string;
  startedAt: string;
  durationMs: number;
  reason: string;
  /** Every fault the attempt overlapped (kind and class), none of them a target fault on its journey. */
  overlapping: Array<Pick<FaultRecord, 'kind' | 'class' | 'startMs'>>;
}

export interface FaultVerdict {
  fault: FaultRecord;
  /** detected: an affected journey failed during it; missed: a whole affected attempt ran inside it and none failed; unjudged: none ran wholly inside. */
  verdict: 'detected' | 'missed' | 'unjudged' | 'not a target fault' | 'not injected';
  /** Attempts of affected journeys that ran wholly inside the fault, with their status. */
  inside: Array<{ journey: string; device: string; status: string; startedAt: string; reason?: string }>;
  /** Attempts of affected journeys the runner aborted while the fault was on: they could not see it. */
  abortedDuring: number;
}

export interface Classification {
  falseFailures: FalseFailure[];
  faults: FaultVerdict[];
  missed: FaultVerdict[];
  attempts: { passed: number; failed: number; aborted: number; abortedBy: Record<string, number> };
  outcomes: Record<string, number>;
}

interface Span { from: number; to: number }
const spanOf = (a: { startedAt: string; durationMs: number }): Span => {
  const from = Date.parse(a.startedAt);
  return { from, to: from + a.durationMs };
};
const overlaps = (a: Span, b: Span) => a.from <= b.to && b.from <= a.to;

/**
 * Judges every attempt in the store against the timeline. A failed attempt is a false failure
 * unless a target fault on its target that affects its journey was on at some point of it
 * (widened by `graceMs` each side: the sandbox takes a fault a moment before it answers, and a
 * delayed answer lands a moment after the clear). A flaky journey whose failed attempt overlapped
 * only runner faults is therefore one too. A target fault is missed when a whole attempt of an
 * affected journey on its target ran inside it (an aborted one too, unless it never started) and
 * no affected attempt overlapping it failed.
 */
export function classify(lines: readonly JourneyLine[], timeline: readonly FaultRecord[], graceMs: number): Classification {
  const falseFailures: FalseFailure[] = [];
  const attempts = { passed: 0, failed: 0, aborted: 0, abortedBy: {} as Record<string, number> };
  const outcomes: Record<string, number> = {};
  const widened = (f: FaultRecord): Span => ({ from: f.startMs - graceMs, to: f.endMs + graceMs });
  const injected = timeline.filter((f) => f.injected);
  for (const line of lines) {
    outcomes[line.outcome] = (outcomes[line.outcome] ?? 0) + 1;
    for (const a of line.attempts) {
      attempts[a.status] += 1;
      if (a.status === 'aborted') attempts.abortedBy[a.abortedBy ?? 'unknown'] = (attempts.abortedBy[a.abortedBy ?? 'unknown'] ?? 0) + 1;
      if (a.status !== 'failed') continue;
      const span = spanOf(a);
      const overlapping = injected.filter((f) => overlaps(span, widened(f)));
      const explained = overlapping.some((f) => f.class === 'target' && f.target === line.target && f.affects.includes(line.journey));
      if (explained) continue;
      falseFailures.push({
        journey: line.journey, device: line.device, target: line.target, attempt: a.attempt, outcome: line.outcome,
        startedAt: a.startedAt, durationMs: a.durationMs, reason: a.reason ?? '(no reason)',
        overlapping: overlapping.map((f) => ({ kind: f.kind, class: f.class, startMs: f.startMs })),
      });
    }
  }
  const faults = timeline.map((fault) => judgeFault(fault, lines, graceMs));
  return { falseFailures, faults, missed: faults.filter((f) => f.verdict === 'missed'), attempts, outcomes };
}

const ran = (a: { status: string; durationMs: number }) => a.status !== 'aborted' || a.durationMs > 0;

function judgeFault(fault: FaultRecord, lines: readonly JourneyLine[], graceMs: number): FaultVerdict {
  if (fault.class !== 'target') return { fault, verdict: 'not a target fault', inside: [], abortedDuring: 0 };
  if (!fault.injected) return { fault, verdict: 'not injected', inside: [], abortedDuring: 0 };
  const affected = lines.filter((l) => l.target === fault.target && fault.affects.includes(l.journey));
  const whole: Span = { from: fault.startMs, to: fault.endMs };
  const around: Span = { from: fault.startMs - graceMs, to: fault.endMs + graceMs };
  const inside = affected.flatMap((l) => l.attempts
    // Every attempt that ran counts, aborted ones too: an attempt that spent the fault on the
    // faulted page and was then called the runner's own trouble saw the fault and hid it. One
    // that never started (aborted, 0 ms: no slot, no time) saw nothing.
    .filter((a) => ran(a) && spanOf(a).from >= whole.from && spanOf(a).to <= whole.to)
    .map((a) => ({ journey: l.journey, device: l.device, status: a.abortedBy ? `${a.status} (${a.abortedBy})` : a.status, startedAt: a.startedAt, reason: a.reason })));
  const during = affected.flatMap((l) => l.attempts.filter((a) => overlaps(spanOf(a), around)));
  const failedDuring = during.some((a) => a.status === 'failed');
  const verdict = failedDuring ? 'detected' : inside.length > 0 ? 'missed' : 'unjudged';
  return { fault, verdict, inside, abortedDuring: during.filter((a) => a.status === 'aborted').length };
}

/** min, max, first and last of a series: what a soak's table shows per measure. */
export function spread(values: readonly number[]): { min: number; max: number; first: number; last: number } | undefined {
  if (values.length === 0) return undefined;
  return { min: Math.min(...values), max: Math.max(...values), first: values[0]!, last: values.at(-1)! };
}

export interface JourneyCoverage {
  target: string; journey: string; device: string; passed: number; flaky: number; failed: number; aborted: number;
  /** The longest run of consecutive aborted runs: while it lasts the journey is blind, whatever the target does. */
  longestAborted: { runs: number; from: string; to: string; lastReason: string } | undefined;
}

/** Outcomes per target × journey × device: a journey the runner keeps aborting cannot see a fault. */
export function coverage(lines: readonly JourneyLine[]): JourneyCoverage[] {
  const groups = new Map<string, JourneyLine[]>();
  for (const l of lines) {
    const key = `${l.target}\u0000${l.journey}\u0000${l.device}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const rows = [...groups.values()].map((runs) => {
    const { target, journey, device } = runs[0]!;
    const row: JourneyCoverage = { target, journey, device, passed: 0, flaky: 0, failed: 0, aborted: 0, longestAborted: undefined };
    let streak: JourneyLine[] = [];
    for (const run of [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
      row[run.outcome] += 1;
      streak = run.outcome === 'aborted' ? [...streak, run] : [];
      if (streak.length > 0 && streak.length > (row.longestAborted?.runs ?? 0)) {
        row.longestAborted = { runs: streak.length, from: streak[0]!.startedAt, to: run.startedAt, lastReason: run.reason ?? '' };
      }
    }
    return row;
  });
  return rows.sort((a, b) => a.target.localeCompare(b.target) || a.journey.localeCompare(b.journey) || a.device.localeCompare(b.device));
}
