// The faults a test has switched on. A fault names what it hits (a route
// pattern or a path prefix, optionally a method) and what it does (delay,
// replace the status, drift the body, trickle the body out slowly), how often
// (rate) and how many times (count).
import { problemsOf, integer, isPlainObject, number, optional, string, type Rule } from '../http/validate.ts';
import { randomId } from '../ids.ts';
import { DRIFT_PATTERN, parseDrift, type DriftSpec } from './drift.ts';

export interface FaultInput {
  route?: string;
  method?: string;
  latencyMs?: number;
  status?: number;
  rate?: number;
  drift?: string;
  /** The body goes out in small chunks spread over this many ms (the headers at once). */
  trickleMs?: number;
  count?: number;
}

export interface Fault extends FaultInput {
  id: string;
  rate: number;
  createdAt: string;
}

export interface ActiveFaults {
  latencyMs: number;
  trickleMs: number;
  status?: number;
  drift: DriftSpec[];
  ids: string[];
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const SPEC: Record<string, Rule> = {
  route: optional(string({ pattern: /^\//, patternHint: 'must start with "/" (a route pattern or path prefix)' })),
  method: optional(string({ pattern: new RegExp(`^(${METHODS.join('|')})$`, 'i'), patternHint: `must be one of ${METHODS.join(', ')}` })),
  latencyMs: optional(integer({ min: 0, max: 60_000 })),
  status: optional(integer({ min: 400, max: 599 })),
  rate: optional(number({ min: 0, max: 1 })),
  drift: optional(string({ pattern: DRIFT_PATTERN, patternHint: 'must be "drop:<field>", "type:<field>" or "set:<field>=<text>" (dotted paths allowed)' })),
  trickleMs: optional(integer({ min: 1, max: 60_000 })),
  count: optional(integer({ min: 1 })),
};

/** Every problem with a fault body, empty when it is usable. */
export function faultProblems(body: unknown): string[] {
  if (!isPlainObject(body)) return ['the body must be a JSON object'];
  const problems = problemsOf(body, SPEC);
  for (const key of Object.keys(body)) {
    if (!(key in SPEC)) problems.push(`"${key}" is not a fault field (known: ${Object.keys(SPEC).join(', ')})`);
  }
  if (body.latencyMs === undefined && body.status === undefined && body.drift === undefined && body.trickleMs === undefined) {
    problems.push('a fault needs at least one of "latencyMs", "status", "drift" or "trickleMs"');
  }
  return problems;
}

export class FaultRegistry {
  private faults: (Fault & { matches: (path: string) => boolean; driftSpec?: DriftSpec })[] = [];

  add(input: FaultInput): Fault {
    const fault: Fault = {
      id: randomId('flt'),
      ...input,
      method: input.method?.toUpperCase(),
      rate: input.rate ?? 1,
      createdAt: new Date().toISOString(),
    };
    this.faults.push({
      ...fault,
      matches: pathMatcher(input.route),
      driftSpec: input.drift ? parseDrift(input.drift) : undefined,
    });
    return fault;
  }

  list(): Fault[] {
    return this.faults.map(({ matches: _m, driftSpec: _d, ...fault }) => fault);
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * The faults that fire for this request. Each one rolls its own rate, and a
   * counted fault that fires uses up one of its count, disappearing at zero.
   */
  take(method: string, path: string, random: () => number = Math.random): ActiveFaults | undefined {
    if (this.faults.length === 0) return undefined;
    const active: ActiveFaults = { latencyMs: 0, trickleMs: 0, drift: [], ids: [] };
    for (const fault of this.faults) {
      if (fault.method && fault.method !== method) continue;
      if (!fault.matches(path)) continue;
      if (fault.rate < 1 && random() >= fault.rate) continue;
      if (fault.count !== undefined) fault.count--;
      active.ids.push(fault.id);
      active.latencyMs += fault.latencyMs ?? 0;
      active.trickleMs += fault.trickleMs ?? 0;
      active.status ??= fault.status;
      if (fault.driftSpec) active.drift.push(fault.driftSpec);
    }
    this.faults = this.faults.filter((f) => f.count === undefined || f.count > 0);
    return active.ids.length > 0 ? active : undefined;
  }
}

// `/api/scholarships/:id` is a pattern: it matches the details route only.
// `/api/scholarships` is a prefix: it matches the list and everything below it,
// at segment boundaries (never `/api/scholarshipsX`). No route matches all.
export function pathMatcher(route: string | undefined): (path: string) => boolean {
  if (!route || route === '/') return () => true;
  if (route.split('/').some((segment) => segment.startsWith(':'))) {
    const source = route
      .replace(/\/+$/, '')
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : escapeRegExp(segment)))
      .join('/');
    const regex = new RegExp(`^${source}/?$`);
    return (path) => regex.test(path);
  }
  const prefix = route.replace(/\/+$/, '');
  return (path) => path === prefix || path.startsWith(`${prefix}/`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
