import { randomUUID } from 'node:crypto';
import { CheckFailure } from '../src/core/errors.ts';
import { logIn } from './steps/accounts.ts';
import { apiJourney } from './journey.ts';

export default apiJourney({
  id: 'negative',
  title: 'Malformed payload, expired and missing token, unknown id, over quota',
  cohort: 'student',
  async run(ctx) {
    const { api, step } = ctx;
    const session = await step('log in', () => logIn(ctx, 'student'));

    await step('malformed payload', async () => {
      // Broken JSON and a wrong-typed field: both must be refused with the contract's error body.
      await api.post('/api/applications', {
        token: session.accessToken, body: '{"scholarshipId": ', headers: { 'content-type': 'application/json' },
        expect: 400, errorCode: 'invalid_request',
      });
      await api.post('/api/saved', { token: session.accessToken, body: { scholarshipId: 42 }, expect: 400, errorCode: 'invalid_request' });
    });

    await step('expired token', async () => {
      if (!ctx.target.expiredToken) throw new CheckFailure(`SYNTH_EXPIRED_TOKEN not set for target ${ctx.target.name}`);
      await api.get('/api/me', { token: ctx.target.expiredToken, expect: 401, errorCode: 'token_expired' });
    });

    await step('missing token', async () => {
      await api.get('/api/me', { expect: 401, errorCode: 'unauthorized' });
    });

    await step('unknown id', async () => {
      await api.get('/api/scholarships/:id', { params: { id: `synthetic-missing-${randomUUID()}` }, expect: 404, errorCode: 'not_found' });
    });

    await step('over quota', async () => {
      const quota = await logIn(ctx, 'quota');
      const res = await api.get('/api/me', { token: quota.accessToken, expect: 429, errorCode: 'over_quota' });
      if (!res.headers['retry-after']) throw new CheckFailure('GET /api/me: 429 without retry-after');
    });
  },
});
