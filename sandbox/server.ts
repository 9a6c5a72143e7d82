import type { AddressInfo } from 'node:net';
import { createSandboxApp, type SandboxAppOptions } from './app.ts';
import type { Deps } from './deps.ts';
import type { Store } from './store.ts';

export interface StartSandboxOptions extends SandboxAppOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the sandbox has documented passwords and must not face a network. */
  host?: string;
}

export interface RunningSandbox {
  url: string;
  port: number;
  store: Store;
  deps: Deps;
  close(): Promise<void>;
}

export function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const { port = 0, host = '127.0.0.1', ...appOptions } = options;
  const { app, store, deps } = createSandboxApp(appOptions);
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${urlHost}:${address.port}`,
        port: address.port,
        store,
        deps,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Keep-alive sockets would otherwise hold close() open for seconds.
            server.closeAllConnections();
          }),
      });
    });
  });
}
