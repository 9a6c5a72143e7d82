import { chromium, request as playwrightRequest, type Browser } from '@playwright/test';
import type { SuiteConfig } from '../config/load.ts';
import { resolveTarget } from '../../fixtures/target.ts';
import { CHROMIUM_ARGS, findChromium } from '../core/chromium.ts';
import { SchemaRegistry } from '../core/schemas.ts';
import type { TargetSpec } from '../core/target.ts';
import type { WarmSession } from './execute.ts';
import { RunnerHealth } from './runner-health.ts';
import { FairSlots } from './slots.ts';

/**
 * The warm state of a runner process: schemas compiled once, one request context per target and
 * one browser shared by all targets, launched on first use and relaunched if it dies; the slots
 * that bound how many journeys run at once over all targets; and the runner's health (its event
 * loop and browser watched), which tells the runner's trouble from the target's.
 */
export class Suite {
  readonly schemas: SchemaRegistry;
  readonly health = new RunnerHealth();
  /** Browser contexts at once, over all targets. */
  readonly browserSlots: FairSlots;
  private browserPromise?: Promise<Browser>;
  private launched?: Browser;
  private readonly sessions: WarmSession[] = [];

  constructor(readonly config: SuiteConfig) {
    this.schemas = new SchemaRegistry();
    this.browserSlots = new FairSlots(config.concurrency.browserContexts);
    this.health.watchEventLoop();
  }

  browser = (): Promise<Browser> => {
    // 'disconnected' can lag a crash by a few ms: a browser already known dead is not handed out.
    if (this.launched && !this.launched.isConnected()) this.browserPromise = this.launched = undefined;
    if (!this.browserPromise) {
      // The runner owns SIGTERM/SIGINT (finish the cycle, final push, close): Playwright's own
      // handlers would close the browser under the running cycle, and on SIGINT exit 130 at once.
      const launching = chromium.launch({
        executablePath: findChromium(this.config.chromiumPath), args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false,
      });
      this.browserPromise = launching;
      launching.then(
        (b) => {
          this.launched = b;
          this.health.watchBrowser(b, () => this.browserSlots.inUse > 0);
          b.on('disconnected', () => {
            if (this.browserPromise === launching) this.browserPromise = this.launched = undefined;
          });
        },
        () => {
          if (this.browserPromise === launching) this.browserPromise = undefined;
        },
      );
    }
    return this.browserPromise;
  };

  /** Gives up `browser` (closed in the background, bounded by Playwright's own kill) unless a newer one already replaced it. */
  discardBrowser = (browser: Browser): void => {
    if (this.launched === browser) this.browserPromise = this.launched = undefined;
    void browser.close().catch(() => undefined);
  };

  async open(spec: TargetSpec): Promise<WarmSession> {
    const target = await resolveTarget(this.config, spec, { followsBuild: true });
    const session: WarmSession = {
      config: this.config,
      schemas: this.schemas,
      target,
      request: await playwrightRequest.newContext(),
      newRequestContext: () => playwrightRequest.newContext(),
      browser: this.browser,
      discardBrowser: this.discardBrowser,
      health: this.health,
      browserSlots: this.browserSlots,
    };
    this.sessions.push(session);
    this.browserSlots.join(target.name);
    return session;
  }

  async close(): Promise<void> {
    this.health.stop();
    await Promise.allSettled(this.sessions.map((s) => s.request.dispose()));
    const browser = this.browserPromise;
    this.browserPromise = this.launched = undefined;
    if (browser) await browser.then((b) => b.close()).catch(() => undefined);
  }
}
