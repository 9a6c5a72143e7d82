import { expect } from '@playwright/test';
import { logIn } from './steps/accounts.ts';
import { idFromPath, logInThroughPage, navigationStartOf, watchForReady } from './steps/browser.ts';
import { withCleanup } from './steps/cleanup.ts';
import { browserJourney } from './journey.ts';

export default browserJourney({
  id: 'b2c-browser',
  title: 'Search, details, save, apply and autosave (browser)',
  cohort: 'student',
  async run(ctx) {
    const { page, step, api } = ctx;
    await step('log in', () => logInThroughPage(ctx, 'student', '/'));

    await step('search', async () => {
      // Time to value: from the landing page's navigation start to the first frame, on the page
      // showing the results, in which the first match is visible. Both read on the browser's
      // clock (timeOrigin spans the navigation to /search): typing and the click are in it, as a
      // user's would be; the runner's waits and round trips after the click are not (the results
      // page notes the frame itself). Armed before the landing page, so nothing is added between.
      const firstMatch = await watchForReady(page, 'result-item');
      try {
        await page.goto(api.url('/'));
        const [landedAt] = await Promise.all([
          navigationStartOf(page),
          page.getByTestId('search-input').fill(ctx.config.searchQuery),
        ]);
        await page.getByTestId('search-submit').click();
        await page.waitForURL((url) => url.pathname === '/search');
        const [shown] = await Promise.all([firstMatch.moment(), expect(page.getByTestId('result-item').first()).toBeVisible()]);
        if (shown) ctx.timing('time_to_value', shown.at - landedAt);
      } finally {
        await firstMatch.dispose();
      }
    });

    const scholarshipId = await step('details', async () => {
      await page.getByTestId('result-item').first().click();
      await page.waitForURL((url) => url.pathname.startsWith('/scholarships/'));
      await expect(page.getByTestId('scholarship-title')).not.toBeEmpty();
      return idFromPath(page, '/scholarships/');
    });

    let applicationId: string | undefined;
    await withCleanup(ctx, async () => {
      await step('save', async () => {
        await page.getByTestId('save-button').click();
        await expect(page.getByTestId('saved-indicator')).toBeVisible();
      });

      await step('begin application', async () => {
        await page.getByTestId('apply-button').click();
        await page.waitForURL((url) => url.pathname.startsWith('/applications/'));
        applicationId = idFromPath(page, '/applications/');
      });

      await step('draft autosave', async () => {
        const draftSaved = page.waitForResponse(
          (r) => r.request().method() === 'PUT' && /\/api\/applications\/[^/]+\/draft/.test(new URL(r.url()).pathname),
        );
        await page.getByTestId('essay').fill('Synthetic canary draft, typed by the monitoring suite.');
        expect((await draftSaved).status(), 'PUT /api/applications/:id/draft status').toBe(200);
        await expect(page.getByTestId('autosave-status')).toHaveText(/Saved/);
      });
    }, async () => {
      // Clean up through the API: the UI has no delete, and the records must not pile up.
      const session = await logIn(ctx, 'student');
      if (applicationId) await api.delete('/api/applications/:id', { token: session.accessToken, params: { id: applicationId }, expect: 204, schema: null });
      await api.delete('/api/saved/:scholarshipId', { token: session.accessToken, params: { scholarshipId }, expect: [204, 404], schema: null });
    });
  },
});
