import type { RequestHandler } from 'express';
import { sendError } from '../http/errors.ts';
import { applyDrift } from './drift.ts';
import type { FaultRegistry } from './registry.ts';

// Put in front of each route's handler, so an injected failure is measured
// under the route's own pattern, exactly like a failure of the handler itself.
export function faultGate(faults: FaultRegistry): RequestHandler {
  return (req, res, next) => {
    if (res.locals.faultsApplied) return next();
    res.locals.faultsApplied = true;
    const active = faults.take(req.method, req.originalUrl.split('?')[0]);
    if (!active) return next();
    res.setHeader('x-sandbox-faults', active.ids.join(','));

    // An injected error keeps the contract's error body intact; drift is for successes.
    if (active.drift.length > 0 && active.status === undefined) {
      const json = res.json.bind(res);
      res.json = (body: unknown) => json(applyDrift(body, active.drift));
    }
    const proceed = () => {
      if (active.status === undefined) return next();
      if (active.status === 429 || active.status === 503) res.setHeader('retry-after', '1');
      sendError(res, active.status, 'injected_fault', `Fault injected by the sandbox (${active.ids.join(', ')})`);
    };
    if (active.latencyMs > 0) setTimeout(proceed, active.latencyMs);
    else proceed();
  };
}
