import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverTimingMs } from '../../fixtures/api-client.ts';
import { call, useSandbox } from './helpers.ts';

let base: string;
useSandbox((sandbox) => (base = sandbox.url));

describe('Server-Timing', () => {
  it('every answer carries the app time, injected latency included', async () => {
    const plain = await call(base, 'GET', '/api/scholarships?e2e=1');
    const fast = serverTimingMs(plain.headers.get('server-timing') ?? undefined);
    assert.ok(fast !== undefined && fast >= 0 && fast < 1000, `app;dur of a plain call: ${plain.headers.get('server-timing')}`);

    await call(base, 'POST', '/__sandbox/faults', { body: { route: '/api/scholarships', latencyMs: 60, count: 1 } });
    const slow = await call(base, 'GET', '/api/scholarships?e2e=1');
    const ms = serverTimingMs(slow.headers.get('server-timing') ?? undefined);
    assert.ok(ms !== undefined && ms >= 59, `app;dur with 60 ms injected: ${slow.headers.get('server-timing')}`);

    const missing = await call(base, 'GET', '/api/nothing-here?e2e=1');
    assert.ok(serverTimingMs(missing.headers.get('server-timing') ?? undefined) !== undefined, 'an error answer has it too');
  });
});
