import { expect, type Locator, type Page } from '@playwright/test';

/**
 * Types a credential without it entering Playwright's step titles: `fill('pw')` shows up as
 * `Fill "pw"` in the HTML report and traces, an evaluate argument does not.
 */
async function fillSecret(field: Locator, value: string): Promise<void> {
  await field.evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = v;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}
import type { BrowserJourneyContext } from '../journey.ts';
import { account, type Role } from './accounts.ts';

/** Cookie-session login through the login page, landing on `next`. */
export async function logInThroughPage(ctx: BrowserJourneyContext, role: Role, next = '/'): Promise<void> {
  const { page, api } = ctx;
  const { email, password } = account(ctx, role);
  await page.goto(api.url('/login', undefined, { next }));
  await fillSecret(page.getByTestId('email'), email);
  await fillSecret(page.getByTestId('password'), password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/login'),
    page.getByTestId('login-submit').click(),
  ]);
}

/** The path part of the page URL, checked against a contract pattern like `/applications/:id`. */
export function idFromPath(page: Page, prefix: string): string {
  const path = new URL(page.url()).pathname;
  expect(path.startsWith(prefix), `expected a ${prefix}:id page, got ${prefix}…`).toBe(true);
  return decodeURIComponent(path.slice(prefix.length).split('/')[0] ?? '');
}

/** A moment on the page's own clock. */
export interface PageMoment {
  /** The page's `performance.now()`: ms since its document's navigation started (its timeOrigin). */
  sinceNavigationStart: number;
  /** `performance.timeOrigin + performance.now()`: comparable across the pages of one browser, navigations included. */
  at: number;
}

interface WatchArgs {
  key: string;
  testId: string;
  enabled: boolean;
  loaded: boolean;
  limitMs: number;
}

/**
 * Runs in the page (as an init script at document start, or evaluated into the current
 * document): checks on every animation frame whether the first `data-testid` element (document
 * order, open shadow roots searched too) is visible (and enabled, and the page loaded, when asked),
 * and keeps the first frame's moment in a hidden property. Once per document; gives up after
 * `limitMs`. Visible and enabled as Playwright's `toBeVisible` and `toBeEnabled` mean them.
 * Written without inner named functions: the runner loads journeys through tsx, whose transform
 * would wrap those in a helper the page does not have.
 */
const watchInPage = ({ key, testId, enabled, loaded, limitMs }: WatchArgs): void => {
  if (window !== window.top || Object.hasOwn(window, key)) return;
  const state: { at?: number; sinceNavigationStart?: number } = {};
  Object.defineProperty(window, key, { value: state, enumerable: false, configurable: true });
  const selector = `[data-testid="${CSS.escape(testId)}"]`;
  void (async () => {
    const started = performance.now();
    while (performance.now() - started < limitMs) {
      let el: Element | null = null;
      if (!loaded || document.readyState === 'complete') {
        const roots: Array<Document | ShadowRoot> = [document];
        while (!el && roots.length > 0) {
          const root = roots.shift()!;
          el = root.querySelector(selector);
          if (!el) for (const host of root.querySelectorAll('*')) if (host.shadowRoot) roots.push(host.shadowRoot);
        }
      }
      if (el) {
        const style = getComputedStyle(el);
        const boxes = style.display === 'contents' ? [...el.children].map((c) => c.getBoundingClientRect()) : [el.getBoundingClientRect()];
        const visible = style.visibility === 'visible' && !('checkVisibility' in el && !el.checkVisibility())
          && boxes.some((b) => b.width > 0 && b.height > 0);
        if (visible && !(enabled && (el.matches(':disabled') || el.closest('[aria-disabled="true"]')))) {
          const now = performance.now();
          state.sinceNavigationStart = now;
          state.at = performance.timeOrigin + now;
          return;
        }
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  })();
};

/** A watch for the moment an element became ready, armed before the page that shows it loads. */
export interface ReadyWatch {
  /**
   * When it became ready, on the clock of the page showing it: from the watch armed at that
   * document's start, else (a document that was already there, e.g. a same-document navigation)
   * from a watch started now. Undefined when that does not happen within `timeoutMs` or the page
   * goes away: await it next to the journey's own assertion, which then names the failure.
   */
  moment(timeoutMs?: number): Promise<PageMoment | undefined>;
  /** Stops arming the documents that come next. */
  dispose(): Promise<void>;
}

/**
 * Arms every document the page loads from now on (until `dispose`) to note, on its own clock,
 * the first animation frame in which the first `data-testid=testId` element is visible (with
 * `enabled` also enabled; with `loaded` not before the page's load event, i.e. its scripts have
 * run). The moment is the page's, taken in the frame, however late the runner gets to ask: none
 * of the runner's round trips or polling (Playwright's own waits back off to hundreds of ms) is in it.
 */
export async function watchForReady(
  page: Page,
  testId: string,
  opts: { enabled?: boolean; loaded?: boolean; limitMs?: number } = {},
): Promise<ReadyWatch> {
  const args: WatchArgs = {
    key: `__synthetics_ready_${testId}`, testId, enabled: opts.enabled ?? false, loaded: opts.loaded ?? false, limitMs: opts.limitMs ?? 30_000,
  };
  const armed = await page.addInitScript(watchInPage, args);
  return {
    async moment(timeoutMs = 5_000) {
      try {
        await page.evaluate(watchInPage, args).catch(() => undefined); // a no-op where the init script runs
        const handle = await page.waitForFunction((key) => {
          const state = (window as unknown as Record<string, { at?: number; sinceNavigationStart?: number } | undefined>)[key];
          return state?.at !== undefined ? { at: state.at, sinceNavigationStart: state.sinceNavigationStart } : false;
        }, args.key, { polling: 'raf', timeout: timeoutMs });
        const moment = (await handle.jsonValue()) as PageMoment;
        await handle.dispose().catch(() => undefined);
        return moment;
      } catch {
        return undefined;
      }
    },
    dispose: () => armed.dispose().catch(() => undefined),
  };
}

/** The page's `performance.timeOrigin`: when the navigation that made its document started. */
export function navigationStartOf(page: Page): Promise<number> {
  return page.evaluate(() => performance.timeOrigin);
}
