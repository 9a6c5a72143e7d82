import type { Router } from 'express';
import { currentUser } from '../auth.ts';
import type { Deps } from '../deps.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { integer, plainObject, string, validate } from '../http/validate.ts';
import type { Chain } from './chain.ts';
import { applicationView, createdApplicationView } from './views.ts';
import { param } from '../http/params.ts';

export function applicationRoutes(r: Router, deps: Deps, on: Chain): void {
  r.post('/applications', ...on('student'), (req, res) => {
    const { scholarshipId } = validate<{ scholarshipId: string }>(req.body, {
      scholarshipId: string({ minLength: 1 }),
    });
    if (!deps.store.activeScholarship(scholarshipId)) throw notFound('Scholarship');
    const application = deps.store.createApplication(
      currentUser(res).id,
      scholarshipId,
      res.locals.synthetic,
    );
    deps.analytics.record('applications', res.locals.synthetic);
    res.status(201).json(createdApplicationView(application));
  });

  r.get('/applications/:id', ...on('student'), (req, res) => {
    const application = deps.store.ownApplication(currentUser(res).id, param(req, 'id'));
    if (!application) throw notFound('Application');
    res.json(applicationView(application));
  });

  // Optimistic concurrency: the client says which version it edited; a stale
  // version means another tab saved first, and overwriting it would lose work.
  r.put('/applications/:id/draft', ...on('student'), (req, res) => {
    const body = validate<{ version: number; fields: Record<string, unknown> }>(req.body, {
      version: integer({ min: 0 }),
      fields: plainObject(),
    });
    const application = deps.store.ownApplication(currentUser(res).id, param(req, 'id'));
    if (!application) throw notFound('Application');
    if (body.version !== application.draft.version) {
      throw new ApiError(
        409,
        'version_conflict',
        `Draft is at version ${application.draft.version}, not ${body.version}`,
      );
    }
    application.draft = {
      version: application.draft.version + 1,
      fields: { ...body.fields },
      savedAt: new Date().toISOString(),
    };
    res.json({ id: application.id, version: application.draft.version, savedAt: application.draft.savedAt });
  });

  r.delete('/applications/:id', ...on('student'), (req, res) => {
    const application = deps.store.ownApplication(currentUser(res).id, param(req, 'id'));
    if (!application) throw notFound('Application');
    deps.store.applications.delete(application.id);
    res.status(204).end();
  });
}
