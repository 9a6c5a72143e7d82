import type { Request } from 'express';

export const UNMATCHED = 'unmatched';

const captured = Symbol('health.routePattern');

type Tracked = Request & { [captured]?: string };

// Express assigns req.route when a route matches, while req.baseUrl still
// holds the mount path. Reading both later (on 'finish') is unreliable: a
// router restores baseUrl when an error leaves it, so a 500 thrown under
// /api would be labelled without its prefix. Capturing at assignment time
// gives the full pattern whatever happens afterwards.
export function trackRoutePattern(req: Request): void {
  let route: unknown = (req as { route?: unknown }).route;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      route = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (typeof path === 'string') (req as Tracked)[captured] = joinPath(req.baseUrl, path);
    },
  });
}

// Never a raw path: an unmatched request would otherwise mint one label per URL.
export function routeLabel(req: Request): string {
  return (req as Tracked)[captured] ?? UNMATCHED;
}

function joinPath(base: string, path: string): string {
  if (!base) return path;
  if (path === '/') return base;
  return base + path;
}
