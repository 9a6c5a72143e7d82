import type { Router } from 'express';
import { currentUser } from '../auth.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../http/errors.ts';
import { string, validate } from '../http/validate.ts';
import type { Chain } from './chain.ts';
import { checkoutInitView } from './views.ts';

// Payments exist only in sandbox mode here: no real money can move, and the
// payment journey checks `mode` to be sure of it.
export function paymentRoutes(r: Router, deps: Deps, on: Chain): void {
  r.get('/pricing', ...on('public'), (_req, res) => {
    res.json({
      plans: deps.store.plans.map((p) => ({ id: p.id, name: p.name, price: { ...p.price }, credits: p.credits })),
    });
  });

  r.post('/checkout/init', ...on('student'), (req, res) => {
    const { planId } = validate<{ planId: string }>(req.body, { planId: string({ minLength: 1 }) });
    const plan = deps.store.plans.find((p) => p.id === planId);
    if (!plan) throw notFound('Plan');
    const checkout = deps.store.createCheckout(currentUser(res).id, plan, res.locals.synthetic);
    deps.analytics.record('checkouts', res.locals.synthetic);
    res.status(201).json(checkoutInitView(checkout));
  });

  r.post('/checkout/validate', ...on('student'), (req, res) => {
    const body = validate<{ checkoutId: string; nonce: string }>(req.body, {
      checkoutId: string({ minLength: 1 }),
      nonce: string(),
    });
    const checkout = deps.store.ownCheckout(currentUser(res).id, body.checkoutId);
    if (!checkout) throw notFound('Checkout');
    const valid = body.nonce === checkout.nonce;
    checkout.status = valid ? 'authorized' : 'declined';
    res.json({ valid, status: checkout.status });
  });
}
