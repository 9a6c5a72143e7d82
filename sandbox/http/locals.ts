// What the sandbox's middleware leaves on res.locals for the handlers after it.
import type { User } from '../model.ts';
import type { Session } from '../sessions.ts';

export interface Principal {
  user: User;
  via: 'bearer' | 'session';
  session?: Session;
}

declare global {
  namespace Express {
    interface Locals {
      requestId: string;
      /** Set by the auth middleware on /api and by the UI's session lookup. */
      principal?: Principal;
      /** The request carried e2e=1: serve it, but keep it out of analytics and mark what it creates. */
      synthetic: boolean;
      /** Faults already applied to this request, so a second gate does not apply them twice. */
      faultsApplied?: boolean;
    }
  }
}

export {};
