// The web UI over plain HTTP: form login, cookies, CSRF, the pages' hooks and
// how they keep e2e=1. (The script's behaviour is for the browser journeys.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertErrorBody, call, firstScholarshipId, formLogin, useSandbox } from './helpers.ts';

let base: string;
useSandbox((s) => (base = s.url));

async function page(path: string, cookie?: string) {
  const res = await fetch(base + path, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

const testids = (html: string) => [...html.matchAll(/data-testid="([^"]+)"/g)].map((m) => m[1]);

describe('form login and cookie session', () => {
  it('sets an HttpOnly session cookie and a readable CSRF cookie, then 303s to next', async () => {
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email: 'synthetic-student@example.test',
        password: 'sandbox-student-pw',
        next: '/pricing',
      }).toString(),
      redirect: 'manual',
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/pricing');
    const cookies = res.headers.getSetCookie();
    const sid = cookies.find((c) => c.startsWith('sid='));
    const csrf = cookies.find((c) => c.startsWith('csrf_token='));
    assert.ok(sid && csrf, cookies.join(' | '));
    assert.match(sid, /HttpOnly/i);
    assert.doesNotMatch(csrf, /HttpOnly/i);
    for (const c of [sid, csrf]) {
      assert.match(c, /SameSite=Lax/i);
      assert.match(c, /Path=\//);
    }
  });

  it('keeps e2e=1 in the redirect when the login carried it, and refuses off-site next', async () => {
    const synthetic = await formLogin(base, 'student', '?e2e=1', '/applications/x');
    assert.equal(synthetic.location, '/applications/x?e2e=1');
    for (const next of ['//evil.test/x', 'https://evil.test/', '/\\evil.test']) {
      const login = await formLogin(base, 'student', '', next);
      assert.equal(login.location, '/', next);
    }
    const none = await formLogin(base, 'student');
    assert.equal(none.location, '/');
  });

  it('shows the login page again with 401 on wrong credentials', async () => {
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=synthetic-student%40example.test&password=nope&next=%2Fpricing',
      redirect: 'manual',
    });
    const html = await res.text();
    assert.equal(res.status, 401);
    assert.equal(res.headers.getSetCookie().length, 0);
    assert.ok(testids(html).includes('login-submit'));
    assert.match(html, /name="next" value="\/pricing"/);
  });

  it('requires x-csrf-token for unsafe /api calls on a cookie session', async () => {
    const session = await formLogin(base, 'student');
    const scholarshipId = await firstScholarshipId(base);
    const without = await call(base, 'POST', '/api/saved', { cookie: session.cookie, body: { scholarshipId } });
    assert.equal(without.status, 403);
    assertErrorBody(without.body, 'csrf_failed');
    const wrong = await call(base, 'POST', '/api/saved', {
      cookie: session.cookie,
      body: { scholarshipId },
      headers: { 'x-csrf-token': 'wrong' },
    });
    assertErrorBody(wrong.body, 'csrf_failed');
    const token = await call(base, 'GET', '/api/auth/csrf', { cookie: session.cookie });
    assert.equal(token.status, 200);
    assert.equal(token.body.csrfToken, session.csrf);
    const ok = await call(base, 'POST', '/api/saved', {
      cookie: session.cookie,
      body: { scholarshipId },
      headers: { 'x-csrf-token': token.body.csrfToken },
    });
    assert.equal(ok.status, 201);
    const read = await call(base, 'GET', '/api/me', { cookie: session.cookie });
    assert.equal(read.status, 200, 'safe methods need no token');
  });

  it('answers GET /api/auth/csrf with 401 without a session', async () => {
    const reply = await call(base, 'GET', '/api/auth/csrf');
    assert.equal(reply.status, 401);
    assertErrorBody(reply.body, 'unauthorized');
  });
});

