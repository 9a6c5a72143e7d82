import type { Browser, CDPSession } from '@playwright/test';

/**
 * The runner's own trouble on a timeline: its event loop blocked, its browser not answering, its
 * browser connection throwing. An attempt that failed in the shadow of such a moment may have
 * failed because of the runner, not the target; `troubleDuring` says what overlapped it.
 */

/** Whom a moment of trouble can have hurt: every attempt (the event loop), or browser attempts. */
export type TroubleScope = 'process' | 'browser';

interface Trouble {
  from: number;
  to: number;
  scope: TroubleScope;
  what: string;
}

/**
 * The runner lost this much of an attempt's time to its own trouble, or more: the attempt's
 * timings and timeouts are not the target's. Less is noise a loaded machine makes all the time;
 * this much eats a real share of a step's timeouts (Playwright's assertions wait 5 s) and of a
 * call's 150 ms budget. One long stall or many short ones (a starved CPU) add up alike.
 */
export const STALL_MS = 1_000;
/** A timer this late, or a browser this slow to answer, is time the runner lost (on a well runner: a few ms). */
const HELD_UP_MS = 100;
/** How often the event loop's lateness and the browser's answer are sampled. */
const SAMPLE_MS = 250;
/** Trouble older than this can no longer overlap a running attempt (the longest is a cycle). */
const KEEP_MS = 15 * 60_000;
/** Never more than this many moments kept, however troubled the runner: state stays bounded. */
const KEEP_MAX = 500;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class RunnerHealth {
  private moments: Trouble[] = [];
  private loopTimer?: NodeJS.Timeout;
  private ping?: BrowserPing;

  /** Notes trouble over [from, to] (a moment: from = to). */
  note(scope: TroubleScope, what: string, from = Date.now(), to = from): void {
    const cutoff = Date.now() - KEEP_MS;
    this.moments = [...this.moments, { from, to, scope, what }].filter((m) => m.to >= cutoff).slice(-KEEP_MAX);
  }

  /**
   * What troubled the runner during [from, to] for an attempt of this kind: the first moment that
   * overlaps it, and a browser that is not answering right now. Undefined: the runner was well.
   */
  troubleDuring(from: number, to: number, kind: 'api' | 'browser'): string | undefined {
    const scopes: TroubleScope[] = kind === 'browser' ? ['process', 'browser'] : ['process'];
    const hits = this.moments.filter((m) => scopes.includes(m.scope) && m.from <= to && m.to >= from);
    // A moment (a fault, a crash) counts alone; stalls count by the time they took, added up.
    const moment = hits.find((m) => m.from === m.to);
    if (moment) return moment.what;
    const lost = hits.reduce((sum, m) => sum + (Math.min(m.to, to) - Math.max(m.from, from)), 0);
    if (lost >= STALL_MS) return hits.length === 1 ? hits[0]!.what : `the runner lost ${seconds(lost)} to ${hits.length} stalls of its own (${hits.map((m) => m.what).slice(0, 2).join('; ')}${hits.length > 2 ? '; …' : ''})`;
    return kind === 'browser' ? this.ping?.stalledSince(from, to) : undefined;
  }

  /**
   * Samples the event loop: a timer that fires STALL_MS or more late means every attempt of the
   * process was frozen that long (a loaded machine, a long synchronous task), and its timings are
   * not the target's. Unref'd: it never keeps the process alive.
   */
  watchEventLoop(): void {
    if (this.loopTimer) return;
    let expected = Date.now() + SAMPLE_MS;
    this.loopTimer = setInterval(() => {
      const now = Date.now();
      const late = now - expected;
      if (late >= HELD_UP_MS) this.note('process', `the runner's event loop was blocked for ${seconds(late)}`, expected, now);
      expected = now + SAMPLE_MS;
    }, SAMPLE_MS).unref();
  }

  /**
   * Pings `browser` while `inUse()` says attempts run in it, so a frozen browser (stopped,
   * starved) is seen as the runner's trouble. Only then: a ping costs ~1 ms of the runner's CPU,
   * and an idle browser has no attempt to excuse.
   */
  watchBrowser(browser: Browser, inUse: () => boolean): void {
    this.ping?.stop(this);
    this.ping = new BrowserPing(browser, this, inUse);
  }

  stop(): void {
    clearInterval(this.loopTimer);
    this.loopTimer = undefined;
    this.ping?.stop(this);
    this.ping = undefined;
  }
}

/**
 * Asks the browser process for its version (a CDP round trip, no page involved, no object made)
 * every SAMPLE_MS. An answer that takes HELD_UP_MS or more is a stall, noted when it comes; a
 * question unanswered for STALL_MS is a stall in progress, which `stalledSince` reports at once.
 */
class BrowserPing {
  private session?: Promise<CDPSession | undefined>;
  private timer?: NodeJS.Timeout;
  private askedAt?: number;
  private stopped = false;

  constructor(browser: Browser, health: RunnerHealth, private readonly inUse: () => boolean) {
    this.session = browser.newBrowserCDPSession().catch(() => undefined);
    this.timer = setInterval(() => void this.ask(health), SAMPLE_MS).unref();
    browser.on('disconnected', () => this.stop(health));
  }

  private async ask(health: RunnerHealth): Promise<void> {
    if (this.askedAt !== undefined || this.stopped || !this.inUse()) return;
    const session = await this.session;
    if (!session || this.stopped) return;
    const asked = (this.askedAt = Date.now());
    try {
      await session.send('Browser.getVersion');
    } catch {
      // A browser that went away is the disconnect's business, not a stall.
    } finally {
      const took = Date.now() - asked;
      if (took >= HELD_UP_MS && !this.stopped) health.note('browser', `the browser did not answer for ${seconds(took)}`, asked, Date.now());
      this.askedAt = undefined;
    }
  }

  /** The stall in progress, if the question now unanswered was asked before `to` and has waited STALL_MS. */
  stalledSince(from: number, to: number): string | undefined {
    const asked = this.askedAt;
    if (asked === undefined || asked > to) return undefined;
    const waited = Date.now() - asked;
    return waited >= STALL_MS && Date.now() >= from ? `the browser has not answered for ${seconds(waited)}` : undefined;
  }

  stop(health: RunnerHealth): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    const asked = this.askedAt;
    if (asked !== undefined && Date.now() - asked >= STALL_MS) health.note('browser', `the browser did not answer for ${seconds(Date.now() - asked)}`, asked, Date.now());
    void this.session?.then((s) => s?.detach()).catch(() => undefined);
  }
}
