import type { Journey } from '../../journeys/journey.ts';
import type { JourneyResult } from '../core/records.ts';
import { executeJourney, type CycleBounds, type WarmSession } from './execute.ts';

/**
 * Browser journeys wait this long for the API journeys to finish before they start anyway. API
 * journeys take tens of ms; a browser launching and rendering beside them on a small machine
 * would put its CPU into their measured latencies. A hung API journey delays the browsers by this
 * much, never more.
 */
export const API_HEAD_START_MS = 1_500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Starts each of `runs` in turn, the next when the one before has finished, while they are quick;
 * once one has run `leaseMs` the target is slow, and the rest start at once, side by side, so each
 * still gets its own verdict within the cycle.
 */
export async function inLane<T>(runs: Array<() => Promise<T>>, leaseMs: number): Promise<Array<Promise<T>>> {
  const started: Array<Promise<T>> = [];
  let slow = leaseMs <= 0;
  for (const run of runs) {
    const running = run();
    started.push(running);
    if (slow) continue;
    const done = await Promise.race([running.then(() => true, () => true), sleep(leaseMs).then(() => false)]);
    slow = !done;
  }
  return started;
}

/**
 * The journeys of one cycle against one target: API journeys once, in one lane (one after
 * another while they are quick, as a user's calls come; once one outlives its lease, the rest
 * start beside it), browser journeys per device, each in one of the runner's browser slots (shared
 * fairly by every target), a different one first each cycle. Every journey is bounded by the cycle's deadline, so a hung journey costs only
 * itself. Each result is handed on as soon as it is final (`bounds.onResult`); the results come
 * back in journey order, whatever order they finished in.
 */
export async function runCycle(session: WarmSession, journeys: Journey[], bounds: CycleBounds, cycle = 0): Promise<JourneyResult[]> {
  const runs = journeys.flatMap((journey) => (journey.kind === 'api' ? ['api'] : session.config.devices).map((device) => ({ journey, device })));
  const run = ({ journey, device }: (typeof runs)[number]) => () => executeJourney(journey, session, bounds, device);
  const apiRuns = runs.filter((r) => r.journey.kind === 'api');
  // Browser journeys take turns at going first: when the slots cannot fit them all in a cycle,
  // the one left out changes every cycle instead of being the same journey for ever.
  const inOrder = runs.filter((r) => r.journey.kind === 'browser');
  const first = inOrder.length > 0 ? cycle % inOrder.length : 0;
  const browserRuns = [...inOrder.slice(first), ...inOrder.slice(0, first)];
  // A fifth of the cycle at most: on a short cycle a hung first journey must leave the rest time to run.
  const leaseMs = Math.min(session.config.concurrency.apiLeaseMs, (bounds.deadline - Date.now()) / 5);
  const apiLane = inLane(apiRuns.map(run), leaseMs);
  const apiDone = apiLane.then((started) => Promise.allSettled(started));
  const headStart = apiRuns.length > 0 && browserRuns.length > 0 ? Promise.race([apiDone, sleep(API_HEAD_START_MS)]) : Promise.resolve();
  const browser = browserRuns.map((r) => headStart.then(run(r)));
  const finished = new Map<(typeof runs)[number], Promise<JourneyResult>>();
  (await apiLane).forEach((p, i) => finished.set(apiRuns[i]!, p));
  browser.forEach((p, i) => finished.set(browserRuns[i]!, p));
  return Promise.all(runs.map((r) => finished.get(r)!));
}
