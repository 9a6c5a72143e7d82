import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, firstScholarshipId, login, useSandbox } from './helpers.ts';

let base: string;
useSandbox((s) => (base = s.url));

describe('health endpoints', () => {
  it('reports liveness with version and build', async () => {
    const reply = await call(base, 'GET', '/health');
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys(reply.body).sort(), ['buildId', 'gitSha', 'status', 'uptimeSeconds', 'version']);
    assert.equal(reply.body.status, 'ok');
    assert.equal(reply.body.version, '0.1.0');
    assert.equal(reply.body.buildId, 'sandbox');
    assert.equal(reply.body.gitSha, '0000000');
    assert.ok(Number.isInteger(reply.body.uptimeSeconds));
  });

  it('reports readiness, and 503 not_ready when a check is down', async () => {
    const ready = await call(base, 'GET', '/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', checks: { db: 'ok', search: 'ok' } });
    const flip = await call(base, 'POST', '/__sandbox/ready', { body: { checks: { db: false } } });
    assert.equal(flip.status, 200);
    const down = await call(base, 'GET', '/ready');
    assert.equal(down.status, 503);
    assert.deepEqual(down.body, { status: 'not_ready', checks: { db: 'down', search: 'ok' } });
    await call(base, 'POST', '/__sandbox/ready', { body: { checks: { db: true } } });
    assert.equal((await call(base, 'GET', '/ready')).status, 200);
    assert.equal((await call(base, 'POST', '/__sandbox/ready', { body: { checks: { cache: false } } })).status, 400);
  });

  it('summarises the rolling window on /metrics by route pattern', async () => {
    const id = await firstScholarshipId(base);
    await call(base, 'GET', `/api/scholarships/${id}`);
    await call(base, 'GET', '/api/scholarships/sch_nope');
    await call(base, 'GET', '/no/such/page');
    await call(base, 'GET', '/__sandbox/faults');
    const m = (await call(base, 'GET', '/metrics')).body;
    assert.deepEqual(Object.keys(m).sort(), [
      'availability', 'errorRate5xx', 'latencyMs', 'requests', 'routes', 'windowSeconds',
    ]);
    assert.equal(m.windowSeconds, 300);
    assert.ok(m.requests >= 4);
    assert.ok(Math.abs(m.availability - (1 - m.errorRate5xx)) < 1e-6);
    assert.deepEqual(Object.keys(m.latencyMs).sort(), ['p50', 'p95', 'p99']);
    assert.ok(m.latencyMs.p50 <= m.latencyMs.p95 && m.latencyMs.p95 <= m.latencyMs.p99);
    const routes = m.routes.map((r: any) => r.route);
    assert.ok(routes.includes('/api/scholarships/:id'));
    assert.ok(routes.includes('unmatched'));
    assert.ok(!routes.some((r: string) => r.includes(id) || r.includes('sch_nope') || r.startsWith('/__sandbox')));
    const details = m.routes.find((r: any) => r.route === '/api/scholarships/:id');
    assert.equal(details.method, 'GET');
    assert.equal(details.requests, 2);
    assert.equal(details.errorRate5xx, 0);
  });

  it('labels auth failures and bad bodies with their route, not as unmatched', async () => {
    await call(base, 'GET', '/api/me');
    await call(base, 'POST', '/api/auth/login', { rawBody: '{' });
    const text = (await call(base, 'GET', '/metrics/prometheus')).text;
    assert.match(text, /route="\/api\/me",status_code="401"/);
    assert.match(text, /route="\/api\/auth\/login",status_code="400"/);
  });

  it('exposes the Prometheus histogram with route patterns only', async () => {
    const { accessToken } = await login(base, 'student');
    const id = await firstScholarshipId(base);
    const app = await call(base, 'POST', '/api/applications', { token: accessToken, body: { scholarshipId: id } });
    await call(base, 'GET', `/api/applications/${app.body.id}`, { token: accessToken });
    const reply = await call(base, 'GET', '/metrics/prometheus');
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(reply.text, /# TYPE http_request_duration_seconds histogram/);
    assert.match(reply.text, /http_request_duration_seconds_bucket\{le="0\.15",method="GET",route="\/api\/applications\/:id",status_code="200"\} 1/);
    assert.ok(!reply.text.includes(id) && !reply.text.includes(app.body.id), 'a raw id leaked into a label');
  });

  it('starts an empty window at zero', async () => {
    const fresh = await (await import('../../sandbox/server.ts')).startSandbox({ port: 0, env: {} });
    try {
      const m = (await call(fresh.url, 'GET', '/metrics')).body;
      assert.deepEqual(m, {
        windowSeconds: 300,
        requests: 0,
        availability: 1,
        errorRate5xx: 0,
        latencyMs: { p50: 0, p95: 0, p99: 0 },
        routes: [],
      });
    } finally {
      await fresh.close();
    }
  });
});

describe('headers on every response', () => {
  const paths = ['/api/flags', '/api/nope', '/', '/static/app.js', '/health', '/nowhere'];

  it('sends the security headers and no x-powered-by', async () => {
    for (const path of paths) {
      const res = await fetch(base + path, { headers: { accept: 'text/html' } });
      await res.text();
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin', path);
      assert.equal(res.headers.get('x-powered-by'), null, path);
      assert.equal(res.headers.get('strict-transport-security'), null, `${path} over plain HTTP`);
      if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
        assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
      }
    }
  });

  it('sends HSTS when the request came over HTTPS', async () => {
    const res = await fetch(`${base}/api/flags`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  });

  it('sends x-request-id everywhere and echoes x-synthetic-id', async () => {
    for (const path of paths) {
      const res = await fetch(base + path, { headers: { 'x-synthetic-id': 'run-42/step-1' } });
      await res.text();
      assert.ok(res.headers.get('x-request-id'), path);
      assert.equal(res.headers.get('x-synthetic-id'), 'run-42/step-1', path);
    }
    const plain = await fetch(`${base}/api/flags`);
    assert.equal(plain.headers.get('x-synthetic-id'), null);
    const a = plain.headers.get('x-request-id');
    const b = (await fetch(`${base}/api/flags`)).headers.get('x-request-id');
    assert.notEqual(a, b);
  });
});
