import { CANARY_USER_AGENT, SyntheticIds, withE2e } from './ids.ts';

/**
 * A fetch for the suite's own set-up probes (/health for build labels, the sandbox's expired
 * token): tagged like every other request the suite makes, so none escapes the e2e marking.
 */
export async function taggedFetch(url: string, init: RequestInit = {}, timeoutMs = 5000): Promise<Response> {
  const { syntheticId, traceparent } = new SyntheticIds().next();
  return fetch(withE2e(url), {
    ...init,
    signal: AbortSignal.timeout(timeoutMs),
    headers: { 'user-agent': CANARY_USER_AGENT, 'x-synthetic-id': syntheticId, traceparent, ...init.headers },
  });
}
