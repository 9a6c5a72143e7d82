import auth from './auth.journey.ts';
import b2cApi from './b2c-api.journey.ts';
import b2cBrowser from './b2c-browser.journey.ts';
import guardrail from './guardrail.journey.ts';
import health from './health.journey.ts';
import negative from './negative.journey.ts';
import paymentsApi from './payments-api.journey.ts';
import paymentsBrowser from './payments-browser.journey.ts';
import providerApi from './provider-api.journey.ts';
import providerBrowser from './provider-browser.journey.ts';
import type { Journey } from './journey.ts';

/** Every journey, in the order a cycle runs them: cheap liveness first, browsers last. */
export const JOURNEYS: Journey[] = [
  health, guardrail, b2cApi, auth, providerApi, paymentsApi, negative,
  b2cBrowser, providerBrowser, paymentsBrowser,
];

export type Project = 'api' | 'browser' | 'all';

export function selectJourneys(project: Project = 'all', ids: string[] = []): Journey[] {
  return JOURNEYS.filter(
    (j) => (project === 'all' || j.kind === project) && (ids.length === 0 || ids.includes(j.id)),
  );
}
