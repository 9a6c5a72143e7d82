import { expect, type Locator, type Page } from '@playwright/test';

/**
 * Types a credential without it entering Playwright's step titles: `fill('pw')` shows up as
 * `Fill "pw"` in the HTML report and traces, an evaluate argument does not.
 */
async function fillSecret(field: Locator, value: string): Promise<void> {
  await field.evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = v;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}
import type { BrowserJourneyContext } from '../journey.ts';
import { account, type Role } from './accounts.ts';

/** Cookie-session login through the login page, landing on `next`. */
export async function logInThroughPage(ctx: BrowserJourneyContext, role: Role, next = '/'): Promise<void> {
  const { page, api } = ctx;
  const { email, password } = account(ctx, role);
  await page.goto(api.url('/login', undefined, { next }));
  await fillSecret(page.getByTestId('email'), email);
  await fillSecret(page.getByTestId('password'), password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/login'),
    page.getByTestId('login-submit').click(),
  ]);
}

/** The path part of the page URL, checked against a contract pattern like `/applications/:id`. */
export function idFromPath(page: Page, prefix: string): string {
  const path = new URL(page.url()).pathname;
  expect(path.startsWith(prefix), `expected a ${prefix}:id page, got ${prefix}…`).toBe(true);
  return decodeURIComponent(path.slice(prefix.length).split('/')[0] ?? '');
}
