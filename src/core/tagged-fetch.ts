import { SyntheticIds } from './ids.ts';
import { tagRequest } from './tagging.ts';

/**
 * A fetch for the suite's own set-up probes (/health for build labels, the sandbox's expired
 * token): tagged like every other request the suite makes, so none escapes the e2e marking.
 */
export async function taggedFetch(url: string, init: RequestInit = {}, timeoutMs = 5000): Promise<Response> {
  const tagged = tagRequest(url, new SyntheticIds());
  return fetch(tagged.url, { ...init, signal: AbortSignal.timeout(timeoutMs), headers: { ...init.headers, ...tagged.headers } });
}
