/** Set by Playwright's global setup when no BASE_URL is given: the workers target this sandbox. */
export const SANDBOX_URL_ENV = 'SYNTHETICS_SANDBOX_URL';

/** Starts the reference sandbox in this process on a free 127.0.0.1 port. */
export async function startEmbeddedSandbox(): Promise<{ url: string; close(): Promise<void> }> {
  const { startSandbox } = await import('../../sandbox/server.ts');
  return startSandbox({ port: 0, host: '127.0.0.1' });
}
