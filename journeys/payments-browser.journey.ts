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
      // The mode is checked before the page sees the response: a live checkout never reaches validation.
      const guard = ctx.guardResponse('POST', '/api/checkout/init', (body) =>
        assertSandboxMode((body as { mode?: unknown } | undefined)?.mode, 'POST /api/checkout/init (page)'));
      await page.getByTestId('checkout-button').click();
      await guard.verdict;
      await page.waitForURL((url) => url.pathname.startsWith('/checkout/'));
    });
    await step('nonce validation', async () => {
      await expect(page.getByTestId('checkout-status')).toHaveText(/Sandbox payment ready/);
    });
  },
});
