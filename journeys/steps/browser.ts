import { expect, type Page } from '@playwright/test';
import type { BrowserJourneyContext } from '../journey.ts';
import { account, type Role } from './accounts.ts';

/** Cookie-session login through the login page, landing on `next`. */
export async function logInThroughPage(ctx: BrowserJourneyContext, role: Role, next = '/'): Promise<void> {
  const { page, api } = ctx;
  const { email, password } = account(ctx, role);
  await page.goto(api.url('/login', undefined, { next }));
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(password);
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
