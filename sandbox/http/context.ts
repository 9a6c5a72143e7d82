import type { RequestHandler } from 'express';
import { randomId } from '../ids.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// A caller's own x-request-id is kept (so its logs and ours line up) when it
// is a plain token; anything else is replaced rather than reflected.
export const requestContext: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomId('req');
  res.locals.requestId = requestId;
  res.setHeader('x-request-id', requestId);
  const syntheticId = req.get('x-synthetic-id');
  if (syntheticId) res.setHeader('x-synthetic-id', syntheticId);
  res.locals.synthetic = isE2e(req.query.e2e);
  // Server-Timing: the time the app held the request (injected latency included), set as the
  // headers go out, so a client can tell its own time from the server's.
  const started = performance.now();
  const writeHead = res.writeHead;
  res.writeHead = function (this: typeof res, ...args: Parameters<typeof writeHead>) {
    if (!res.headersSent) res.setHeader('server-timing', `app;dur=${(performance.now() - started).toFixed(1)}`);
    return writeHead.apply(this, args);
  } as typeof writeHead;
  next();
};

export function isE2e(value: unknown): boolean {
  return value === '1' || (Array.isArray(value) && value.includes('1'));
}
