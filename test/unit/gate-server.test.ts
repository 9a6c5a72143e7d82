// The gate's HTTP semantics, against a real server on a free 127.0.0.1 port with a fixed `decide`:
// the status codes each rollout tool reads, the body fields, the token, bad input, and the bound
// on a slow decide. The real gate is wired to `decide` elsewhere.
// Run: node --import tsx --test test/unit/gate-server.test.ts
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startGateServer, type GateServer } from '../../gate/server.ts';
import type { Decision, GateResult } from '../../gate/decision-types.ts';

const TOKEN = 'gate-test-token-4f1c9a7e2b';

function result(decision: Decision, phase: number, profile: string | undefined): GateResult {
  const window = { from: '2025-01-01T10:00:00.000Z', to: '2025-01-01T10:30:00.000Z' };
  return {
    decision,
    reason: `phase ${phase}: ${decision} because the fixture says so`,
    phase,
    profile: profile ?? 'standard',
    window: { ...window, elapsedMs: 1_800_000, requiredMs: 1_800_000 },
    freshness: [{ target: 'canary', runner: 'eu-west-1-0', lastCycle: window.to, stale: false }],
    checks: [
      {
        name: 'p95-vs-control', kind: 'gate', metric: 'latency_p95', ok: decision === 'go',
        observed: { canary: 180, control: 120 }, against: 'control_ratio', op: '<=', threshold: 1.3,
        samples: { canary: 400, control: 400 }, reason: 'canary P95 180 ms is 1.5x control',
        evidence: { window, offenders: [{ syntheticId: 'syn-a1-3', traceId: 'abc', at: window.to, what: 'GET /api/scholarships 412 ms' }] },
      },
      {
        name: 'error-5xx', kind: 'trigger', metric: 'error_5xx_ratio', ok: decision === 'hold' ? undefined : decision !== 'rollback',
        observed: { canary: decision === 'rollback' ? 12 : 0, control: 0 }, against: 'absolute', op: '<', threshold: 5,
        samples: { canary: 400, control: 0 }, heldFor: decision === 'rollback' ? 3 : 0,
        reason: decision === 'rollback' ? '5xx at 12% for 3 minutes' : 'not enough data', evidence: { window, offenders: [] },
      },
    ],
  };
}

type Mode = Decision | 'throw' | 'throw-token' | 'slow' | 'invalid';
let mode: Mode = 'go';
let calls: Array<{ phase: number; profile: string | undefined }> = [];
const bodies: string[] = [];

async function decide(phase: number, profile: string | undefined): Promise<GateResult> {
  calls.push({ phase, profile });
  switch (mode) {
    case 'throw': throw new Error('results store unreadable: EACCES\n    at readLines (reporters/results-store/reader.ts:12:3)');
    case 'throw-token': throw new Error(`upstream said Bearer ${TOKEN} was odd; also ${TOKEN}`);
    case 'slow': return new Promise(() => undefined); // never answers
    case 'invalid': return { decision: 'yes' } as unknown as GateResult;
    default: return result(mode, phase, profile);
  }
}

interface Answer { status: number; headers: Headers; json: Record<string, unknown>; ms: number }

