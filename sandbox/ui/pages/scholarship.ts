import type { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { formatDate, formatMoney } from '../format.ts';
import { html } from '../html.ts';
import { errorPage, sendPage } from '../layout.ts';
import { param } from '../../http/params.ts';

// Public page; saving and applying need a session, which the script sends
// the visitor to the login page for.
export function scholarshipPages(r: Router, deps: Deps): void {
  r.get('/scholarships/:id', deps.gate, (req, res) => {
    const s = deps.store.activeScholarship(param(req, 'id'));
    if (!s) return errorPage(res, 404, 'Scholarship not found', 'It may have closed or never existed.');
    const user = res.locals.principal?.user;
    const saved = user ? deps.store.savedItem(user.id, s.id) !== undefined : false;
    sendPage(res, {
      title: s.title,
      name: 'scholarship',
      body: html`<article class="scholarship" data-scholarship-id="${s.id}">
<h1 data-testid="scholarship-title">${s.title}</h1>
<p class="provider">${s.provider.name}</p>
<dl class="facts">
  <dt>Amount</dt><dd>${formatMoney(s.amount)}</dd>
  <dt>Deadline</dt><dd><time datetime="${s.deadline}">${formatDate(s.deadline)}</time></dd>
</dl>
<p>${s.description}</p>
<h2>Eligibility</h2>
<ul>${s.eligibility.map((e) => html`<li>${e}</li>`)}</ul>
<p class="tags">${s.tags.map((t) => html`<span class="tag">${t}</span> `)}</p>
<div class="actions">
  <button type="button" data-testid="save-button" data-scholarship-id="${s.id}" aria-pressed="${saved ? 'true' : 'false'}">Save</button>
  <span data-testid="saved-indicator" role="status"${saved ? '' : html` hidden`}>Saved</span>
  <button type="button" data-testid="apply-button" data-scholarship-id="${s.id}">Apply</button>
  <p class="error" data-action-error role="alert" hidden></p>
</div>
</article>`,
    });
  });
}
