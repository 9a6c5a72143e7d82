import { test } from '../fixtures/test.ts';
import { selectJourneys } from '../journeys/index.ts';

for (const journey of selectJourneys('api')) {
  test(journey.id, { tag: [`@${journey.cohort}`] }, async ({ runApiJourney }) => {
    await runApiJourney(journey);
  });
}
