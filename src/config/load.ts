import { hostname } from 'node:os';
import { config as loadDotenv } from 'dotenv';
import { ajvProblems, inputPath } from '../core/ajv-errors.ts';
import { strictAjv } from '../core/ajv.ts';
import type { Budgets } from '../core/budgets.ts';
import { ConfigError } from '../core/errors.ts';
import { normalizeBaseUrl, toLabel } from '../core/labels.ts';
import { scrubber } from '../core/scrub.ts';
import type { Account } from '../core/target.ts';
import { CONFIG_KEYS, type ConfigKey } from './keys.ts';
import { parseDuration } from './duration.ts';

export interface SuiteConfig {
  /** Undefined: the embedded sandbox is started and targeted. */
  baseUrl?: string;
  accounts: { student?: Account; provider?: Account; quota?: Account };
  expiredToken?: string;
  searchQuery: string;
  targetName: string;
  canary: boolean;
  region: string;
  buildId?: string;
  gitSha?: string;
  devices: Array<'desktop' | 'mobile'>;
  pushgatewayUrl?: string;
  pushTimeoutMs: number;
  pushJob: string;
  runnerId: string;
  /** What a stopped long-running runner does with its Pushgateway groups. */
  stoppedGroup: 'delete' | 'mark';
  resultsDir: string;
  /** Days of results kept. */
  resultsRetentionDays: number;
  /** When browser attempts keep a screenshot and a trace, and what their screenshots mask. */
  evidence: { mode: EvidenceMode; mask: string[] };
  runIntervalMs: number;
  retry: { retries: number; minDelayMs: number; factor: number; maxDelayMs: number };
  journeyTimeoutMs: number;
  /** Browser journeys at once over all targets; how long one API journey holds up the next of its target. */
  concurrency: { browserContexts: number; apiLeaseMs: number };
  budgets: Budgets;
  routeMap: Record<string, string>;
  chromiumPath?: string;
}

export type EvidenceMode = 'off' | 'on-failure' | 'always';

type Parsed = Record<string, unknown>;

function parseValue(spec: ConfigKey, raw: string): { value?: unknown; problem?: string } {
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) return { problem: 'must be a whole number' };
      return { value: Number(raw) };
    }
    case 'number': {
      const n = Number(raw);
      return Number.isFinite(n) ? { value: n } : { problem: 'must be a number' };
    }
    case 'bool': {
      if (/^(1|true|yes|on)$/i.test(raw)) return { value: true };
      if (/^(0|false|no|off)$/i.test(raw)) return { value: false };
      return { problem: 'must be true or false' };
    }
    case 'json':
      try {
        return { value: JSON.parse(raw) };
      } catch {
        return { problem: 'must be valid JSON' };
      }
    case 'duration': {
      const d = parseDuration(raw);
      return d === undefined ? { problem: 'must be a duration like 60s, 500ms or 5m' } : { value: d };
    }
    case 'list':
      return { value: raw.split(',').map((s) => s.trim()).filter(Boolean) };
    case 'url':
      return { value: normalizeBaseUrl(raw) };
    default:
      return { value: raw };
  }
}

function describe(spec: ConfigKey, raw: string | undefined): string {
  return spec.secret || raw === undefined ? spec.key : `${spec.key}="${raw}"`;
}

let dotenvLoaded = false;

/** Reads .env once (real environment variables win), then the given environment. */
export function loadEnv(): NodeJS.ProcessEnv {
  if (!dotenvLoaded) {
    loadDotenv({ quiet: true });
    dotenvLoaded = true;
  }
  return process.env;
}

