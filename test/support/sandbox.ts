import { startSandbox } from '../../sandbox/server.ts';
import { SANDBOX_ACCOUNTS } from '../../sandbox/defaults.ts';

export interface SandboxHandle {
  url: string;
  close(): Promise<void>;
  fault(fault: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  requests(): Promise<SandboxRequest[]>;
  clearRequests(): Promise<void>;
}

export interface SandboxRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  userAgent?: string;
  syntheticId?: string;
  traceparent?: string;
  status?: number;
  receivedAt: string;
}

/**
 * A real sandbox on a 127.0.0.1 port (a free one unless given: a redeploy reuses the address),
 * serving `buildId` (default the sandbox's own), with its control surface as functions.
 */
export async function sandbox(opts: { port?: number; buildId?: string } = {}): Promise<SandboxHandle> {
  const s = await startSandbox({ port: opts.port ?? 0, host: '127.0.0.1', ...(opts.buildId ? { buildId: opts.buildId } : {}) });
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}/__sandbox/${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  return {
    url: s.url,
    close: () => s.close(),
    fault: async (f) => void (await control('POST', 'faults', f)),
    clearFaults: async () => void (await control('DELETE', 'faults')),
    requests: async () => (await control('GET', 'requests')) as SandboxRequest[],
    clearRequests: async () => void (await control('DELETE', 'requests')),
  };
}

/** The environment a CLI run needs to target a sandbox by URL (credentials are required then). */
export function sandboxEnv(url: string): Record<string, string> {
  return {
    BASE_URL: url,
    SYNTH_STUDENT_EMAIL: SANDBOX_ACCOUNTS.student.email,
    SYNTH_STUDENT_PASSWORD: SANDBOX_ACCOUNTS.student.password,
    SYNTH_PROVIDER_EMAIL: SANDBOX_ACCOUNTS.provider.email,
    SYNTH_PROVIDER_PASSWORD: SANDBOX_ACCOUNTS.provider.password,
    SYNTH_QUOTA_EMAIL: SANDBOX_ACCOUNTS.quota.email,
    SYNTH_QUOTA_PASSWORD: SANDBOX_ACCOUNTS.quota.password,
  };
}
