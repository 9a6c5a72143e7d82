import pRetry from 'p-retry';
import { Pushgateway, type Registry } from 'prom-client';
import { log } from '../src/core/log.ts';

export interface PushTarget {
  url: string;
  job: string;
  /** runner × target: two runners, or two targets of one runner, never overwrite each other. */
  groupings: Record<string, string>;
  timeoutMs: number;
  retries?: number;
}

/**
 * PUTs a registry to the Pushgateway (the whole group is replaced, so each push carries the full
 * state and a failed push loses nothing). Retries with backoff; never throws: the caller counts.
 */
export async function pushRegistry(registry: Registry, target: PushTarget): Promise<boolean> {
  const gateway = new Pushgateway(target.url, { timeout: target.timeoutMs }, registry);
  try {
    await pRetry(() => gateway.push({ jobName: target.job, groupings: target.groupings }), {
      retries: target.retries ?? 2,
      minTimeout: 200,
      factor: 2,
      maxTimeout: 1000,
      randomize: false,
    });
    return true;
  } catch (e) {
    log(`pushgateway ${target.url}: push of ${Object.values(target.groupings).join('/')} failed (${(e as Error).message.split('\n')[0]}); the next push carries the full state`);
    return false;
  }
}

/** Removes a group (used by tests and by `--delete-on-exit`). */
export async function deleteGroup(target: PushTarget, registry: Registry): Promise<void> {
  const gateway = new Pushgateway(target.url, { timeout: target.timeoutMs }, registry);
  await gateway.delete({ jobName: target.job, groupings: target.groupings });
}
