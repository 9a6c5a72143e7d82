// A minimal HTML template tag: every interpolated value is escaped unless it
// is itself Html, so a scholarship title can never inject markup.

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Adds e2e=1 to a same-origin path when the current page is synthetic, so the whole visit stays marked. */
export function keepE2e(path: string, synthetic: boolean): string {
  if (!synthetic) return path;
  const url = new URL(path, 'http://sandbox.invalid');
  url.searchParams.set('e2e', '1');
  return url.pathname + url.search + url.hash;
}
