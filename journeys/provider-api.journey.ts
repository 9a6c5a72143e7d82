import { CheckFailure } from '../src/core/errors.ts';
import { logIn } from './steps/accounts.ts';
import { apiJourney } from './journey.ts';

export default apiJourney({
  id: 'provider-api',
  title: 'Provider dashboard, read only (API)',
  cohort: 'provider',
  async run(ctx) {
    const session = await ctx.step('log in', () => logIn(ctx, 'provider'));
    await ctx.step('dashboard', async () => {
      const res = await ctx.api.get<{ tiles: unknown[] }>('/api/provider/dashboard', { token: session.accessToken, schema: 'provider-dashboard' });
      if (res.body.tiles.length === 0) throw new CheckFailure('GET /api/provider/dashboard: no tiles');
    });
  },
});
