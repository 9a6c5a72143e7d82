import type { RequestHandler } from 'express';
import type { Analytics } from './analytics.ts';
import type { FaultRegistry } from './faults/registry.ts';
import type { RequestLog } from './request-log.ts';
import type { Sessions } from './sessions.ts';
import type { Store } from './store.ts';
import type { Tokens } from './tokens.ts';

/** Everything the routers share, built once per sandbox app. */
export interface Deps {
  store: Store;
  tokens: Tokens;
  sessions: Sessions;
  faults: FaultRegistry;
  analytics: Analytics;
  requestLog: RequestLog;
  /** Readiness switches flipped by POST /__sandbox/ready; each name is a /ready check. */
  readiness: Record<string, boolean>;
  /** The fault gate, first in every route's chain. */
  gate: RequestHandler;
}
