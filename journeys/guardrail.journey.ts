import { CheckFailure } from '../src/core/errors.ts';
import { apiJourney } from './journey.ts';

export default apiJourney({
  id: 'guardrail',
  title: 'Feature-flag guardrails',
  cohort: 'anonymous',
  async run({ api, step }) {
    await step('flags', async () => {
      const res = await api.get<{ flags: Record<string, boolean> }>('/api/flags', { schema: 'flags' });
      if (res.body.flags['essay.generate'] !== false) {
        throw new CheckFailure('GET /api/flags: essay.generate is on (AI essay writing must stay off)');
      }
    });
  },
});
