// Product analytics as the real app would keep them. Synthetic traffic (e2e=1)
// is served but never counted: canaries must not inflate funnels.

export const ANALYTICS_EVENTS = [
  'pageViews',
  'searches',
  'signups',
  'logins',
  'saves',
  'applications',
  'checkouts',
] as const;

export type AnalyticsEvent = (typeof ANALYTICS_EVENTS)[number];

export type AnalyticsSnapshot = Record<AnalyticsEvent, number> & { syntheticExcluded: number };

export class Analytics {
  private counters = emptyCounters();
  private syntheticExcluded = 0;

  record(event: AnalyticsEvent, synthetic: boolean): void {
    if (synthetic) this.syntheticExcluded++;
    else this.counters[event]++;
  }

  snapshot(): AnalyticsSnapshot {
    return { ...this.counters, syntheticExcluded: this.syntheticExcluded };
  }

  reset(): void {
    this.counters = emptyCounters();
    this.syntheticExcluded = 0;
  }
}

function emptyCounters(): Record<AnalyticsEvent, number> {
  return Object.fromEntries(ANALYTICS_EVENTS.map((e) => [e, 0])) as Record<AnalyticsEvent, number>;
}