function client(base: () => string) {
  return async function call(method: string, path: string, init: { auth?: string | null; body?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    const auth = init.auth === undefined ? `Bearer ${TOKEN}` : init.auth;
    if (auth !== null) headers.authorization = auth;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const t0 = performance.now();
    const res = await fetch(base() + path, { method, headers, body: init.body });
    const text = await res.text();
    bodies.push(text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path}: content-type`);
    assert.equal(res.headers.get('cache-control'), 'no-store', `${method} ${path}: cache-control`);
    assert.ok(text.endsWith('\n') && !text.trimEnd().includes('\n'), `${method} ${path}: one line of JSON`);
    return { status: res.status, headers: res.headers, json: JSON.parse(text) as Record<string, unknown>, ms: performance.now() - t0 };
  };
}

/** Runs `fn` with stderr captured; returns what was written. */
async function captureStderr(fn: () => Promise<void>): Promise<string> {
  const original = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return out;
}

const flaggerPayload = (metadata?: Record<string, string>) =>
  JSON.stringify({ name: 'web', namespace: 'apps', phase: 'Progressing', checksum: 'abc', ...(metadata ? { metadata } : {}) });

describe('gate server (token configured)', () => {
  let server: GateServer;
  const call = client(() => server.url);

  before(async () => {
    server = await startGateServer({ port: 0, token: TOKEN, decide, decideTimeoutMs: 300 });
  });
  after(async () => {
    await server.close();
    for (const b of bodies) assert.ok(!b.includes(TOKEN), `a response echoed the token: ${b}`);
  });
  beforeEach(() => {
    mode = 'go';
    calls = [];
  });

  test('listens on 127.0.0.1 by default, on the free port it was given', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.url.endsWith(':0'), true);
  });

  test('GET /health: 200 {status: ok} without a token; other methods 405', async () => {
    const r = await call('GET', '/health', { auth: null });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
    const wrong = await call('GET', '/health', { auth: 'Bearer nope' });
    assert.equal(wrong.status, 200, 'a wrong token does not matter on /health');
    const post = await call('POST', '/health', { auth: null });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
  });

  test('the token: 401 with www-authenticate without it or with a wrong one, 200 with it; decide is not called', async () => {
    for (const auth of [null, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer']) {
      for (const [method, path] of [['GET', '/api/v1/decision?phase=5'], ['POST', '/flagger/gate?phase=5'], ['POST', '/flagger/rollback?phase=5']] as const) {
        const r = await call(method, path, { auth });
        assert.equal(r.status, 401, `${method} ${path} with ${String(auth).slice(0, 8)}…`);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
        assert.match(String(r.json.error), /Authorization: Bearer/);
      }
    }
    assert.equal(calls.length, 0);
    assert.equal((await call('GET', '/api/v1/decision?phase=5')).status, 200);
    assert.equal((await call('GET', '/api/v1/decision?phase=5', { auth: `bearer  ${TOKEN}` })).status, 200, 'scheme is case-insensitive');
  });

  test('Flagger routes also take the token from the webhook payload (metadata.token), nowhere else', async () => {
    const ok = await call('POST', '/flagger/gate?phase=25', { auth: null, body: flaggerPayload({ token: TOKEN }) });
    assert.equal(ok.status, 200);
    const wrong = await call('POST', '/flagger/gate?phase=25', { auth: null, body: flaggerPayload({ token: 'nope' }) });
    assert.equal(wrong.status, 401);
    const none = await call('POST', '/flagger/rollback?phase=25', { auth: null, body: flaggerPayload() });
    assert.equal(none.status, 401);
    const notJson = await call('POST', '/flagger/gate?phase=25', { auth: null, body: `token=${TOKEN}` });
    assert.equal(notJson.status, 401);
    const query = await call('GET', `/api/v1/decision?phase=25&token=${TOKEN}`, { auth: null });
    assert.equal(query.status, 401, 'never from the query string');
  });

  test('GET /api/v1/decision: always 200, the GateResult plus pass and rollback', async () => {
    const expect = { go: [true, false], hold: [false, false], rollback: [false, true] } as const;
    for (const d of ['go', 'hold', 'rollback'] as const) {
      mode = d;
      const r = await call('GET', '/api/v1/decision?phase=25&profile=payments');
      assert.equal(r.status, 200, d);
      assert.equal(r.json.decision, d);
      assert.equal(r.json.pass, expect[d][0], `${d}: pass`);
      assert.equal(r.json.rollback, expect[d][1], `${d}: rollback`);
      assert.equal(r.json.phase, 25);
      assert.equal(r.json.profile, 'payments');
      assert.equal((r.json.checks as unknown[]).length, 2, 'the whole result is there');
      assert.deepEqual(Object.keys(r.json.window as object).sort(), ['elapsedMs', 'from', 'requiredMs', 'to']);
    }
    assert.deepEqual(calls, [{ phase: 25, profile: 'payments' }, { phase: 25, profile: 'payments' }, { phase: 25, profile: 'payments' }]);
    calls = [];
    await call('GET', '/api/v1/decision?phase=100&profile=');
    await call('GET', '/api/v1/decision?phase=5');
    assert.deepEqual(calls, [{ phase: 100, profile: undefined }, { phase: 5, profile: undefined }], 'no or an empty profile: the default');
  });

  test('GET /api/v1/decision when decide throws: 200 hold, never go nor rollback, the first line as reason, one log line', async () => {
    mode = 'throw';
    let r: Answer | undefined;
    const logged = await captureStderr(async () => {
      r = await call('GET', '/api/v1/decision?phase=50');
    });
    assert.equal(r!.status, 200);
    assert.equal(r!.json.decision, 'hold');
    assert.equal(r!.json.pass, false);
    assert.equal(r!.json.rollback, false);
    assert.equal(r!.json.reason, 'results store unreadable: EACCES');
    assert.equal(r!.json.phase, 50);
    const lines = logged.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one log line: ${logged}`);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+ gate: GET \/api\/v1\/decision phase=50 .*results store unreadable: EACCES$/);
  });

  test('a decide that returns no valid decision is an error too', async () => {
    mode = 'invalid';
    await captureStderr(async () => {
      const a = await call('GET', '/api/v1/decision?phase=5');
      assert.equal(a.status, 200);
      assert.equal(a.json.decision, 'hold');
      assert.equal(a.json.pass, false);
      assert.equal((await call('POST', '/flagger/gate?phase=5')).status, 500);
      assert.equal((await call('POST', '/flagger/rollback?phase=5')).status, 500);
    });
  });

  test('POST /flagger/gate: 200 with the result only on go, 412 with the reasons on hold and rollback, 500 on an error', async () => {
    mode = 'go';
    const go = await call('POST', '/flagger/gate?phase=5', { body: flaggerPayload() });
    assert.equal(go.status, 200);
    assert.equal(go.json.decision, 'go');
    assert.equal((go.json.checks as unknown[]).length, 2);
    for (const d of ['hold', 'rollback'] as const) {
      mode = d;
      const r = await call('POST', '/flagger/gate?phase=5', { body: flaggerPayload() });
      assert.equal(r.status, 412, d);
      assert.equal(r.json.decision, d);
      const reasons = r.json.reasons as string[];
      assert.equal(reasons[0], `phase 5: ${d} because the fixture says so`);
      assert.ok(reasons.some((x) => x.startsWith('p95-vs-control: failed: canary P95')), reasons.join(' | '));
    }
    mode = 'hold';
    const reasons = (await call('POST', '/flagger/gate?phase=5')).json.reasons as string[];
    assert.ok(reasons.includes('error-5xx: undetermined: not enough data'), reasons.join(' | '));
    mode = 'throw';
    const logged = await captureStderr(async () => {
      const r = await call('POST', '/flagger/gate?phase=5');
      assert.equal(r.status, 500);
      assert.equal(r.json.error, 'results store unreadable: EACCES');
    });
    assert.equal(logged.trimEnd().split('\n').length, 1);
  });

  test('POST /flagger/rollback: 200 only while a rollback trigger holds, 404 on go and hold, 500 on an error', async () => {
    const expect = { go: 404, hold: 404, rollback: 200 } as const;
    for (const d of ['go', 'hold', 'rollback'] as const) {
      mode = d;
      const r = await call('POST', '/flagger/rollback?phase=50', { body: flaggerPayload() });
      assert.equal(r.status, expect[d], d);
      assert.equal(r.json.decision, d);
    }
    mode = 'throw';
    await captureStderr(async () => {
      assert.equal((await call('POST', '/flagger/rollback?phase=50')).status, 500, 'never roll back on a mistake');
    });
  });

  test('a bad or missing phase: 400, one line naming the parameter and the fix, decide not called', async () => {
    const bad = ['', '?phase=', '?phase=7', '?phase=5.0', '?phase=05', '?phase=abc', '?phase=5&phase=25', '?profile=x'];
    for (const [method, path] of [['GET', '/api/v1/decision'], ['POST', '/flagger/gate'], ['POST', '/flagger/rollback']] as const) {
      for (const q of bad) {
        const r = await call(method, path + q);
        assert.equal(r.status, 400, `${method} ${path}${q}`);
        const error = String(r.json.error);
        assert.match(error, /query parameter "phase"/);
        assert.match(error, /one of 5, 25, 50, 100/);
        assert.match(error, new RegExp(`${path.replace(/\//g, '\\/')}\\?phase=25`), 'names the fix');
        assert.equal(r.json.pass, undefined, 'a malformed request is not a measurement');
      }
    }
    const prof = await call('GET', '/api/v1/decision?phase=5&profile=../../etc');
    assert.equal(prof.status, 400);
    assert.match(String(prof.json.error), /query parameter "profile"/);
    assert.equal(calls.length, 0);
  });

  test('unknown path: 404; wrong method: 405 with allow', async () => {
    const missing = await call('GET', '/api/v1/decisions?phase=5');
    assert.equal(missing.status, 404);
    assert.match(String(missing.json.error), /GET \/api\/v1\/decision/);
    for (const path of ['/', '/__proto__', '/constructor', '/toString']) assert.equal((await call('GET', path, { auth: null })).status, 404, path);
    const a = await call('POST', '/api/v1/decision?phase=5');
    assert.equal(a.status, 405);
    assert.equal(a.headers.get('allow'), 'GET');
    for (const path of ['/flagger/gate?phase=5', '/flagger/rollback?phase=5']) {
      const r = await call('GET', path);
      assert.equal(r.status, 405, path);
      assert.equal(r.headers.get('allow'), 'POST');
    }
    assert.equal((await call('PUT', '/flagger/gate?phase=5')).status, 405);
    assert.equal(calls.length, 0);
  });

  test('a slow decide is bounded: hold on /api/v1/decision, 500 on the Flagger routes, well before a client gives up', async () => {
    mode = 'slow';
    const logged = await captureStderr(async () => {
      const a = await call('GET', '/api/v1/decision?phase=25');
      assert.equal(a.status, 200);
      assert.equal(a.json.decision, 'hold');
      assert.equal(a.json.pass, false);
      assert.equal(a.json.rollback, false);
      assert.match(String(a.json.reason), /did not answer within 300 ms/);
      assert.ok(a.ms >= 250 && a.ms < 3000, `${a.ms} ms`);
      for (const path of ['/flagger/gate?phase=25', '/flagger/rollback?phase=25']) {
        const r = await call('POST', path);
        assert.equal(r.status, 500, path);
        assert.ok(r.ms < 3000, `${r.ms} ms`);
      }
    });
    assert.equal(logged.trimEnd().split('\n').length, 3, 'one line per error');
  });

  test('the token never leaves: not even when an error message carries it', async () => {
    mode = 'throw-token';
    await captureStderr(async () => {
      const r = await call('GET', '/api/v1/decision?phase=5');
      assert.equal(r.json.decision, 'hold');
      assert.ok(!String(r.json.reason).includes(TOKEN), String(r.json.reason));
      const f = await call('POST', '/flagger/gate?phase=5');
      assert.ok(!JSON.stringify(f.json).includes(TOKEN));
    });
  });

  test('an oversized POST body is refused (413), not buffered', async () => {
    const r = await call('POST', '/flagger/gate?phase=5', { body: JSON.stringify({ pad: 'x'.repeat(100_000) }) });
    assert.equal(r.status, 413);
  });
});

