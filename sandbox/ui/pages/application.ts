import type { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { html, keepE2e } from '../html.ts';
import { errorPage, sendPage } from '../layout.ts';
import { pageUser } from '../session.ts';
import { param } from '../../http/params.ts';

// The essay autosaves from the script: a debounced PUT of the draft carrying
// the version this page last saw, so a concurrent save elsewhere is a 409.
export function applicationPages(r: Router, deps: Deps): void {
  r.get('/applications/:id', deps.gate, (req, res) => {
    const principal = pageUser(req, res, 'student');
    if (!principal) return;
    const application = deps.store.ownApplication(principal.user.id, param(req, 'id'));
    if (!application) return errorPage(res, 404, 'Application not found', 'It may have been withdrawn.');
    const scholarship = deps.store.scholarships.get(application.scholarshipId);
    const essay = application.draft.fields.essay;
    sendPage(res, {
      title: 'Your application',
      name: 'application',
      body: html`<h1>Application${scholarship ? html`: ${scholarship.title}` : ''}</h1>
${scholarship ? html`<p><a href="${keepE2e(`/scholarships/${encodeURIComponent(scholarship.id)}`, res.locals.synthetic)}">About this scholarship</a></p>` : ''}
<form class="draft" data-application-id="${application.id}" data-version="${application.draft.version}">
  <label for="essay">Personal essay</label>
  <textarea id="essay" name="essay" rows="14" data-testid="essay">${typeof essay === 'string' ? essay : ''}</textarea>
  <p class="autosave">Draft version <span data-draft-version>${application.draft.version}</span> ·
    <span data-testid="autosave-status" role="status" aria-live="polite">Autosave on</span></p>
</form>`,
    });
  });
}
