import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../sandbox/server.ts';
import { assertErrorBody, call, firstScholarshipId, login, start } from './helpers.ts';

let sandbox: RunningSandbox;
let base: string;
let student: string;

before(async () => {
  sandbox = await start();
  base = sandbox.url;
  student = (await login(base, 'student')).accessToken;
});
after(() => sandbox.close());

describe('search and details', () => {
  it('lists at least 50 seeded scholarships with opaque ids, several currencies and future deadlines', async () => {
    const first = await call(base, 'GET', '/api/scholarships?pageSize=50');
    const second = await call(base, 'GET', '/api/scholarships?pageSize=50&page=2');
    assert.equal(first.status, 200);
    assert.ok(first.body.total >= 50, `total ${first.body.total}`);
    const items = [...first.body.items, ...second.body.items];
    assert.equal(items.length, first.body.total);
    assert.ok(items.every((s: any) => /^sch_[0-9a-f]{12}$/.test(s.id)));
    const currencies = new Set(items.map((s: any) => s.amount.currency));
    for (const c of ['USD', 'EUR', 'GBP', 'CAD']) assert.ok(currencies.has(c), `currency ${c} missing`);
    assert.ok(items.every((s: any) => Date.parse(s.deadline) > Date.now()));
    assert.deepEqual(Object.keys(items[0]).sort(), ['amount', 'deadline', 'id', 'provider', 'tags', 'title']);
  });

  it('pages from 1 with a default of 20 and a cap of 50', async () => {
    const page = await call(base, 'GET', '/api/scholarships');
    assert.equal(page.body.page, 1);
    assert.equal(page.body.pageSize, 20);
    assert.equal(page.body.items.length, 20);
    const capped = await call(base, 'GET', '/api/scholarships?pageSize=500');
    assert.equal(capped.body.pageSize, 50);
    assert.equal(capped.body.items.length, 50);
    const bad = await call(base, 'GET', '/api/scholarships?page=0');
    assert.equal(bad.status, 400);
    assertErrorBody(bad.body, 'invalid_request');
  });

  it('matches q against title, tags and provider, ignoring case', async () => {
    const byTitle = await call(base, 'GET', '/api/scholarships?q=NURSING');
    assert.ok(byTitle.body.total > 0);
    assert.ok(byTitle.body.items.every((s: any) => /nursing/i.test(s.title) || s.tags.includes('nursing')));
    const byProvider = await call(base, 'GET', '/api/scholarships?q=helios&pageSize=50');
    assert.ok(byProvider.body.total > 0);
    assert.ok(byProvider.body.items.every((s: any) => s.provider.name === 'Helios Science Trust'));
    const byTag = await call(base, 'GET', '/api/scholarships?q=first-generation&pageSize=50');
    assert.ok(byTag.body.items.every((s: any) => s.tags.includes('first-generation')));
    const none = await call(base, 'GET', '/api/scholarships?q=zzzz-no-such-thing');
    assert.deepEqual([none.body.total, none.body.items.length], [0, 0]);
  });

  it('returns details, and 404 not_found for an unknown id', async () => {
    const id = await firstScholarshipId(base);
    const details = await call(base, 'GET', `/api/scholarships/${id}`);
    assert.equal(details.status, 200);
    assert.deepEqual(Object.keys(details.body).sort(), [
      'amount', 'deadline', 'description', 'eligibility', 'id', 'provider', 'title',
    ]);
    assert.ok(details.body.eligibility.length > 0);
    const missing = await call(base, 'GET', '/api/scholarships/sch_doesnotexist');
    assert.equal(missing.status, 404);
    assertErrorBody(missing.body, 'not_found');
    assert.equal(missing.body.error.requestId, missing.headers.get('x-request-id'));
  });

  it('answers unknown /api paths with a JSON 404', async () => {
    const reply = await call(base, 'GET', '/api/nope');
    assert.equal(reply.status, 404);
    assertErrorBody(reply.body, 'not_found');
  });
});

