import { expect } from '@playwright/test';
import { logInThroughPage } from './steps/browser.ts';
import { browserJourney } from './journey.ts';

export default browserJourney({
  id: 'provider-browser',
  title: 'Provider dashboard, read only (browser)',
  cohort: 'provider',
  async run(ctx) {
    await ctx.step('log in', () => logInThroughPage(ctx, 'provider', '/provider/dashboard'));
    await ctx.step('dashboard', async () => {
      await ctx.page.waitForURL((url) => url.pathname === '/provider/dashboard');
      await expect(ctx.page.getByTestId('dashboard-tile').first()).toBeVisible();
    });
  },
});
