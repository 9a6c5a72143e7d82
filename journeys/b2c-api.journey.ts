import { CheckFailure } from '../src/core/errors.ts';
import { logIn } from './steps/accounts.ts';
import { searchScholarships } from './steps/b2c.ts';
import { withCleanup } from './steps/cleanup.ts';
import { apiJourney } from './journey.ts';

interface Saved { id: string; scholarshipId: string }
interface Application { id: string; draft: { version: number } }

export default apiJourney({
  id: 'b2c-api',
  title: 'Search, details, save, apply and autosave (API)',
  cohort: 'student',
  async run(ctx) {
    const { api, step } = ctx;
    const session = await step('log in', () => logIn(ctx, 'student'));
    const token = session.accessToken;
    const [first] = await step('search', () => searchScholarships(ctx));
    const scholarshipId = first!.id;

    await step('details', async () => {
      const res = await api.get<{ id: string }>('/api/scholarships/:id', { params: { id: scholarshipId }, schema: 'scholarship-detail' });
      if (res.body.id !== scholarshipId) throw new CheckFailure('GET /api/scholarships/:id: returned another scholarship');
    });

    let createdSave = false;
    let applicationId: string | undefined;
    await withCleanup(ctx, async () => {
      await step('save', async () => {
        const res = await api.post<Saved>('/api/saved', {
          token, body: { scholarshipId }, bodySchema: 'saved-request', expect: [201, 200], schema: 'saved',
        });
        createdSave = res.status === 201;
        if (res.body.scholarshipId !== scholarshipId) throw new CheckFailure('POST /api/saved: saved another scholarship');
      });

      const application = await step('begin application', async () => {
        const res = await api.post<Application>('/api/applications', {
          token, body: { scholarshipId }, bodySchema: 'application-request', expect: 201, schema: 'application',
        });
        applicationId = res.body.id;
        return res.body;
      });

      await step('draft autosave', async () => {
        const fields = { essay: 'Synthetic canary draft: this text is written by the monitoring suite.' };
        const saved = await api.put<{ version: number }>('/api/applications/:id/draft', {
          token, params: { id: application.id }, body: { version: application.draft.version, fields },
          bodySchema: 'draft-request', schema: 'draft-saved',
        });
        if (saved.body.version !== application.draft.version + 1) {
          throw new CheckFailure(`PUT /api/applications/:id/draft: version ${saved.body.version}, expected ${application.draft.version + 1}`);
        }
        const read = await api.get<{ draft: { version: number } }>('/api/applications/:id', {
          token, params: { id: application.id }, schema: 'application-detail',
        });
        if (read.body.draft.version !== saved.body.version) {
          throw new CheckFailure(`GET /api/applications/:id: draft version ${read.body.draft.version}, expected ${saved.body.version}`);
        }
      });
    }, async () => {
      if (applicationId) await api.delete('/api/applications/:id', { token, params: { id: applicationId }, expect: 204, schema: null });
      if (createdSave) await api.delete('/api/saved/:scholarshipId', { token, params: { scholarshipId }, expect: 204, schema: null });
    });
  },
});
