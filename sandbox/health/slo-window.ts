// A fixed-size ring of recent request samples: memory stays bounded however
// long the app runs, and the SLO summary is computed only when asked for.

export interface Sample {
  atMs: number;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  synthetic: boolean;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
}

export interface RouteSummary {
  method: string;
  route: string;
  requests: number;
  errorRate5xx: number;
  latencyMs: LatencySummary;
}

export interface SloSummary {
  windowSeconds: number;
  requests: number;
  availability: number;
  errorRate5xx: number;
  latencyMs: LatencySummary;
  routes: RouteSummary[];
}

export type TrafficFilter = 'all' | 'real' | 'synthetic';

export class SloWindow {
  private readonly ring: (Sample | undefined)[];
  private next = 0;

  constructor(
    readonly windowSeconds: number,
    capacity: number,
  ) {
    this.ring = new Array(capacity);
  }

  add(sample: Sample): void {
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.ring.length;
  }

  summary(nowMs: number, traffic: TrafficFilter = 'all'): SloSummary {
    const since = nowMs - this.windowSeconds * 1000;
    const recent = this.ring.filter(
      (s): s is Sample =>
        s !== undefined &&
        s.atMs >= since &&
        (traffic === 'all' || s.synthetic === (traffic === 'synthetic')),
    );
    const byRoute = new Map<string, Sample[]>();
    for (const s of recent) {
      const key = `${s.method} ${s.route}`;
      const list = byRoute.get(key);
      if (list) list.push(s);
      else byRoute.set(key, [s]);
    }
    const routes = [...byRoute.values()]
      .map((list) => ({ method: list[0].method, route: list[0].route, ...stats(list) }))
      .sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
    const total = stats(recent);
    return {
      windowSeconds: this.windowSeconds,
      requests: total.requests,
      availability: round(1 - total.errorRate5xx, 6),
      errorRate5xx: total.errorRate5xx,
      latencyMs: total.latencyMs,
      routes,
    };
  }
}

function stats(samples: Sample[]): Omit<RouteSummary, 'method' | 'route'> {
  if (samples.length === 0) {
    return { requests: 0, errorRate5xx: 0, latencyMs: { p50: 0, p95: 0, p99: 0 } };
  }
  const errors = samples.filter((s) => s.status >= 500).length;
  const sorted = samples.map((s) => s.durationMs).sort((a, b) => a - b);
  return {
    requests: samples.length,
    errorRate5xx: round(errors / samples.length, 6),
    latencyMs: { p50: rank(sorted, 0.5), p95: rank(sorted, 0.95), p99: rank(sorted, 0.99) },
  };
}

// Nearest-rank percentile: always a latency that was really observed.
function rank(sorted: number[], p: number): number {
  const index = Math.max(0, Math.ceil(p * sorted.length) - 1);
  return round(sorted[index], 3);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
