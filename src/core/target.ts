import type { Account } from '../config/load.ts';

/** One deployment under watch, with everything the journeys need to log in to it. */
export interface Target {
  name: string;
  baseUrl: string;
  canary: boolean;
  accounts: { student?: Account; provider?: Account; quota?: Account };
  expiredToken?: string;
  buildId: string;
  gitSha: string;
}
