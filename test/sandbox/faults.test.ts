import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../sandbox/server.ts';
import { assertErrorBody, call, firstScholarshipId, start } from './helpers.ts';

let sandbox: RunningSandbox;
let base: string;
let scholarshipId: string;

before(async () => {
  sandbox = await start();
  base = sandbox.url;
  scholarshipId = await firstScholarshipId(base);
});
afterEach(() => call(base, 'DELETE', '/__sandbox/faults'));
after(() => sandbox.close());

const addFault = (fault: Record<string, unknown>) => call(base, 'POST', '/__sandbox/faults', { body: fault });

async function timed(path: string) {
  const started = performance.now();
  const reply = await call(base, 'GET', path);
  return { reply, ms: performance.now() - started };
}

describe('fault injection', () => {
  it('adds, lists and clears faults', async () => {
    const first = await addFault({ route: '/api/flags', latencyMs: 10 });
    assert.equal(first.status, 201);
    const second = await addFault({ route: '/api/pricing', status: 500 });
    assert.equal(second.body.length, 2);
    assert.equal((await call(base, 'GET', '/__sandbox/faults')).body.length, 2);
    assert.equal((await call(base, 'DELETE', '/__sandbox/faults')).status, 204);
    assert.deepEqual((await call(base, 'GET', '/__sandbox/faults')).body, []);
  });

  it('refuses a bad fault and names every problem', async () => {
    const reply = await addFault({ route: 'api', rate: 2, status: 200, drift: 'rename:x', latency: 5 });
    assert.equal(reply.status, 400);
    assertErrorBody(reply.body, 'invalid_request');
    for (const field of ['route', 'rate', 'status', 'drift', 'latency']) {
      assert.match(reply.body.error.message, new RegExp(`"${field}"`), field);
    }
    assert.equal((await addFault({ route: '/api' })).status, 400, 'a fault that does nothing');
  });

  it('delays responses by latencyMs', async () => {
    const baseline = await timed('/api/flags');
    await addFault({ route: '/api/flags', latencyMs: 250 });
    const slow = await timed('/api/flags');
    assert.equal(slow.reply.status, 200);
    assert.ok(slow.ms >= 240, `took ${slow.ms} ms`);
    assert.ok(baseline.ms < 100, `baseline ${baseline.ms} ms`);
  });

  it('replaces the response with the injected status and the contract error body', async () => {
    await addFault({ route: '/api/pricing', status: 503 });
    const reply = await call(base, 'GET', '/api/pricing');
    assert.equal(reply.status, 503);
    assertErrorBody(reply.body, 'injected_fault');
    assert.equal(reply.body.error.requestId, reply.headers.get('x-request-id'));
  });

  it('treats a :param route as a pattern and a plain route as a path prefix', async () => {
    await addFault({ route: '/api/scholarships/:id', status: 500 });
    assert.equal((await call(base, 'GET', `/api/scholarships/${scholarshipId}`)).status, 500);
    assert.equal((await call(base, 'GET', '/api/scholarships')).status, 200);
    await call(base, 'DELETE', '/__sandbox/faults');

    await addFault({ route: '/api/scholarships', status: 502 });
    assert.equal((await call(base, 'GET', '/api/scholarships')).status, 502);
    assert.equal((await call(base, 'GET', `/api/scholarships/${scholarshipId}`)).status, 502);
    assert.equal((await call(base, 'GET', '/api/flags')).status, 200);
  });

  it('hits every request when no route is given, but never the control surface', async () => {
    await addFault({ status: 500 });
    assert.equal((await call(base, 'GET', '/api/flags')).status, 500);
    assert.equal((await call(base, 'GET', '/health')).status, 500);
    assert.equal((await call(base, 'GET', '/__sandbox/faults')).status, 200);
  });

  it('filters by method', async () => {
    await addFault({ route: '/api/saved', method: 'delete', status: 500 });
    const list = await call(base, 'GET', '/__sandbox/faults');
    assert.equal(list.body[0].method, 'DELETE');
    assert.equal((await call(base, 'GET', '/api/flags')).status, 200);
  });

  it('drops a top-level field and a dotted path', async () => {
    await addFault({ route: '/api/scholarships', drift: 'drop:total' });
    await addFault({ route: '/api/scholarships', drift: 'drop:items.0.title' });
    const reply = await call(base, 'GET', '/api/scholarships');
    assert.equal(reply.status, 200);
    assert.equal('total' in reply.body, false);
    assert.equal('title' in reply.body.items[0], false);
    assert.equal(typeof reply.body.items[1].title, 'string');
    // The store itself is untouched.
    await call(base, 'DELETE', '/__sandbox/faults');
    assert.equal(typeof (await call(base, 'GET', '/api/scholarships')).body.items[0].title, 'string');
  });

  it('changes the JSON type of a field', async () => {
    await addFault({ route: '/api/scholarships/:id', drift: 'type:title' });
    await addFault({ route: '/api/scholarships/:id', drift: 'type:amount.value' });
    await addFault({ route: '/api/scholarships/:id', drift: 'type:eligibility' });
    await addFault({ route: '/api/scholarships/:id', drift: 'type:provider' });
    const reply = await call(base, 'GET', `/api/scholarships/${scholarshipId}`);
    assert.equal(typeof reply.body.title, 'number');
    assert.equal(typeof reply.body.amount.value, 'string');
    assert.deepEqual(reply.body.eligibility, {});
    assert.equal(typeof reply.body.provider, 'string');
  });

  it('trickles the body over trickleMs: the headers at once, the body in pieces, intact', async () => {
    const whole = await call(base, 'GET', '/api/scholarships');
    assert.equal((await addFault({ route: '/api/scholarships', trickleMs: 600 })).status, 201);
    const started = performance.now();
    const res = await fetch(`${base}/api/scholarships`, { headers: { accept: 'application/json' } });
    const headersMs = performance.now() - started;
    const reader = res.body!.getReader();
    const pieces: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(r.value);
    const bodyMs = performance.now() - started;
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-sandbox-faults'));
    // The headers come at once and the body is spread over the rest (no absolute bound on the
    // headers: a loaded CI machine may be slow to answer at all).
    assert.ok(bodyMs >= 580, `body done after ${bodyMs} ms`);
    assert.ok(bodyMs - headersMs >= 400, `headers after ${headersMs} ms, body after ${bodyMs} ms`);
    assert.ok(pieces.length > 1, `${pieces.length} piece(s)`);
    assert.equal(Buffer.concat(pieces).toString('utf8'), whole.text);
  });

  it('validates trickleMs like the other fault fields', async () => {
    for (const trickleMs of [0, -5, 1.5, '300', 60_001]) {
      const reply = await addFault({ route: '/api/flags', trickleMs });
      assert.equal(reply.status, 400, JSON.stringify(trickleMs));
      assert.match(reply.body.error.message, /"trickleMs"/);
    }
    assert.equal((await addFault({ route: '/api/flags', trickleMs: 1 })).status, 201, 'trickleMs alone is a fault');
  });

  it('expires a counted fault after N matching requests', async () => {
    await addFault({ route: '/api/flags', status: 500, count: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(base, 'GET', '/api/flags')).status);
    assert.deepEqual(statuses, [500, 500, 200, 200]);
    assert.deepEqual((await call(base, 'GET', '/__sandbox/faults')).body, []);
  });

  it('fires with the given rate', async () => {
    await addFault({ route: '/api/flags', status: 500, rate: 0 });
    assert.equal((await call(base, 'GET', '/api/flags')).status, 200);
    await call(base, 'DELETE', '/__sandbox/faults');
    await addFault({ route: '/api/flags', status: 500, rate: 0.5 });
    let failures = 0;
    for (let i = 0; i < 60; i++) if ((await call(base, 'GET', '/api/flags')).status === 500) failures++;
    assert.ok(failures > 5 && failures < 55, `${failures} of 60 failed`);
  });

  it('measures an injected failure under the route pattern', async () => {
    await addFault({ route: '/api/scholarships/:id', status: 500, count: 1 });
    await call(base, 'GET', `/api/scholarships/${scholarshipId}`);
    const metrics = await call(base, 'GET', '/metrics');
    const route = metrics.body.routes.find((r: any) => r.route === '/api/scholarships/:id');
    assert.ok(route, JSON.stringify(metrics.body.routes.map((r: any) => r.route)));
    assert.ok(route.errorRate5xx > 0);
  });
});
