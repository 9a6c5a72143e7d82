// The sandbox's own control surface, for tests: faults, the request log,
// analytics counters, expired tokens, readiness switches. Mounted before the
// health middleware and the request log, so driving the sandbox never shows
// up in what it reports about the app.
import express, { Router } from 'express';
import type { Deps } from '../deps.ts';
import { ApiError, jsonErrorHandler, notFound } from '../http/errors.ts';
import { isPlainObject } from '../http/validate.ts';
import { faultProblems, type FaultInput } from '../faults/registry.ts';
import { seededId } from '../ids.ts';

export const CONTROL_PREFIX = '/__sandbox';

export function controlRouter(deps: Deps): Router {
  const r = Router();
  r.use(express.json({ limit: '100kb' }));

  r.get('/faults', (_req, res) => {
    res.json(deps.faults.list());
  });
  r.post('/faults', (req, res) => {
    const problems = faultProblems(req.body);
    if (problems.length > 0) {
      throw new ApiError(400, 'invalid_request', `Invalid fault: ${problems.join('; ')}`);
    }
    deps.faults.add(req.body as FaultInput);
    res.status(201).json(deps.faults.list());
  });
  r.delete('/faults', (_req, res) => {
    deps.faults.clear();
    res.status(204).end();
  });

  r.get('/requests', (_req, res) => {
    res.json(deps.requestLog.list());
  });
  r.delete('/requests', (_req, res) => {
    deps.requestLog.clear();
    res.status(204).end();
  });

  r.get('/analytics', (_req, res) => {
    res.json(deps.analytics.snapshot());
  });
  r.delete('/analytics', (_req, res) => {
    deps.analytics.reset();
    res.status(204).end();
  });

  // Correctly signed but already expired: what SYNTH_EXPIRED_TOKEN holds in a real setup.
  r.get('/expired-token', (_req, res) => {
    res.json({ token: deps.tokens.signAccess(seededId('usr', 'student'), 'student', -60) });
  });
  r.get('/expired-refresh-token', (_req, res) => {
    res.json({ refreshToken: deps.tokens.issueRefresh(seededId('usr', 'student'), -60) });
  });

  r.get('/ready', (_req, res) => {
    res.json({ checks: { ...deps.readiness } });
  });
  r.post('/ready', (req, res) => {
    const checks = isPlainObject(req.body) ? req.body.checks : undefined;
    const problems: string[] = [];
    if (!isPlainObject(checks)) problems.push('"checks" must be an object of check name to boolean');
    else {
      for (const [name, value] of Object.entries(checks)) {
        if (!(name in deps.readiness)) {
          problems.push(`"${name}" is not a check (known: ${Object.keys(deps.readiness).join(', ')})`);
        } else if (typeof value !== 'boolean') problems.push(`"${name}" must be true or false`);
      }
    }
    if (problems.length > 0) throw new ApiError(400, 'invalid_request', problems.join('; '));
    Object.assign(deps.readiness, checks);
    res.json({ checks: { ...deps.readiness } });
  });

  // Which records are marked synthetic, without secrets: proves e2e=1 tagging.
  r.get('/state', (_req, res) => {
    const { store } = deps;
    res.json({
      users: [...store.users.values()].map((u) => ({ id: u.id, email: u.email, role: u.role, synthetic: u.synthetic })),
      saved: [...store.saved.values()].map((s) => ({ id: s.id, scholarshipId: s.scholarshipId, synthetic: s.synthetic })),
      applications: [...store.applications.values()].map((a) => ({
        id: a.id,
        scholarshipId: a.scholarshipId,
        synthetic: a.synthetic,
      })),
      checkouts: [...store.checkouts.values()].map((c) => ({ id: c.id, status: c.status, synthetic: c.synthetic })),
    });
  });

  // Everything secret the sandbox handed out (access tokens are JWTs and found by pattern):
  // a test greps every file a run wrote for these. Only the sandbox has this, never the middleware.
  r.get('/issued-secrets', (_req, res) => {
    const { store } = deps;
    res.json({
      refreshTokens: deps.tokens.refreshTokens(),
      sessionSecrets: deps.sessions.secrets(),
      checkoutSecrets: [...store.checkouts.values()].flatMap((c) => [c.nonce, c.clientToken]),
      emails: [...store.users.values()].map((u) => u.email),
    });
  });

  r.use(() => {
    throw notFound('Sandbox control endpoint');
  });
  r.use(jsonErrorHandler);
  return r;
}
