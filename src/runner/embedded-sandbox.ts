/** Starts the reference sandbox in this process on a free 127.0.0.1 port. */
export async function startEmbeddedSandbox(): Promise<{ url: string; close(): Promise<void> }> {
  const { startSandbox } = await import('../../sandbox/server.ts');
  return startSandbox({ port: 0, host: '127.0.0.1' });
}
