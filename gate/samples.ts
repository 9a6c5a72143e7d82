import { readLines, timeOf as isoTimeOf, type CallLine, type JourneyLine } from '../reporters/results-store/index.ts';

/** What one side (canary or control) did in a window: its call and journey lines, oldest first. */
export interface Side {
  calls: CallLine[];
  journeys: JourneyLine[];
  /** The build the side served at the window's end (its newest journey line). */
  build?: string;
  /** Per target: the last journey line's time (a runner's last cycle against it). */
  lastSeen: Map<string, number>;
}

export interface WindowSamples {
  from: number;
  to: number;
  canary: Side;
  control: Side;
}

const emptySide = (): Side => ({ calls: [], journeys: [], lastSeen: new Map() });
/** When a line happened, in epoch ms (the store says when, as ISO text). */
const timeOf = (line: CallLine | JourneyLine) => Date.parse(isoTimeOf(line));

/**
 * The window's lines from the results store, split into canary and control by the `canary` label.
 * The canary side keeps only its current build: a new canary build starts its own evidence.
 * Probe calls (the runner's own) and retries are kept; each metric picks what it reads.
 */
export async function readWindow(dir: string, from: number, to: number): Promise<WindowSamples> {
  const canary = emptySide();
  const control = emptySide();
  for await (const line of readLines(dir, { since: new Date(from), until: new Date(to) })) {
    const side = line.canary === 'true' ? canary : control;
    if (line.type === 'journey') {
      side.journeys.push(line);
      side.lastSeen.set(line.target, Math.max(side.lastSeen.get(line.target) ?? 0, timeOf(line) + line.durationMs));
    } else {
      side.calls.push(line);
    }
  }
  for (const side of [canary, control]) {
    side.journeys.sort((a, b) => timeOf(a) - timeOf(b));
    side.calls.sort((a, b) => timeOf(a) - timeOf(b));
    side.build = side.journeys.at(-1)?.build_id;
  }
  if (canary.build) {
    canary.journeys = canary.journeys.filter((l) => l.build_id === canary.build);
    canary.calls = canary.calls.filter((l) => l.build_id === canary.build);
  }
  return { from, to, canary, control };
}

/** The lines of a side that fall in [from, to). */
export function slice(side: Side, from: number, to: number): Side {
  const inside = (l: CallLine | JourneyLine) => {
    const t = timeOf(l);
    return t >= from && t < to;
  };
  return { calls: side.calls.filter(inside), journeys: side.journeys.filter(inside), build: side.build, lastSeen: side.lastSeen };
}

