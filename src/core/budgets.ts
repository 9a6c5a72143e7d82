/** Latency budgets in ms (config: CRITICAL_BUDGET_MS, DEFAULT_BUDGET_MS, PAGE_BUDGET_MS, LATENCY_BUDGETS). */
export interface Budgets {
  criticalMs: number;
  defaultMs: number;
  pageMs: number;
  /** `METHOD /route` → ms. */
  overrides: Record<string, number>;
}

/**
 * The calls a user waits on in the main flow: held to the critical budget (150 ms by default), and
 * what a runbook check scoped to `routes: critical` reads.
 */
export const CRITICAL_ROUTES: ReadonlySet<string> = new Set([
  'GET /health',
  'GET /ready',
  'GET /api/scholarships',
  'GET /api/scholarships/:id',
  'POST /api/saved',
  'POST /api/applications',
  'PUT /api/applications/:id/draft',
  'GET /api/applications/:id',
  'GET /api/me',
  'GET /api/flags',
  'GET /api/pricing',
]);

/**
 * Latency budget in ms of one call: a per-route override, else the page budget for anything a
 * browser fetched, else critical or default. A browser's own timing includes its queueing and the
 * suite's request interception, so the server-side budgets are held by the API journeys, which
 * measure the server precisely; browser journeys are held to what a user would notice.
 */
export function budgetFor(budgets: Budgets, method: string, route: string, fromBrowser = false): number {
  const key = `${method.toUpperCase()} ${route}`;
  return budgets.overrides[key] ?? (fromBrowser ? budgets.pageMs : CRITICAL_ROUTES.has(key) ? budgets.criticalMs : budgets.defaultMs);
}