describe('save, apply, autosave', () => {
  it('saves with 201, then 200 with the same body, and unsaves with 204', async () => {
    const id = (await call(base, 'GET', '/api/scholarships?page=2&pageSize=1')).body.items[0].id;
    const first = await call(base, 'POST', '/api/saved', { token: student, body: { scholarshipId: id } });
    assert.equal(first.status, 201);
    assert.equal(first.body.scholarshipId, id);
    assert.ok(first.body.id && first.body.savedAt);
    const again = await call(base, 'POST', '/api/saved', { token: student, body: { scholarshipId: id } });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    const removed = await call(base, 'DELETE', `/api/saved/${id}`, { token: student });
    assert.equal(removed.status, 204);
    assert.equal(removed.text, '');
    const anew = await call(base, 'POST', '/api/saved', { token: student, body: { scholarshipId: id } });
    assert.equal(anew.status, 201);
    assert.notEqual(anew.body.id, first.body.id);
  });

  it('runs apply → draft save → version conflict → read → delete', async () => {
    const scholarshipId = await firstScholarshipId(base);
    const created = await call(base, 'POST', '/api/applications', { token: student, body: { scholarshipId } });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'draft');
    assert.deepEqual(created.body.draft, { version: 0, fields: {} });
    assert.ok(Date.parse(created.body.createdAt));
    const id = created.body.id;

    const saved = await call(base, 'PUT', `/api/applications/${id}/draft`, {
      token: student,
      body: { version: 0, fields: { essay: 'Hello' } },
    });
    assert.equal(saved.status, 200);
    assert.equal(saved.body.id, id);
    assert.equal(saved.body.version, 1);
    assert.ok(Date.parse(saved.body.savedAt));

    const stale = await call(base, 'PUT', `/api/applications/${id}/draft`, {
      token: student,
      body: { version: 0, fields: { essay: 'Overwrite' } },
    });
    assert.equal(stale.status, 409);
    assertErrorBody(stale.body, 'version_conflict');

    const read = await call(base, 'GET', `/api/applications/${id}`, { token: student });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.draft.fields, { essay: 'Hello' });
    assert.equal(read.body.draft.version, 1);
    assert.equal(read.body.scholarshipId, scholarshipId);

    const deleted = await call(base, 'DELETE', `/api/applications/${id}`, { token: student });
    assert.equal(deleted.status, 204);
    const gone = await call(base, 'GET', `/api/applications/${id}`, { token: student });
    assert.equal(gone.status, 404);
    assertErrorBody(gone.body, 'not_found');
  });

  it('hides other users’ applications as not found', async () => {
    const scholarshipId = await firstScholarshipId(base);
    const created = await call(base, 'POST', '/api/applications', { token: student, body: { scholarshipId } });
    const other = await call(base, 'POST', '/api/auth/signup', {
      body: { email: `other+${Date.now()}@example.test`, password: 'long-enough', role: 'student' },
    });
    const reply = await call(base, 'GET', `/api/applications/${created.body.id}`, { token: other.body.accessToken });
    assert.equal(reply.status, 404);
  });

  it('rejects bad bodies with 400 invalid_request', async () => {
    const cases: [string, string, unknown][] = [
      ['POST', '/api/saved', {}],
      ['POST', '/api/saved', { scholarshipId: 42 }],
      ['POST', '/api/applications', []],
      ['POST', '/api/checkout/init', { planId: null }],
    ];
    for (const [method, path, body] of cases) {
      const reply = await call(base, method, path, { token: student, body });
      assert.equal(reply.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assertErrorBody(reply.body, 'invalid_request');
    }
    const id = (await call(base, 'POST', '/api/applications', {
      token: student,
      body: { scholarshipId: await firstScholarshipId(base) },
    })).body.id;
    const wrongTypes = await call(base, 'PUT', `/api/applications/${id}/draft`, {
      token: student,
      body: { version: '0', fields: 'x' },
    });
    assert.equal(wrongTypes.status, 400);
    assert.match(wrongTypes.body.error.message, /"version".*"fields"/);
  });

  it('turns malformed JSON into the contract error body, not an HTML page', async () => {
    const reply = await call(base, 'POST', '/api/saved', { token: student, rawBody: '{"scholarshipId":' });
    assert.equal(reply.status, 400);
    assert.match(reply.headers.get('content-type') ?? '', /application\/json/);
    assertErrorBody(reply.body, 'invalid_request');
  });

  it('answers 404 for a scholarship that does not exist', async () => {
    const reply = await call(base, 'POST', '/api/saved', { token: student, body: { scholarshipId: 'sch_nope' } });
    assert.equal(reply.status, 404);
    assertErrorBody(reply.body, 'not_found');
  });
});

