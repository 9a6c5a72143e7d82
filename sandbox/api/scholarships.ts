import type { Router } from 'express';
import type { Deps } from '../deps.ts';
import { notFound } from '../http/errors.ts';
import type { Chain } from './chain.ts';
import { parseSearchQuery } from './query.ts';
import { scholarshipDetails, scholarshipSummary } from './views.ts';
import { param } from '../http/params.ts';

export function scholarshipRoutes(r: Router, deps: Deps, on: Chain): void {
  r.get('/scholarships', ...on('public'), (req, res) => {
    const { q, page, pageSize } = parseSearchQuery(req.query as Record<string, unknown>);
    const { items, total } = deps.store.search(q, page, pageSize);
    if (q.trim()) deps.analytics.record('searches', res.locals.synthetic);
    res.json({ items: items.map(scholarshipSummary), page, pageSize, total });
  });

  r.get('/scholarships/:id', ...on('public'), (req, res) => {
    const s = deps.store.activeScholarship(param(req, 'id'));
    if (!s) throw notFound('Scholarship');
    res.json(scholarshipDetails(s));
  });
}
