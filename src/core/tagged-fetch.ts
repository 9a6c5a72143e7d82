import { SyntheticIds } from './ids.ts';
import { tagRequest } from './tagging.ts';

/**
 * A fetch for the suite's own probes (/health for build labels, the sandbox's expired token):
 * tagged like every other request the suite makes, so none escapes the e2e marking. Bounded as a
 * whole (connect, headers and body) by `timeoutMs`.
 */
export function taggedFetchWith(url: string, ids: SyntheticIds, init: RequestInit = {}, timeoutMs = 5000): { response: Promise<Response>; syntheticId: string } {
  const tagged = tagRequest(url, ids);
  const response = fetch(tagged.url, { ...init, signal: AbortSignal.timeout(Math.max(1, Math.round(timeoutMs))), headers: { ...init.headers, ...tagged.headers } });
  return { response, syntheticId: tagged.syntheticId };
}

export function taggedFetch(url: string, init: RequestInit = {}, timeoutMs = 5000): Promise<Response> {
  return taggedFetchWith(url, new SyntheticIds(), init, timeoutMs).response;
}
