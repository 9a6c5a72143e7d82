// The page script in a real browser: the flows the browser journeys depend on.
// Skipped when no Chromium is installed (set CHROMIUM_PATH to point at one).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { RunningSandbox } from '../../sandbox/server.ts';
import { SANDBOX_ACCOUNTS, call, start } from './helpers.ts';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(executablePath) ? false : `no Chromium at ${executablePath}`;

let sandbox: RunningSandbox;
let base: string;
let browser: Browser;

before(async () => {
  if (skip) return;
  sandbox = await start();
  base = sandbox.url;
  browser = await chromium.launch({
    executablePath,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
after(async () => {
  await browser?.close();
  await sandbox?.close();
});

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

async function signIn(page: Page, kind: keyof typeof SANDBOX_ACCOUNTS) {
  await byTestId(page, 'email').fill(SANDBOX_ACCOUNTS[kind].email);
  await byTestId(page, 'password').fill(SANDBOX_ACCOUNTS[kind].password);
  await byTestId(page, 'login-submit').click();
}

describe('browser flows', { skip }, () => {
  it('search → details → login → save → apply → autosave, all marked e2e=1', async () => {
    await call(base, 'DELETE', '/__sandbox/requests');
    await call(base, 'DELETE', '/__sandbox/analytics');
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));

    await page.goto(`${base}/?e2e=1`);
    await byTestId(page, 'search-input').fill('nursing');
    await byTestId(page, 'search-submit').click();
    await page.waitForURL(/\/search\?q=nursing&e2e=1$/);
    await byTestId(page, 'result-item').first().click();
    await page.waitForURL(/\/scholarships\/sch_\w+\?e2e=1$/);
    const detailsUrl = page.url();

    await byTestId(page, 'save-button').click();
    await page.waitForURL(/\/login\?/);
    await signIn(page, 'student');
    await page.waitForURL(detailsUrl);

    assert.equal(await byTestId(page, 'saved-indicator').isVisible(), false);
    await byTestId(page, 'save-button').click();
    await byTestId(page, 'saved-indicator').waitFor({ state: 'visible' });

    await byTestId(page, 'apply-button').click();
    await page.waitForURL(/\/applications\/app_\w+\?e2e=1$/);
    await byTestId(page, 'essay').pressSequentially('My essay', { delay: 20 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="autosave-status"]')?.textContent === 'Saved',
    );
    assert.equal(await page.locator('[data-draft-version]').textContent(), '1');
    await byTestId(page, 'essay').pressSequentially(', continued', { delay: 20 });
    await page.waitForFunction(() => document.querySelector('[data-draft-version]')?.textContent === '2');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="autosave-status"]')?.textContent === 'Saved',
    );
    const id = new URL(page.url()).pathname.split('/').pop()!;
    assert.deepEqual(sandbox.store.applications.get(id)?.draft.fields, { essay: 'My essay, continued' });
    assert.equal(sandbox.store.applications.get(id)?.synthetic, true);

    const log = (await call(base, 'GET', '/__sandbox/requests')).body as { path: string; query: any }[];
    const unmarked = log.filter((r) => r.query.e2e !== '1').map((r) => r.path);
    assert.deepEqual(unmarked, [], 'every request of the visit carries e2e=1');
    const analytics = (await call(base, 'GET', '/__sandbox/analytics')).body;
    assert.equal(analytics.pageViews + analytics.searches + analytics.logins + analytics.saves, 0);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it('pricing → checkout → sandbox payment ready', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/login?next=${encodeURIComponent('/pricing?e2e=1')}&e2e=1`);
    await signIn(page, 'student');
    await page.waitForURL(/\/pricing\?e2e=1$/);
    const plans = byTestId(page, 'plan');
    assert.equal(await plans.nth(0).getAttribute('aria-pressed'), 'true');
    await plans.nth(2).click();
    assert.equal(await plans.nth(0).getAttribute('aria-pressed'), 'false');
    assert.equal(await plans.nth(2).getAttribute('aria-pressed'), 'true');
    await byTestId(page, 'checkout-button').click();
    await page.waitForURL(/\/checkout\/chk_\w+\?e2e=1$/);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="checkout-status"]')?.textContent === 'Sandbox payment ready',
    );
    const checkoutId = new URL(page.url()).pathname.split('/').pop()!;
    assert.equal(sandbox.store.checkouts.get(checkoutId)?.planId, 'plan_pro');
    assert.equal(sandbox.store.checkouts.get(checkoutId)?.status, 'authorized');
    await context.close();
  });

  it('provider dashboard tiles after login', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/provider/dashboard`);
    await page.waitForURL(/\/login\?next=/);
    await signIn(page, 'provider');
    await page.waitForURL(/\/provider\/dashboard$/);
    assert.ok((await byTestId(page, 'dashboard-tile').count()) >= 3);
    await context.close();
  });
});
