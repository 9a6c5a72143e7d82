// Liveness, readiness and SLO endpoints any Express app can mount. Nothing in
// here knows about the sandbox: the app hands in its version and its checks.
import { Router, type Request, type RequestHandler } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { runReadinessChecks, type ReadinessCheck } from './readiness.ts';
import { routeLabel, trackRoutePattern } from './route-label.ts';
import { SloWindow, type TrafficFilter } from './slo-window.ts';

export { UNMATCHED } from './route-label.ts';
export type { SloSummary, RouteSummary, LatencySummary } from './slo-window.ts';
export type { ReadinessCheck } from './readiness.ts';

export interface HealthOptions {
  version: string;
  buildId: string;
  gitSha: string;
  /** Named dependency checks for GET /ready; none means always ready. */
  readinessChecks?: Record<string, ReadinessCheck>;
  /** Rolling window of GET /metrics, in seconds (default 300). */
  windowSeconds?: number;
  /** Most recent samples kept for GET /metrics (default 10,000). */
  maxSamples?: number;
  /** Marks synthetic traffic, so GET /metrics?traffic=real|synthetic can split it. */
  isSynthetic?: (req: Request) => boolean;
  /** Histogram buckets in seconds; the defaults carry the latency thresholds as edges. */
  buckets?: number[];
  /** Also expose Node's process metrics on /metrics/prometheus (default false). */
  defaultMetrics?: boolean;
  /** A readiness check slower than this counts as down (default 2000 ms). */
  checkTimeoutMs?: number;
}

export interface HealthEndpoints {
  /** Mount first: it times every request that reaches the app after it. */
  observe: RequestHandler;
  /** GET /health, /ready, /metrics, /metrics/prometheus. */
  router: Router;
  registry: Registry;
}

// Edges at the thresholds the runbook alerts on (0.12, 0.13, 0.15, 0.16, 0.35 s),
// so ratios computed from buckets at those thresholds are exact.
export const DEFAULT_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.12, 0.13, 0.15, 0.16, 0.25, 0.35, 0.5, 1, 2.5, 5, 10,
];

export function healthEndpoints(options: HealthOptions): HealthEndpoints {
  const startedAt = Date.now();
  const window = new SloWindow(options.windowSeconds ?? 300, options.maxSamples ?? 10_000);
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests in seconds, by route pattern',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: options.buckets ?? DEFAULT_BUCKETS,
    registers: [registry],
  });

  const observe: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    trackRoutePattern(req);
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      const route = routeLabel(req);
      histogram.observe(
        { method: req.method, route, status_code: String(res.statusCode) },
        durationMs / 1000,
      );
      window.add({
        atMs: Date.now(),
        method: req.method,
        route,
        status: res.statusCode,
        durationMs,
        synthetic: options.isSynthetic?.(req) ?? false,
      });
    });
    next();
  };

  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
      version: options.version,
      buildId: options.buildId,
      gitSha: options.gitSha,
    });
  });
  router.get('/ready', async (_req, res) => {
    const report = await runReadinessChecks(
      options.readinessChecks ?? {},
      options.checkTimeoutMs ?? 2000,
    );
    res
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
  });
  router.get('/metrics', (req, res) => {
    res.json(window.summary(Date.now(), trafficFilter(req.query.traffic)));
  });
  router.get('/metrics/prometheus', async (_req, res) => {
    res.set('content-type', registry.contentType).send(await registry.metrics());
  });

  return { observe, router, registry };
}

function trafficFilter(value: unknown): TrafficFilter {
  return value === 'real' || value === 'synthetic' ? value : 'all';
}
