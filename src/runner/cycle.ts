import type { Journey } from '../../journeys/journey.ts';
import type { JourneyResult } from '../core/records.ts';
import { executeJourney, type CycleBounds, type WarmSession } from './execute.ts';

/** The journeys of one cycle against one target: API journeys once, browser journeys per device. */
export async function runCycle(session: WarmSession, journeys: Journey[], bounds: CycleBounds): Promise<JourneyResult[]> {
  const results: JourneyResult[] = [];
  for (const journey of journeys) {
    const devices = journey.kind === 'api' ? ['api'] : session.config.devices;
    for (const device of devices) results.push(await executeJourney(journey, session, bounds, device));
  }
  return results;
}
