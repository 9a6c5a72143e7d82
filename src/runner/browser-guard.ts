/**
 * Playwright's client throws some protocol errors outside every call: its connection dispatches
 * each message from the server in a `setImmediate`, and a message it cannot bind throws there,
 * where no try/catch of ours can see it, and the process dies with its cycle and its final push.
 *
 * The one seen here (playwright-core 1.65, `coreBundle.js`): the server answers a call with an
 * object it made (a JSHandle for `waitForFunction`/`evaluateHandle`, a Response for `goto`), but
 * between making it and sending the answer it awaits its instrumentation (`DispatcherConnection.
 * dispatch` awaits `onAfterCall`; with tracing on, that takes a DOM snapshot). A context closed in
 * that window disposes the object first; the answer then names a guid the client has dropped, and
 * `Connection.dispatch` → `_tChannelImplFromWire` throws "Object with guid handle@… was not bound
 * in the connection". The call's promise is left pending for ever (its callback was deleted), so
 * whatever awaited it is bounded by the runner's own timeouts. Nothing else in the connection is
 * left half-done: the message is lost, the next one is dispatched as usual.
 *
 * So an error thrown from Playwright's connection dispatch is the runner's trouble: noted (the
 * browser attempts it touched end aborted, by the runner), counted, and survived. Anything else
 * uncaught is a bug of ours: `onBug` decides (the runner stops cleanly and exits non-zero).
 */

/** Thrown by Playwright's client connection while dispatching a message, not by one of our calls. */
export function isBrowserLayerError(error: unknown): boolean {
  const stack = (error as Error | undefined)?.stack;
  if (typeof stack !== 'string') return false;
  const frames = stack.split('\n').filter((l) => /^\s+at /.test(l));
  // The innermost frames are Playwright's own; the dispatch of a message is among them.
  return frames.length > 0 && frames.some((f) => /\bdispatch\b/.test(f) && /playwright-core/.test(f))
    && /playwright-core/.test(frames[0]!);
}

/**
 * Installs the guard for the rest of the process: browser-layer errors go to `onBrowserFault`
 * (the first line of the message), anything else to `onBug`. It is never taken off: an error
 * escaping while the runner closes (a log line to a closed stderr) must not kill it mid-push.
 */
export function guardBrowserLayer(handlers: { onBrowserFault: (message: string) => void; onBug: (error: unknown) => void }): void {
  process.on('uncaughtException', (error: unknown) => {
    if (isBrowserLayerError(error)) handlers.onBrowserFault(String((error as Error).message).split('\n')[0] ?? 'unknown');
    else handlers.onBug(error);
  });
}
