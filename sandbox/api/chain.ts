import express, { type RequestHandler } from 'express';
import { guard, type Access } from '../auth.ts';
import type { Deps } from '../deps.ts';

/** The handlers every API route starts with: faults, then auth, then the body. */
export type Chain = (access: Access) => [RequestHandler, RequestHandler, RequestHandler];

// The body is parsed inside the route (not for the whole router) so that a
// malformed body's 400 is measured under the route's pattern.
const jsonBody = express.json({ limit: '100kb' });

export function makeChain(deps: Deps): Chain {
  return (access) => [deps.gate, guard(deps, access), jsonBody];
}
