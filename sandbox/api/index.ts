import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { jsonErrorHandler, notFound } from '../http/errors.ts';
import { applicationRoutes } from './applications.ts';
import { authRoutes } from './auth.ts';
import { makeChain } from './chain.ts';
import { flagRoutes } from './flags.ts';
import { paymentRoutes } from './payments.ts';
import { providerRoutes } from './provider.ts';
import { savedRoutes } from './saved.ts';
import { scholarshipRoutes } from './scholarships.ts';

/** Everything under /api: JSON only, errors in the contract's shape. */
export function apiRouter(deps: Deps): Router {
  const r = Router();
  const on = makeChain(deps);
  authRoutes(r, deps, on);
  scholarshipRoutes(r, deps, on);
  savedRoutes(r, deps, on);
  applicationRoutes(r, deps, on);
  providerRoutes(r, deps, on);
  paymentRoutes(r, deps, on);
  flagRoutes(r, deps, on);
  // Unknown paths still pass the gate and the guard: a prefix fault hits them,
  // and the quota account gets its 429 whatever it calls.
  r.use(...on('public'), () => {
    throw notFound('Endpoint');
  });
  r.use(jsonErrorHandler);
  return r;
}
