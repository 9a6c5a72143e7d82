import type { SuiteConfig } from '../config/load.ts';
import { SyntheticIds } from '../core/ids.ts';
import { isLabel } from '../core/labels.ts';
import type { CallRecord } from '../core/records.ts';
import { taggedFetchWith } from '../core/tagged-fetch.ts';

export interface BuildSeen {
  buildId: string;
  gitSha: string;
}

/**
 * Asks the target which build it serves (/health's buildId and gitSha), as a tagged call of the
 * cycle: a canary redeployed on the same address is followed from the next cycle on. Undefined
 * build: /health could not be read, or did not name a build.
 */
export async function probeBuild(config: SuiteConfig, baseUrl: string, timeoutMs: number): Promise<{ build?: BuildSeen; call: CallRecord }> {
  const ids = new SyntheticIds();
  const at = new Date().toISOString();
  const started = performance.now();
  let status = 0;
  let body: { buildId?: unknown; gitSha?: unknown } | undefined;
  let problem: string | undefined;
  const { response, syntheticId } = taggedFetchWith(`${baseUrl}/health`, ids, {}, timeoutMs);
  try {
    const res = await response;
    status = res.status;
    body = res.ok ? ((await res.json()) as typeof body) : undefined;
    if (!res.ok) problem = `GET /health: status ${status}`;
  } catch (e) {
    problem = `GET /health: ${String((e as Error).message ?? e).split('\n')[0]}`;
  }
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  const buildId = config.buildId ?? (isLabel(body?.buildId) ? body.buildId : undefined);
  const gitSha = config.gitSha ?? (isLabel(body?.gitSha) ? body.gitSha : 'unknown');
  return {
    build: buildId ? { buildId, gitSha } : undefined,
    call: {
      at, step: 'build probe', method: 'GET', route: '/health', status, durationMs,
      budgetMs: config.budgets.criticalMs, overBudget: false, schema: null, schemaHash: null, schemaOutcome: 'none',
      syntheticId, traceId: ids.traceId, source: 'probe', ...(problem ? { problem } : {}),
    },
  };
}
