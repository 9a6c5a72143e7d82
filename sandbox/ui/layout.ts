import type { Response } from 'express';
import { html, keepE2e, type Html } from './html.ts';

export interface Page {
  title: string;
  /** Names the page for the script (body[data-page]). */
  name: string;
  body: Html;
}

export function sendPage(res: Response, page: Page, status = 200): void {
  res.status(status).type('html').send(layout(res, page));
}

function layout(res: Response, page: Page): string {
  const synthetic = res.locals.synthetic;
  const principal = res.locals.principal;
  const link = (path: string) => keepE2e(path, synthetic);
  const account = principal
    ? html`<span class="who">${principal.user.email}</span>
        ${principal.user.role === 'provider' ? html`<a href="${link('/provider/dashboard')}">Dashboard</a>` : ''}
        <form class="logout" method="post" action="${link('/logout')}">
          <input type="hidden" name="csrf" value="${principal.session?.csrfToken ?? ''}">
          <button type="submit">Sign out</button>
        </form>`
    : html`<a href="${link('/login')}">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · ScholarshipAI</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${link('/static/app.css')}">
<script src="${link('/static/app.js')}" defer></script>
</head>
<body data-page="${page.name}" data-authenticated="${principal ? 'true' : 'false'}">
<header>
  <nav>
    <a class="brand" href="${link('/')}">ScholarshipAI</a>
    <a href="${link('/pricing')}">Pricing</a>
    <span class="account">${account}</span>
  </nav>
</header>
<main>
${page.body}
</main>
</body>
</html>
`.value;
}

export function errorPage(res: Response, status: number, title: string, message: string): void {
  sendPage(
    res,
    {
      title,
      name: 'error',
      body: html`<h1>${title}</h1>
<p>${message}</p>
<p><a href="${keepE2e('/', res.locals.synthetic)}">Back to search</a></p>`,
    },
    status,
  );
}
