import type { SuiteConfig } from '../config/load.ts';

/** The calls a user waits on in the main flow: held to the critical budget (150 ms by default). */
const CRITICAL = new Set([
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

/** Latency budget in ms of one call: per-route override, else critical, page or default. */
export function budgetFor(budgets: SuiteConfig['budgets'], method: string, route: string, isPage = false): number {
  const key = `${method.toUpperCase()} ${route}`;
  return budgets.overrides[key] ?? (isPage ? budgets.pageMs : CRITICAL.has(key) ? budgets.criticalMs : budgets.defaultMs);
}
