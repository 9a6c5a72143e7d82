import { chromium, request as playwrightRequest, type Browser } from '@playwright/test';
import type { SuiteConfig } from '../config/load.ts';
import { resolveTarget } from '../../fixtures/target.ts';
import { CHROMIUM_ARGS, findChromium } from '../core/chromium.ts';
import { SchemaRegistry } from '../core/schemas.ts';
import type { TargetSpec } from '../core/target.ts';
import type { WarmSession } from './execute.ts';

/**
 * The warm state of a runner process: schemas compiled once, one request context per target and
 * one browser shared by all targets, launched on first use and relaunched if it dies.
 */
export class Suite {
  readonly schemas: SchemaRegistry;
  private browserPromise?: Promise<Browser>;
  private launched?: Browser;
  private readonly sessions: WarmSession[] = [];

  constructor(readonly config: SuiteConfig) {
    this.schemas = new SchemaRegistry();
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

  async open(spec: TargetSpec): Promise<WarmSession> {
    const target = await resolveTarget(this.config, spec, { followsBuild: true });
    const session: WarmSession = {
      config: this.config,
      schemas: this.schemas,
      target,
      request: await playwrightRequest.newContext(),
      newRequestContext: () => playwrightRequest.newContext(),
      browser: this.browser,
    };
    this.sessions.push(session);
    return session;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sessions.map((s) => s.request.dispose()));
    const browser = this.browserPromise;
    this.browserPromise = this.launched = undefined;
    if (browser) await browser.then((b) => b.close()).catch(() => undefined);
  }
}
