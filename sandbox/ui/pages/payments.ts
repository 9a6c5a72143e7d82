import type { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { formatMoney } from '../format.ts';
import { html } from '../html.ts';
import { errorPage, sendPage } from '../layout.ts';
import { pageUser } from '../session.ts';
import { param } from '../../http/params.ts';

export const PAYMENT_READY_TEXT = 'Sandbox payment ready';

export function paymentPages(r: Router, deps: Deps): void {
  // Public, so the plans can be compared; the checkout button needs a session.
  r.get('/pricing', deps.gate, (_req, res) => {
    sendPage(res, {
      title: 'Pricing',
      name: 'pricing',
      body: html`<h1>Buy credits</h1>
<div class="plans" role="group" aria-label="Plans">
${deps.store.plans.map(
  (p, i) => html`<button type="button" class="plan" data-testid="plan" data-plan-id="${p.id}" aria-pressed="${i === 0 ? 'true' : 'false'}">
  <span class="name">${p.name}</span>
  <span class="credits">${p.credits} credits</span>
  <span class="price">${formatMoney(p.price)}</span>
</button>
`,
)}
</div>
<button type="button" data-testid="checkout-button">Continue to checkout</button>
<p class="error" data-action-error role="alert" hidden></p>`,
    });
  });

  // The script validates the nonce it got from checkout/init and only then
  // says the payment is ready; an already-authorized checkout says so at once.
  r.get('/checkout/:id', deps.gate, (req, res) => {
    const principal = pageUser(req, res, 'student');
    if (!principal) return;
    const checkout = deps.store.ownCheckout(principal.user.id, param(req, 'id'));
    if (!checkout) return errorPage(res, 404, 'Checkout not found', 'Start again from the pricing page.');
    const plan = deps.store.plans.find((p) => p.id === checkout.planId);
    const ready = checkout.status === 'authorized' && checkout.mode === 'sandbox';
    sendPage(res, {
      title: 'Checkout',
      name: 'checkout',
      body: html`<h1>Checkout</h1>
<p>${plan?.name ?? checkout.planId} · ${formatMoney(checkout.amount)}</p>
<p data-testid="checkout-status" role="status" aria-live="polite" data-checkout-id="${checkout.id}" data-mode="${checkout.mode}" data-state="${ready ? 'ready' : 'pending'}">${ready ? PAYMENT_READY_TEXT : 'Validating payment…'}</p>`,
    });
  });
}
