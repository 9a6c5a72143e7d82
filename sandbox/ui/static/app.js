// The pages' only script (the CSP allows no inline code). It talks to the API
// with the cookie session plus the x-csrf-token header, and keeps e2e=1 on
// every request and navigation when the page itself carries it.
(() => {
  'use strict';

  const e2e = new URLSearchParams(location.search).get('e2e') === '1';
  const signedIn = document.body.dataset.authenticated === 'true';
  const $ = (selector) => document.querySelector(selector);

  function keepE2e(target) {
    const url = new URL(target, location.href);
    if (url.origin !== location.origin) return url.href;
    if (e2e && url.searchParams.get('e2e') !== '1') url.searchParams.set('e2e', '1');
    return url.pathname + url.search + url.hash;
  }

  function csrfToken() {
    for (const part of document.cookie.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === 'csrf_token') return decodeURIComponent(rest.join('='));
    }
    return '';
  }

  async function api(method, path, payload) {
    try {
      const res = await fetch(keepE2e(path), {
        method,
        credentials: 'same-origin',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'x-csrf-token': csrfToken(),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      let data = null;
      try {
        data = await res.json();
      } catch {
        // 204 and non-JSON bodies carry nothing to read.
      }
      return { status: res.status, ok: res.ok, data };
    } catch (err) {
      return { status: 0, ok: false, data: null, networkError: String(err) };
    }
  }

  function goToLogin() {
    location.assign(keepE2e('/login?next=' + encodeURIComponent(location.pathname + location.search)));
  }

  function showError(result) {
    const box = $('[data-action-error]');
    if (!box) return;
    const message = result.data && result.data.error ? result.data.error.message : 'request failed';
    box.textContent = `Something went wrong (${result.status || 'network'}): ${message}`;
    box.hidden = false;
  }

  // The server already writes e2e=1 into links and forms; this is the safety
  // net for any it missed.
  function markLinksSynthetic() {
    if (!e2e) return;
    for (const a of document.querySelectorAll('a[href]')) {
      const href = a.getAttribute('href');
      if (href && !href.startsWith('#')) a.setAttribute('href', keepE2e(href));
    }
    for (const form of document.querySelectorAll('form')) {
      if ((form.getAttribute('method') || 'get').toLowerCase() === 'get') {
        if (!form.querySelector('input[name="e2e"]')) {
          const input = document.createElement('input');
          input.type = 'hidden';
          input.name = 'e2e';
          input.value = '1';
          form.append(input);
        }
      } else if (form.getAttribute('action')) {
        form.setAttribute('action', keepE2e(form.getAttribute('action')));
      }
    }
  }

  function scholarshipPage() {
    const save = $('[data-testid="save-button"]');
    const indicator = $('[data-testid="saved-indicator"]');
    const apply = $('[data-testid="apply-button"]');
    if (!save || !apply) return;

    save.addEventListener('click', async () => {
      if (!signedIn) return goToLogin();
      save.disabled = true;
      const result = await api('POST', '/api/saved', { scholarshipId: save.dataset.scholarshipId });
      save.disabled = false;
      if (result.status === 401) return goToLogin();
      if (!result.ok) return showError(result);
      save.setAttribute('aria-pressed', 'true');
      indicator.hidden = false;
    });

    apply.addEventListener('click', async () => {
      if (!signedIn) return goToLogin();
      apply.disabled = true;
      const result = await api('POST', '/api/applications', { scholarshipId: apply.dataset.scholarshipId });
      apply.disabled = false;
      if (result.status === 401) return goToLogin();
      if (!result.ok) return showError(result);
      location.assign(keepE2e('/applications/' + encodeURIComponent(result.data.id)));
    });
  }

  // Debounced autosave. One PUT at a time: edits made while a save is in
  // flight are saved right after it, with the version it returned.
  function applicationPage() {
    const essay = $('[data-testid="essay"]');
    const status = $('[data-testid="autosave-status"]');
    const form = essay && essay.closest('[data-application-id]');
    if (!essay || !status || !form) return;
    const versionLabel = $('[data-draft-version]');
    const id = form.dataset.applicationId;
    let version = Number(form.dataset.version);
    let timer;
    let saving = false;
    let dirty = false;

    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(flush, 300);
    };

    essay.addEventListener('input', () => {
      dirty = true;
      status.textContent = 'Editing…';
      schedule();
    });

    async function flush() {
      if (saving || !dirty) return;
      saving = true;
      dirty = false;
      status.textContent = 'Saving…';
      const result = await api('PUT', `/api/applications/${encodeURIComponent(id)}/draft`, {
        version,
        fields: { essay: essay.value },
      });
      saving = false;
      if (result.status === 401) return goToLogin();
      if (!result.ok) {
        status.textContent =
          result.status === 409
            ? 'Save failed: a newer version exists, reload the page'
            : `Save failed (${result.status || 'network'})`;
        return;
      }
      version = result.data.version;
      form.dataset.version = String(version);
      if (versionLabel) versionLabel.textContent = String(version);
      if (dirty) {
        status.textContent = 'Editing…';
        schedule();
      } else {
        status.textContent = 'Saved';
      }
    }
  }

  function pricingPage() {
    const plans = [...document.querySelectorAll('[data-testid="plan"]')];
    const checkout = $('[data-testid="checkout-button"]');
    if (!checkout || plans.length === 0) return;
    for (const plan of plans) {
      plan.addEventListener('click', () => {
        for (const other of plans) other.setAttribute('aria-pressed', String(other === plan));
      });
    }
    checkout.addEventListener('click', async () => {
      if (!signedIn) return goToLogin();
      const selected = plans.find((p) => p.getAttribute('aria-pressed') === 'true') || plans[0];
      checkout.disabled = true;
      const result = await api('POST', '/api/checkout/init', { planId: selected.dataset.planId });
      checkout.disabled = false;
      if (result.status === 401) return goToLogin();
      if (!result.ok) return showError(result);
      // Never continue towards a real payment.
      if (result.data.mode !== 'sandbox') {
        return showError({ status: result.status, data: { error: { message: 'checkout is not in sandbox mode' } } });
      }
      try {
        sessionStorage.setItem('checkout-nonce:' + result.data.checkoutId, result.data.nonce);
      } catch {
        // Without storage the checkout page reports that it cannot validate.
      }
      location.assign(keepE2e('/checkout/' + encodeURIComponent(result.data.checkoutId)));
    });
  }

  async function checkoutPage() {
    const status = $('[data-testid="checkout-status"]');
    if (!status || status.dataset.state === 'ready') return;
    if (status.dataset.mode !== 'sandbox') {
      status.textContent = 'Not a sandbox payment: stopped';
      return;
    }
    const checkoutId = status.dataset.checkoutId;
    let nonce = null;
    try {
      nonce = sessionStorage.getItem('checkout-nonce:' + checkoutId);
    } catch {
      nonce = null;
    }
    if (!nonce) {
      status.textContent = 'Payment not validated: start again from the pricing page';
      return;
    }
    const result = await api('POST', '/api/checkout/validate', { checkoutId, nonce });
    if (result.status === 401) return goToLogin();
    if (result.ok && result.data.valid === true && result.data.status === 'authorized') {
      status.dataset.state = 'ready';
      status.textContent = 'Sandbox payment ready';
    } else {
      status.textContent = `Payment declined (${result.status || 'network'})`;
    }
  }

  markLinksSynthetic();
  const pages = {
    scholarship: scholarshipPage,
    application: applicationPage,
    pricing: pricingPage,
    checkout: checkoutPage,
  };
  const init = pages[document.body.dataset.page];
  if (init) init();
})();
