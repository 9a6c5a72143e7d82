import type { Journey } from '../../journeys/journey.ts';
import type { JourneyResult } from '../core/records.ts';
import type { WarmSession } from './execute.ts';
import { executeJourney } from './execute.ts';

/** The journeys of one cycle against one target: API journeys once, browser journeys per device. */
export async function runCycle(session: WarmSession, journeys: Journey[]): Promise<JourneyResult[]> {
  const results: JourneyResult[] = [];
  for (const journey of journeys) {
    if (journey.kind === 'api') {
      results.push(await executeJourney(journey, session));
    } else {
      for (const device of session.config.devices) results.push(await executeJourney(journey, session, device));
    }
  }
  return results;
}
