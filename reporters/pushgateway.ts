import type { Registry } from 'prom-client';
import { log } from '../src/core/log.ts';

export interface PushTarget {
  url: string;
  job: string;
  /** runner × target: two runners, or two targets of one runner, never overwrite each other. */
  groupings: Record<string, string>;
  /** Bound of one try as a whole: connect, headers and body (a gateway that trickles is cut here). */
  timeoutMs: number;
  retries?: number;
}

/** The group's URL, and Basic credentials taken out of it (fetch refuses a URL that carries them). */
function groupRequest(target: PushTarget): { url: string; headers: Record<string, string> } {
  const base = new URL(target.url);
  const headers: Record<string, string> = {};
  if (base.username || base.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
    base.username = base.password = '';
  }
  const path = [['job', target.job], ...Object.entries(target.groupings)].map(([k, v]) => `${k}/${encodeURIComponent(v!)}`).join('/');
  return { url: `${base.origin}${base.pathname.replace(/\/+$/, '')}/metrics/${path}`, headers };
}

/** Where a log line may name the gateway: never its credentials. */
const shown = (url: string) => {
  const u = new URL(url);
  return u.username || u.password ? `${u.protocol}//[redacted]@${u.host}` : u.origin;
};

async function once(method: 'PUT' | 'DELETE', target: PushTarget, body?: string, contentType?: string): Promise<void> {
  const { url, headers } = groupRequest(target);
  const res = await fetch(url, {
    method, body, signal: AbortSignal.timeout(target.timeoutMs),
    headers: { ...headers, ...(contentType ? { 'content-type': contentType } : {}) },
  });
  // Read to the end under the same deadline, so a response that trickles is cut too.
  const text = await res.text();
  if (!res.ok) throw new Error(`status ${res.status}${text ? `: ${text.trim().split('\n')[0]!.slice(0, 200)}` : ''}`);
}

async function withRetries(what: string, target: PushTarget, work: () => Promise<void>): Promise<boolean> {
  const tries = (target.retries ?? 2) + 1;
  for (let n = 1; ; n++) {
    try {
      await work();
      return true;
    } catch (e) {
      const err = e as Error;
      const reason = err.name === 'TimeoutError' ? `no complete answer within ${target.timeoutMs} ms` : String(err.message).split('\n')[0];
      if (n >= tries) {
        log(`pushgateway ${shown(target.url)}: ${what} of ${Object.values(target.groupings).join('/')} failed (${reason}); the next push carries the full state`);
        return false;
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, 200 * 2 ** (n - 1))));
    }
  }
}

/**
 * PUTs a registry to the Pushgateway (the whole group is replaced, so each push carries the full
 * state and a failed push loses nothing). Every try is bounded as a whole by `timeoutMs`, so the
 * worst case is (retries + 1) × timeoutMs plus at most 1.2 s of backoff. Never throws: the caller counts.
 */
export async function pushRegistry(registry: Registry, target: PushTarget): Promise<boolean> {
  const body = await registry.metrics();
  return withRetries('push', target, () => once('PUT', target, body, registry.contentType));
}

/** Removes a group (a stopped runner's, so that absence and staleness are the signals). */
export function deleteGroup(target: PushTarget): Promise<boolean> {
  return withRetries('delete', target, () => once('DELETE', target));
}
