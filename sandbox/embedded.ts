/**
 * The reference sandbox started in this process on a free 127.0.0.1 port: the default target
 * when no BASE_URL is given, for the runner and for Playwright's global setup alike. Loaded
 * lazily, so a run against a real target never loads the sandbox (express and its store).
 */
export async function startEmbeddedSandbox(): Promise<{ url: string; close(): Promise<void> }> {
  const { startSandbox } = await import('./server.ts');
  return startSandbox({ port: 0, host: '127.0.0.1' });
}
