import { expect } from '@playwright/test';
import { assertSandboxMode } from './steps/payments.ts';
import { logInThroughPage } from './steps/browser.ts';
import { browserJourney } from './journey.ts';

export default browserJourney({
  id: 'payments-browser',
  title: 'Payments sandbox smoke: pricing, checkout, nonce validation (browser)',
  cohort: 'student',
  async run(ctx) {
    const { page, step } = ctx;
    await step('log in', () => logInThroughPage(ctx, 'student', '/pricing'));
    await step('pricing', async () => {
      await page.waitForURL((url) => url.pathname === '/pricing');
      await expect(page.getByTestId('plan').first()).toBeVisible();
    });
    await step('checkout init', async () => {
      const init = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/api/checkout/init'));
      await page.getByTestId('checkout-button').click();
      const res = await init;
      // Read the mode before the page goes on to validate anything.
      assertSandboxMode(((await res.json().catch(() => ({}))) as { mode?: unknown }).mode, 'POST /api/checkout/init (page)');
      await page.waitForURL((url) => url.pathname.startsWith('/checkout/'));
    });
    await step('nonce validation', async () => {
      await expect(page.getByTestId('checkout-status')).toHaveText(/Sandbox payment ready/);
    });
  },
});
