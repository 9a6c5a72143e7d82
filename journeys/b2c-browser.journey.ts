import { expect } from '@playwright/test';
import { logIn } from './steps/accounts.ts';
import { idFromPath, logInThroughPage } from './steps/browser.ts';
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
      await page.goto(api.url('/'));
      await page.getByTestId('search-input').fill(ctx.config.searchQuery);
      await page.getByTestId('search-submit').click();
      await page.waitForURL((url) => url.pathname === '/search');
      await expect(page.getByTestId('result-item').first()).toBeVisible();
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