describe('pages', () => {
  it('renders the search form on / and result links on /search', async () => {
    const home = await page('/');
    assert.equal(home.status, 200);
    assert.deepEqual(
      testids(home.html).filter((t) => t.startsWith('search')),
      ['search-input', 'search-submit'],
    );
    assert.match(home.html, /<form[^>]*method="get"[^>]*action="\/search"/);
    const results = await page('/search?q=nursing');
    const links = [...results.html.matchAll(/<a data-testid="result-item" href="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(links.length > 0);
    assert.ok(links.every((href) => /^\/scholarships\/sch_[0-9a-f]+$/.test(href)), links.join(' '));
  });

  it('keeps e2e=1 in links and forms of a synthetic page', async () => {
    const home = await page('/?e2e=1');
    assert.match(home.html, /<input type="hidden" name="e2e" value="1">/);
    const results = await page('/search?q=nursing&e2e=1');
    const hrefs = [...results.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]).filter((h) => !h.startsWith('data:'));
    assert.ok(hrefs.length > 3);
    assert.ok(hrefs.every((h) => h.includes('e2e=1')), hrefs.join(' '));
  });

  it('renders the details hooks; the saved indicator is hidden until saved', async () => {
    const id = await firstScholarshipId(base);
    const anonymous = await page(`/scholarships/${id}`);
    for (const hook of ['scholarship-title', 'save-button', 'saved-indicator', 'apply-button']) {
      assert.ok(testids(anonymous.html).includes(hook), hook);
    }
    assert.match(anonymous.html, /data-testid="saved-indicator" role="status" hidden/);
    const session = await formLogin(base, 'student');
    await call(base, 'POST', '/api/saved', {
      cookie: session.cookie,
      body: { scholarshipId: id },
      headers: { 'x-csrf-token': session.csrf },
    });
    const saved = await page(`/scholarships/${id}`, session.cookie);
    assert.match(saved.html, /data-testid="saved-indicator" role="status">/);
    assert.equal((await page('/scholarships/sch_nope')).status, 404);
  });

  it('sends a visitor without a session to login, keeping the path and e2e=1', async () => {
    for (const path of ['/applications/app_x', '/provider/dashboard', '/checkout/chk_x']) {
      const res = await page(`${path}?e2e=1`);
      assert.equal(res.status, 303, path);
      const location = new URL(res.headers.get('location')!, base);
      assert.equal(location.pathname, '/login');
      assert.equal(location.searchParams.get('next'), `${path}?e2e=1`);
      assert.equal(location.searchParams.get('e2e'), '1');
    }
    const login = await page('/login?next=%2Fpricing&e2e=1');
    assert.deepEqual(testids(login.html).filter((t) => ['email', 'password', 'login-submit'].includes(t)), [
      'email',
      'password',
      'login-submit',
    ]);
    assert.match(login.html, /action="\/login\?e2e=1"/);
  });

  it('renders the essay page with the autosave status not yet saying Saved', async () => {
    const session = await formLogin(base, 'student');
    const created = await call(base, 'POST', '/api/applications', {
      cookie: session.cookie,
      headers: { 'x-csrf-token': session.csrf },
      body: { scholarshipId: await firstScholarshipId(base) },
    });
    const res = await page(`/applications/${created.body.id}`, session.cookie);
    assert.equal(res.status, 200);
    assert.match(res.html, /<textarea[^>]*data-testid="essay"/);
    const status = /data-testid="autosave-status"[^>]*>([^<]*)</.exec(res.html);
    assert.ok(status);
    assert.notEqual(status[1], 'Saved');
    assert.match(res.html, /data-version="0"/);
  });

  it('shows dashboard tiles to the provider and a 403 page to a student', async () => {
    const provider = await formLogin(base, 'provider');
    const dashboard = await page('/provider/dashboard', provider.cookie);
    assert.equal(dashboard.status, 200);
    assert.ok(testids(dashboard.html).filter((t) => t === 'dashboard-tile').length >= 3);
    const student = await formLogin(base, 'student');
    assert.equal((await page('/provider/dashboard', student.cookie)).status, 403);
  });

  it('renders plans with the first one selected, and a checkout page for one’s own checkout', async () => {
    const pricing = await page('/pricing');
    const pressed = [...pricing.html.matchAll(/data-testid="plan"[^>]*aria-pressed="(true|false)"/g)].map((m) => m[1]);
    assert.deepEqual(pressed, ['true', 'false', 'false']);
    assert.equal(testids(pricing.html).filter((t) => t === 'checkout-button').length, 1);

    const session = await formLogin(base, 'student');
    const init = await call(base, 'POST', '/api/checkout/init', {
      cookie: session.cookie,
      headers: { 'x-csrf-token': session.csrf },
      body: { planId: 'plan_starter' },
    });
    const pending = await page(`/checkout/${init.body.checkoutId}`, session.cookie);
    assert.match(pending.html, /data-testid="checkout-status"[^>]*data-mode="sandbox"[^>]*>Validating/);
    await call(base, 'POST', '/api/checkout/validate', {
      cookie: session.cookie,
      headers: { 'x-csrf-token': session.csrf },
      body: { checkoutId: init.body.checkoutId, nonce: init.body.nonce },
    });
    const ready = await page(`/checkout/${init.body.checkoutId}`, session.cookie);
    assert.match(ready.html, /data-testid="checkout-status"[^>]*>Sandbox payment ready</);
    const other = await formLogin(base, 'provider');
    assert.equal((await page(`/checkout/${init.body.checkoutId}`, other.cookie)).status, 403);
  });

  it('serves the page script from /static with no inline script on the page', async () => {
    const home = await page('/');
    assert.match(home.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(home.html, /<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>/);
    const js = await page('/static/app.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(js.html, /x-csrf-token/);
    assert.equal((await page('/static/nope.js')).status, 404);
  });
});
