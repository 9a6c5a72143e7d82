// The decision routes' query parameters, checked: each mistake is one sentence naming the parameter and the fix.
import { FLAGGER_HOOKS, flaggerPayloadOf } from './flagger-step.ts';
import { PHASE_PERCENTS } from './runbook.ts';

const PHASES = PHASE_PERCENTS;
const PROFILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A `since` this far ahead of the gate's clock is a mistake, not skew. */
const MAX_SINCE_SKEW_MS = 60_000;

export function phaseProblem(url: URL, path: string, current: boolean): string | undefined {
  const given = url.searchParams.getAll('phase');
  const allowed = current ? [...PHASES, 'current'] : PHASES;
  const fix = `call ${path}?phase=25 (one of ${allowed.join(', ')})`;
  if (given.length === 0) return `query parameter "phase" is missing: ${fix}`;
  if (given.length > 1) return `query parameter "phase" is given ${given.length} times: give it once, ${fix}`;
  const value = given[0]!;
  if (!allowed.some((p) => String(p) === value)) {
    const shown = JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}...` : value);
    return `query parameter "phase" must be one of ${allowed.join(', ')}, got ${shown}: ${fix}`;
  }
  return undefined;
}

export function profileProblem(url: URL): string | undefined {
  const given = url.searchParams.getAll('profile');
  if (given.length > 1) return `query parameter "profile" is given ${given.length} times: give it once or leave it out`;
  const value = given[0];
  if (value === undefined || value === '' || PROFILE_PATTERN.test(value)) return undefined;
  return 'query parameter "profile" must be a runbook profile name (letters, digits, ".", "_", "-", up to 64): leave it out for the default profile';
}

/** `since` as ISO 8601 or epoch seconds; a sentence when it is not one, or in the future. */
export function sinceOf(text: string, now = Date.now()): number | string {
  const fix = 'give when the phase began, as ISO 8601 (2026-12-03T10:00:00Z) or epoch seconds';
  const at = /^\d{9,11}(\.\d+)?$/.test(text) ? Number(text) * 1000 : /^\d{4}-\d\d-\d\dT/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(at)) return `"since" ${JSON.stringify(text.slice(0, 40))} is not a time: ${fix}`;
  if (at > now + MAX_SINCE_SKEW_MS) return `"since" ${new Date(at).toISOString()} is in the future: ${fix}`;
  return at;
}

/** `since` from the query, else from Flagger's `metadata.since`; a sentence when it is wrong. */
export function sinceProblem(url: URL, body: string | undefined): { since?: number; problem?: string } {
  const given = url.searchParams.getAll('since');
  if (given.length > 1) return { problem: `query parameter "since" is given ${given.length} times: give it once or leave it out` };
  let text = given[0];
  if (text === undefined && body) {
    const payload = flaggerPayloadOf(body);
    const since = typeof payload === 'object' ? payload.metadata.since : undefined;
    if (typeof since === 'string' && since !== '') text = since;
  }
  if (text === undefined || text === '') return {};
  const at = sinceOf(text);
  return typeof at === 'number' ? { since: at } : { problem: at };
}

/** `hook`: which Flagger hook calls `phase=current` (default confirm-traffic-increase). */
export function hookProblem(url: URL): string | undefined {
  const given = url.searchParams.getAll('hook');
  if (given.length === 0) return undefined;
  if (given.length > 1 || !FLAGGER_HOOKS.includes(given[0] as (typeof FLAGGER_HOOKS)[number])) {
    return `query parameter "hook" must be given once, one of ${FLAGGER_HOOKS.join(', ')} (the Flagger webhook type that calls): leave it out for confirm-traffic-increase`;
  }
  return undefined;
}
