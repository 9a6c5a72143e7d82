import type { Router } from 'express';
import { currentUser } from '../auth.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../http/errors.ts';
import { string, validate } from '../http/validate.ts';
import type { Chain } from './chain.ts';
import { savedView } from './views.ts';
import { param } from '../http/params.ts';

export function savedRoutes(r: Router, deps: Deps, on: Chain): void {
  // Saving twice is not an error: the second call answers 200 with the same item.
  r.post('/saved', ...on('student'), (req, res) => {
    const { scholarshipId } = validate<{ scholarshipId: string }>(req.body, {
      scholarshipId: string({ minLength: 1 }),
    });
    if (!deps.store.activeScholarship(scholarshipId)) throw notFound('Scholarship');
    const user = currentUser(res);
    const { item, created } = deps.store.save(user.id, scholarshipId, res.locals.synthetic);
    if (created) deps.analytics.record('saves', res.locals.synthetic);
    res.status(created ? 201 : 200).json(savedView(item));
  });

  r.delete('/saved/:scholarshipId', ...on('student'), (req, res) => {
    deps.store.unsave(currentUser(res).id, param(req, 'scholarshipId'));
    res.status(204).end();
  });
}
