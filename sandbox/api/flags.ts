import type { Router } from 'express';
import type { Deps } from '../deps.ts';
import type { Chain } from './chain.ts';

export function flagRoutes(r: Router, deps: Deps, on: Chain): void {
  r.get('/flags', ...on('public'), (_req, res) => {
    res.json({ flags: { ...deps.store.flags } });
  });
}
