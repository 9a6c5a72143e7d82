import { expect } from '@playwright/test';
import { logInThroughPage, watchForReady } from './steps/browser.ts';
import { browserJourney } from './journey.ts';

export default browserJourney({
  id: 'provider-browser',
  title: 'Provider dashboard, read only (browser)',
  cohort: 'provider',
  async run(ctx) {
    // Time to first interaction: from the dashboard document's navigation start (its timeOrigin,
    // so the page's performance.now(); reached through the login form, that is the form's submit,
    // redirected here) to the first frame, from its load event on (its scripts have run), in which
    // its first tile is visible and enabled: usable, not just painted. Armed before the login, so
    // the dashboard notes the moment itself, whenever the runner gets to ask.
    const tilesUsable = await watchForReady(ctx.page, 'dashboard-tile', { enabled: true, loaded: true });
    try {
      await ctx.step('log in', () => logInThroughPage(ctx, 'provider', '/provider/dashboard'));
      await ctx.step('dashboard', async () => {
        const { page } = ctx;
        await page.waitForURL((url) => url.pathname === '/provider/dashboard');
        const tile = page.getByTestId('dashboard-tile').first();
        const [usable] = await Promise.all([tilesUsable.moment(), expect(tile).toBeVisible()]);
        await expect(tile).toBeEnabled();
        if (usable) ctx.timing('time_to_first_interaction', usable.sinceNavigationStart);
      });
    } finally {
      await tilesUsable.dispose();
    }
  },
});
