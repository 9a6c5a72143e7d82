import { CheckFailure } from '../src/core/errors.ts';
import { logIn } from './steps/accounts.ts';
import { assertSandboxMode } from './steps/payments.ts';
import { apiJourney } from './journey.ts';

interface Plan { id: string; price: { value: number; currency: string } }
interface Checkout { checkoutId: string; nonce: string; mode: string; amount: { value: number; currency: string } }

export default apiJourney({
  id: 'payments-api',
  title: 'Payments sandbox smoke: pricing, checkout init, nonce validation (API)',
  cohort: 'student',
  async run(ctx) {
    const { api, step } = ctx;
    const plan = await step('pricing', async () => {
      const res = await api.get<{ plans: Plan[] }>('/api/pricing', { schema: 'pricing' });
      return res.body.plans[0]!;
    });
    const session = await step('log in', () => logIn(ctx, 'student'));
    const checkout = await step('checkout init', async () => {
      const res = await api.post<Checkout>('/api/checkout/init', {
        token: session.accessToken, body: { planId: plan.id }, bodySchema: 'checkout-init-request', expect: 201, schema: 'checkout-init',
      });
      assertSandboxMode(res.body.mode, 'POST /api/checkout/init');
      if (res.body.amount.currency !== plan.price.currency || res.body.amount.value !== plan.price.value) {
        throw new CheckFailure('POST /api/checkout/init: amount differs from the plan price');
      }
      return res.body;
    });
    await step('nonce validation', async () => {
      const res = await api.post<{ valid: boolean; status: string }>('/api/checkout/validate', {
        token: session.accessToken, body: { checkoutId: checkout.checkoutId, nonce: checkout.nonce },
        bodySchema: 'checkout-validate-request', schema: 'checkout-validate',
      });
      if (!res.body.valid || res.body.status !== 'authorized') {
        throw new CheckFailure(`POST /api/checkout/validate: ${res.body.status}, expected a valid authorized sandbox nonce`);
      }
    });
  },
});
