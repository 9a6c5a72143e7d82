import type { Money } from '../model.ts';

// Intl formatters are costly to build and cheap to reuse.
const formatters = new Map<string, Intl.NumberFormat>();

export function formatMoney(money: Money): string {
  let f = formatters.get(money.currency);
  if (!f) {
    f = new Intl.NumberFormat('en', { style: 'currency', currency: money.currency });
    formatters.set(money.currency, f);
  }
  return f.format(money.value);
}

export function formatDate(iso: string): string {
  return iso.slice(0, 10);
}
