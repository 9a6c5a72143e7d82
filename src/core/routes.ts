/**
 * Route patterns are the only path form that reaches labels, results and reasons: a raw path
 * carries ids (unbounded label values, and sometimes data).
 */

/** Every path of the contract, API and UI, as patterns. Order matters: specific before general. */
export const CONTRACT_ROUTES = [
  '/health',
  '/ready',
  '/metrics/prometheus',
  '/metrics',
  '/api/scholarships/:id',
  '/api/scholarships',
  '/api/saved/:scholarshipId',
  '/api/saved',
  '/api/applications/:id/draft',
  '/api/applications/:id',
  '/api/applications',
  '/api/auth/signup',
  '/api/auth/login',
  '/api/auth/refresh',
  '/api/auth/csrf',
  '/api/me',
  '/api/flags',
  '/api/provider/dashboard',
  '/api/pricing',
  '/api/checkout/init',
  '/api/checkout/validate',
  '/',
  '/search',
  '/scholarships/:id',
  '/login',
  '/applications/:id',
  '/provider/dashboard',
  '/pricing',
  '/checkout/:id',
] as const;

export type ContractRoute = (typeof CONTRACT_ROUTES)[number];

const compiled = CONTRACT_ROUTES.map((pattern) => ({
  pattern,
  regex: new RegExp(
    '^' + pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+') + '/?$',
  ),
}));

/** Maps a raw path seen in a browser to its contract pattern; anything else is one bucket. */
export function routePatternOf(path: string): string {
  const hit = compiled.find((r) => r.regex.test(path));
  if (hit) return hit.pattern;
  if (path.startsWith('/static/') || /\.(js|css|png|svg|ico|woff2?)$/.test(path)) return 'static';
  return 'other';
}

/** Fills `:name` placeholders; every value is URI-encoded (ids are opaque strings). */
export function fillRoute(pattern: string, params: Record<string, string> = {}): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${pattern}: missing parameter "${name}"`);
    return encodeURIComponent(value);
  });
}

/**
 * A deployment whose paths differ from the contract maps them in ROUTE_MAP
 * (`{"/api/me": "/v2/api/me"}`); journeys and labels keep the contract pattern.
 */
export function mapRoute(pattern: string, routeMap: Record<string, string>): string {
  return routeMap[pattern] ?? pattern;
}
