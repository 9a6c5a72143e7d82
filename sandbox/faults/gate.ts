import type { RequestHandler, Response } from 'express';
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
    if (active.trickleMs > 0) trickleBody(res, active.trickleMs);
    const proceed = () => {
      if (active.status === undefined) return next();
      if (active.status === 429 || active.status === 503) res.setHeader('retry-after', '1');
      sendError(res, active.status, 'injected_fault', `Fault injected by the sandbox (${active.ids.join(', ')})`);
    };
    if (active.latencyMs > 0) setTimeout(proceed, active.latencyMs);
    else proceed();
  };
}

/** A trickled body goes out in at most this many pieces: a slow link, not a timer per byte. */
const TRICKLE_MAX_CHUNKS = 50;
const TRICKLE_CHUNK_BYTES = 64;

/**
 * Makes the response's body arrive slowly: the headers (and the first piece) go out at once, the
 * rest in small pieces spread evenly over `trickleMs`, then the end. What a congested or
 * throttled link looks like to a client: time to first byte is fine, the download is not.
 * Works on bodies sent whole (`res.send`/`res.json`/`res.end(body)`, every sandbox route); a
 * client that goes away stops the trickle.
 */
function trickleBody(res: Response, trickleMs: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = function trickledEnd(this: Response, ...args: unknown[]) {
    const [chunk, encoding] = args;
    const done = args.find((a) => typeof a === 'function');
    const body = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : chunk instanceof Uint8Array ? Buffer.from(chunk) : Buffer.alloc(0);
    if (body.length === 0) return end(...args);
    const pieces = Math.min(TRICKLE_MAX_CHUNKS, Math.ceil(body.length / TRICKLE_CHUNK_BYTES));
    const size = Math.ceil(body.length / pieces);
    const stepMs = trickleMs / pieces;
    const timers: NodeJS.Timeout[] = [];
    res.once('close', () => timers.forEach(clearTimeout));
    for (let i = 0; i < pieces; i++) {
      const piece = body.subarray(i * size, (i + 1) * size);
      if (i === 0) res.write(piece);
      else timers.push(setTimeout(() => res.write(piece), i * stepMs));
    }
    timers.push(setTimeout(() => (done ? end(done) : end()), trickleMs));
    return res;
  } as typeof res.end;
}