/**
 * Parses and validates every key, collecting all problems before stopping: each problem is one
 * line naming the key, what is wrong and how to fix it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = loadEnv(), overrides: Record<string, string> = {}): SuiteConfig {
  const problems: string[] = [];
  const parsed: Parsed = {};
  const rawOf = (key: string): string | undefined => {
    const v = overrides[key] ?? env[key];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  for (const spec of CONFIG_KEYS) {
    const raw = rawOf(spec.key) ?? spec.default;
    if (raw === undefined) continue;
    const { value, problem } = parseValue(spec, raw);
    if (problem) problems.push(`config ${describe(spec, raw)}: ${problem} (e.g. ${spec.key}=${spec.example})`);
    else parsed[spec.key] = value;
  }

  const schema = {
    type: 'object',
    properties: Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, k.schema])),
  };
  const validate = strictAjv().compile(schema);
  if (!validate(parsed)) {
    for (const { path: [key, ...inner], message } of ajvProblems(validate.errors, parsed)) {
      const spec = CONFIG_KEYS.find((k) => k.key === key);
      if (!spec) continue;
      const where = inner.length ? `${inputPath(inner)} ` : '';
      problems.push(`config ${describe(spec, rawOf(spec.key) ?? spec.default)}: ${where}${message} (e.g. ${spec.key}=${spec.example})`);
    }
  }

  const account = (role: 'STUDENT' | 'PROVIDER' | 'QUOTA'): Account | undefined => {
    const email = parsed[`SYNTH_${role}_EMAIL`] as string | undefined;
    const password = parsed[`SYNTH_${role}_PASSWORD`] as string | undefined;
    return email && password ? { email, password } : undefined;
  };
  const baseUrl = parsed.BASE_URL as string | undefined;
  if (baseUrl) {
    // The sandbox defaults only make sense for the embedded sandbox: a real target needs real accounts.
    for (const role of ['STUDENT', 'PROVIDER', 'QUOTA'] as const) {
      for (const part of ['EMAIL', 'PASSWORD']) {
        const key = `SYNTH_${role}_${part}`;
        if (parsed[key] === undefined) problems.push(`config ${key}: required when BASE_URL is set (set it in the environment or .env; see .env.example)`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);

  const config: SuiteConfig = {
    baseUrl,
    accounts: { student: account('STUDENT'), provider: account('PROVIDER'), quota: account('QUOTA') },
    expiredToken: parsed.SYNTH_EXPIRED_TOKEN as string | undefined,
    searchQuery: (parsed.SEARCH_QUERY as string | undefined) ?? '',
    targetName: parsed.TARGET_NAME as string,
    canary: (parsed.CANARY as boolean) || parsed.TARGET_NAME === 'canary',
    region: parsed.REGION as string,
    buildId: parsed.BUILD_ID as string | undefined,
    gitSha: parsed.GIT_SHA as string | undefined,
    devices: parsed.DEVICES as SuiteConfig['devices'],
    pushgatewayUrl: parsed.PUSHGATEWAY_URL as string | undefined,
    pushTimeoutMs: parsed.PUSH_TIMEOUT_MS as number,
    pushJob: parsed.PUSH_JOB as string,
    runnerId: (parsed.RUNNER_ID as string | undefined) ?? toLabel(hostname()),
    stoppedGroup: parsed.STOPPED_GROUP as SuiteConfig['stoppedGroup'],
    resultsDir: parsed.RESULTS_DIR as string,
    resultsRetentionDays: parsed.RESULTS_RETENTION as number,
    evidence: { mode: parsed.EVIDENCE as EvidenceMode, mask: (parsed.EVIDENCE_MASK as string[] | undefined) ?? [] },
    runIntervalMs: parsed.RUN_INTERVAL as number,
    retry: {
      retries: parsed.RETRIES as number,
      minDelayMs: parsed.RETRY_MIN_DELAY_MS as number,
      factor: parsed.RETRY_FACTOR as number,
      maxDelayMs: parsed.RETRY_MAX_DELAY_MS as number,
    },
    journeyTimeoutMs: parsed.JOURNEY_TIMEOUT_MS as number,
    concurrency: { browserContexts: parsed.BROWSER_CONTEXTS as number, apiLeaseMs: parsed.API_JOURNEY_LEASE_MS as number },
    budgets: {
      criticalMs: parsed.CRITICAL_BUDGET_MS as number,
      defaultMs: parsed.DEFAULT_BUDGET_MS as number,
      pageMs: parsed.PAGE_BUDGET_MS as number,
      overrides: parsed.LATENCY_BUDGETS as Record<string, number>,
    },
    routeMap: parsed.ROUTE_MAP as Record<string, string>,
    chromiumPath: parsed.CHROMIUM_PATH as string | undefined,
  };
  for (const a of Object.values(config.accounts)) scrubber.addSecret(a?.password, true);
  scrubber.addSecret(config.expiredToken, true);
  return config;
}
