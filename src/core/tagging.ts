import type { SyntheticIds } from './ids.ts';

/**
 * How a synthetic request is marked, said once for the API client, the browser and the suite's
 * own probes: `e2e=1` on the URL (every other query parameter kept), the canary User-Agent, a
 * fresh `x-synthetic-id` and a W3C `traceparent` in the attempt's trace.
 */
export const CANARY_USER_AGENT = 'ScholarshipAI-Canary/1.0';
export const SYNTHETIC_QUERY = { name: 'e2e', value: '1' } as const;

/** Adds e2e=1 to a URL, keeping every other query parameter. */
export function withE2e(url: string | URL, base?: string): string {
  const u = new URL(url, base);
  u.searchParams.set(SYNTHETIC_QUERY.name, SYNTHETIC_QUERY.value);
  return u.toString();
}

export interface TaggedRequest {
  url: string;
  syntheticId: string;
  /** The synthetic headers only; a caller merges them over its own. */
  headers: { 'user-agent': string; 'x-synthetic-id': string; traceparent: string };
}

/** The URL and headers that mark one request as synthetic; each call takes the next id. */
export function tagRequest(url: string | URL, ids: SyntheticIds): TaggedRequest {
  const { syntheticId, traceparent } = ids.next();
  return {
    url: withE2e(url),
    syntheticId,
    headers: { 'user-agent': CANARY_USER_AGENT, 'x-synthetic-id': syntheticId, traceparent },
  };
}
