export interface Account {
  email: string;
  password: string;
}

/** A target as the user named it: from BASE_URL, a `--target NAME=URL` flag or the targets file. */
export interface TargetSpec {
  name: string;
  baseUrl: string;
  /** True for the embedded or a known reference sandbox: its documented accounts apply. */
  sandbox?: boolean;
  /** The `canary` label; default: the target is named "canary" (or is TARGET_NAME with CANARY=true). */
  canary?: boolean;
}

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