describe('gate server (no token)', () => {
  let server: GateServer;
  const call = client(() => server.url);
  before(async () => {
    server = await startGateServer({ port: 0, decide });
  });
  after(() => server.close());

  test('without a token configured, no Authorization is needed', async () => {
    mode = 'rollback';
    const r = await call('GET', '/api/v1/decision?phase=100', { auth: null });
    assert.equal(r.status, 200);
    assert.equal(r.json.rollback, true);
    assert.equal((await call('POST', '/flagger/rollback?phase=100', { auth: null })).status, 200);
  });

  test('close() ends promptly with keep-alive connections open and the port is released', async () => {
    const extra = await startGateServer({ port: 0, decide });
    await fetch(`${extra.url}/health`).then((r) => r.text());
    const t0 = performance.now();
    await extra.close();
    assert.ok(performance.now() - t0 < 1000);
    await assert.rejects(fetch(`${extra.url}/health`));
  });
});

test('a stopping gate answers the decision in flight (within its grace), then refuses new connections', async () => {
  let release!: () => void;
  const server = await startGateServer({
    port: 0,
    decide: (phase, profile) => new Promise((resolve) => { release = () => resolve(result('go', phase, profile)); }),
  });
  const inFlight = fetch(`${server.url}/api/v1/decision?phase=25`);
  await new Promise((r) => setTimeout(r, 100));
  const closed = server.close(5000);
  setTimeout(() => release(), 200);
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as GateResult).decision, 'go');
  await closed;
  await assert.rejects(fetch(`${server.url}/health`));
});
