import type { Router } from 'express';
import { dashboardFor } from '../../api/provider.ts';
import type { Deps } from '../../deps.ts';
import { html } from '../html.ts';
import { errorPage, sendPage } from '../layout.ts';
import { pageUser } from '../session.ts';

export function dashboardPages(r: Router, deps: Deps): void {
  r.get('/provider/dashboard', deps.gate, (req, res) => {
    const principal = pageUser(req, res, 'provider');
    if (!principal) return;
    const providerId = principal.user.providerId;
    if (!providerId) return errorPage(res, 403, 'Not allowed', 'This account manages no provider.');
    const dashboard = dashboardFor(deps, providerId);
    sendPage(res, {
      title: 'Provider dashboard',
      name: 'dashboard',
      body: html`<h1>Provider dashboard</h1>
<section class="tiles" data-provider-id="${dashboard.providerId}">
${dashboard.tiles.map(
  (t) => html`<div class="tile" data-testid="dashboard-tile" data-tile-id="${t.id}">
  <h2>${t.title}</h2>
  <p class="value">${t.value}</p>
</div>
`,
)}
</section>`,
    });
  });
}