describe('flags, pricing, checkout, provider', () => {
  it('serves the flags with essay.generate off', async () => {
    const reply = await call(base, 'GET', '/api/flags');
    assert.deepEqual(reply.body, {
      flags: { 'essay.generate': false, 'payments.live': false, 'provider.canary': true },
    });
  });

  it('runs a sandbox checkout: right nonce authorizes, wrong one declines, unknown is 404', async () => {
    const pricing = await call(base, 'GET', '/api/pricing');
    assert.equal(pricing.body.plans.length, 3);
    const plan = pricing.body.plans[1];
    const init = await call(base, 'POST', '/api/checkout/init', { token: student, body: { planId: plan.id } });
    assert.equal(init.status, 201);
    assert.equal(init.body.mode, 'sandbox');
    assert.deepEqual(init.body.amount, plan.price);
    assert.ok(init.body.clientToken && init.body.nonce);
    const wrong = await call(base, 'POST', '/api/checkout/validate', {
      token: student,
      body: { checkoutId: init.body.checkoutId, nonce: 'wrong' },
    });
    assert.deepEqual(wrong.body, { valid: false, status: 'declined' });
    const right = await call(base, 'POST', '/api/checkout/validate', {
      token: student,
      body: { checkoutId: init.body.checkoutId, nonce: init.body.nonce },
    });
    assert.equal(right.status, 200);
    assert.deepEqual(right.body, { valid: true, status: 'authorized' });
    const unknown = await call(base, 'POST', '/api/checkout/validate', {
      token: student,
      body: { checkoutId: 'chk_nope', nonce: 'x' },
    });
    assert.equal(unknown.status, 404);
  });

  it('shows the provider dashboard to the provider with numeric tiles, and 403 to a student', async () => {
    const provider = (await login(base, 'provider')).accessToken;
    const reply = await call(base, 'GET', '/api/provider/dashboard', { token: provider });
    assert.equal(reply.status, 200);
    assert.ok(reply.body.providerId);
    assert.ok(reply.body.listings.active > 0 && reply.body.listings.draft > 0);
    assert.ok(reply.body.applications.received >= reply.body.applications.last7d);
    assert.ok(reply.body.applications.last7d > 0);
    assert.ok(reply.body.tiles.length > 0);
    for (const tile of reply.body.tiles) {
      assert.equal(typeof tile.id, 'string');
      assert.equal(typeof tile.title, 'string');
      assert.equal(typeof tile.value, 'number');
    }
    const denied = await call(base, 'GET', '/api/provider/dashboard', { token: student });
    assert.equal(denied.status, 403);
    assertErrorBody(denied.body, 'forbidden');
  });

  it('leaves synthetic applications out of the provider’s numbers', async () => {
    const provider = (await login(base, 'provider')).accessToken;
    const before = (await call(base, 'GET', '/api/provider/dashboard', { token: provider })).body;
    const own = sandbox.store.search('Northwind', 1, 1).items[0];
    const real = await call(base, 'POST', '/api/applications', { token: student, body: { scholarshipId: own.id } });
    await call(base, 'POST', '/api/applications?e2e=1', { token: student, body: { scholarshipId: own.id } });
    const afterwards = (await call(base, 'GET', '/api/provider/dashboard', { token: provider })).body;
    assert.equal(afterwards.applications.received, before.applications.received + 1);
    await call(base, 'DELETE', `/api/applications/${real.body.id}`, { token: student });
  });
});
