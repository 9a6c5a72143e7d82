import type { Router } from 'express';
import { currentUser } from '../auth.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import type { Chain } from './chain.ts';

export interface DashboardTile {
  id: string;
  title: string;
  /** Always a number, so a check can compare it. */
  value: number;
}

export interface Dashboard {
  providerId: string;
  listings: { active: number; draft: number };
  applications: { received: number; last7d: number };
  tiles: DashboardTile[];
}

export function dashboardFor(deps: Deps, providerId: string): Dashboard {
  const stats = deps.store.providerStats(providerId);
  return {
    providerId,
    listings: { active: stats.active, draft: stats.draft },
    applications: { received: stats.received, last7d: stats.last7d },
    tiles: [
      { id: 'active-listings', title: 'Active listings', value: stats.active },
      { id: 'draft-listings', title: 'Draft listings', value: stats.draft },
      { id: 'applications-received', title: 'Applications received', value: stats.received },
      { id: 'applications-7d', title: 'Applications, last 7 days', value: stats.last7d },
      { id: 'saves', title: 'Saved by students', value: stats.saves },
    ],
  };
}

export function providerRoutes(r: Router, deps: Deps, on: Chain): void {
  r.get('/provider/dashboard', ...on('provider'), (_req, res) => {
    const providerId = currentUser(res).providerId;
    if (!providerId) throw new ApiError(403, 'forbidden', 'This account manages no provider');
    res.json(dashboardFor(deps, providerId));
  });
}
