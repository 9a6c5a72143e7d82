import type { Router } from 'express';
import { parseSearchQuery } from '../../api/query.ts';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../http/errors.ts';
import type { Scholarship } from '../../model.ts';
import { formatDate, formatMoney } from '../format.ts';
import { html, keepE2e } from '../html.ts';
import { errorPage, sendPage } from '../layout.ts';

export function searchPages(r: Router, deps: Deps): void {
  r.get('/', deps.gate, (_req, res) => {
    sendPage(res, {
      title: 'Find scholarships',
      name: 'home',
      body: html`<h1>Find your scholarship</h1>
${searchForm('', res.locals.synthetic)}
<p><a href="${keepE2e('/search?q=', res.locals.synthetic)}">Browse all scholarships</a></p>`,
    });
  });

  r.get('/search', deps.gate, (req, res) => {
    let query;
    try {
      query = parseSearchQuery(req.query as Record<string, unknown>);
    } catch (err) {
      if (err instanceof ApiError) return errorPage(res, 400, 'Bad search', err.message);
      throw err;
    }
    const { q, page, pageSize } = query;
    const { items, total } = deps.store.search(q, page, pageSize);
    if (q.trim()) deps.analytics.record('searches', res.locals.synthetic);
    const synthetic = res.locals.synthetic;
    const pageLink = (p: number) =>
      keepE2e(`/search?q=${encodeURIComponent(q)}&page=${p}&pageSize=${pageSize}`, synthetic);
    const lastPage = Math.max(1, Math.ceil(total / pageSize));
    sendPage(res, {
      title: q ? `Results for ${q}` : 'All scholarships',
      name: 'search',
      body: html`<h1>${q ? html`Results for “${q}”` : 'All scholarships'}</h1>
${searchForm(q, synthetic)}
<p class="count">${total} scholarship${total === 1 ? '' : 's'} found</p>
<ul class="results">
${items.map((s) => html`<li>${resultLink(s, synthetic)}</li>\n`)}
</ul>
<nav class="pager">
${page > 1 ? html`<a rel="prev" href="${pageLink(page - 1)}">Previous</a>` : ''}
<span>Page ${page} of ${lastPage}</span>
${page < lastPage ? html`<a rel="next" href="${pageLink(page + 1)}">Next</a>` : ''}
</nav>`,
    });
  });
}

function resultLink(s: Scholarship, synthetic: boolean) {
  return html`<a data-testid="result-item" href="${keepE2e(`/scholarships/${encodeURIComponent(s.id)}`, synthetic)}">
  <span class="title">${s.title}</span>
  <span class="meta">${s.provider.name} · ${formatMoney(s.amount)} · deadline ${formatDate(s.deadline)}</span>
</a>`;
}

// A GET form drops its action's query string, so e2e=1 rides in a hidden field.
function searchForm(q: string, synthetic: boolean) {
  return html`<form class="search" method="get" action="/search" role="search">
  <label for="q">Search scholarships</label>
  <input id="q" name="q" type="search" value="${q}" placeholder="e.g. nursing, engineering, Helios" data-testid="search-input">
  ${synthetic ? html`<input type="hidden" name="e2e" value="1">` : ''}
  <button type="submit" data-testid="search-submit">Search</button>
</form>`;
}
