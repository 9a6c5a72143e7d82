import type { SuiteConfig } from '../config/load.ts';
import { scrubber } from '../core/scrub.ts';
import { taggedFetch } from '../core/tagged-fetch.ts';
import type { Target } from '../core/target.ts';

export interface TargetSpec {
  name: string;
  baseUrl: string;
  /** True for the embedded or a known reference sandbox: its documented accounts apply. */
  sandbox?: boolean;
  /** The `canary` label; default: the target is named "canary" (or is TARGET_NAME with CANARY=true). */
  canary?: boolean;
}

async function probeJson<T>(url: string): Promise<T | undefined> {
  try {
    const res = await taggedFetch(url);
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Everything a journey needs about one target. Labels the environment does not give come from the
 * target itself (/health's buildId and gitSha), so a canary reports the build it really serves.
 */
export async function resolveTarget(config: SuiteConfig, spec: TargetSpec): Promise<Target> {
  let accounts = config.accounts;
  if (spec.sandbox) {
    const { resolveAccounts } = await import('../../sandbox/defaults.ts');
    accounts = resolveAccounts(process.env);
  }
  let expiredToken = config.expiredToken;
  if (!expiredToken) {
    // Only a sandbox answers this; a real deployment supplies SYNTH_EXPIRED_TOKEN.
    expiredToken = (await probeJson<{ token?: string }>(`${spec.baseUrl}/__sandbox/expired-token`))?.token;
    scrubber.addSecret(expiredToken, true);
  }
  for (const a of Object.values(accounts)) scrubber.addSecret(a?.password, true);
  const health = config.buildId && config.gitSha
    ? undefined
    : await probeJson<{ buildId?: unknown; gitSha?: unknown }>(`${spec.baseUrl}/health`);
  const label = (v: unknown) => (typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? v : 'unknown');
  return {
    name: spec.name,
    baseUrl: spec.baseUrl,
    canary: spec.canary ?? (spec.name === 'canary' || (spec.name === config.targetName && config.canary)),
    accounts,
    expiredToken,
    buildId: config.buildId ?? label(health?.buildId),
    gitSha: config.gitSha ?? label(health?.gitSha),
  };
}
