import { test } from '../fixtures/test.ts';
import { selectJourneys } from '../journeys/index.ts';
import type { BrowserJourney } from '../journeys/journey.ts';

for (const journey of selectJourneys('browser') as BrowserJourney[]) {
  test(journey.id, { tag: [`@${journey.cohort}`] }, async ({ runBrowserJourney }) => {
    await runBrowserJourney(journey);
  });
}
