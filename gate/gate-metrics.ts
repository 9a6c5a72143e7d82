import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Decision } from './decision-types.ts';

const DECISIONS: readonly Decision[] = ['go', 'hold', 'rollback'];

/**
 * The gate's own metrics, served on `/metrics` for the platform to alert on the gate itself: what
 * it last answered per phase and profile, how long deciding takes, how often it fails. Labels are
 * bounded: routes are the server's own, phases the runbook's, profiles only those that decided.
 */
export class GateMetrics {
  readonly registry = new Registry();
  private readonly decision = new Gauge({
    name: 'synthetic_gate_decision',
    help: 'The last decision the gate answered a rollout tool, per phase and profile: 1 for the decision it was, 0 for the others.',
    labelNames: ['phase', 'profile', 'decision'], registers: [this.registry],
  });
  private readonly decideSeconds = new Histogram({
    name: 'synthetic_gate_decide_duration_seconds',
    help: 'Time to decide one request, by route (errors and overruns included).',
    labelNames: ['route'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30], registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'synthetic_gate_errors_total',
    help: 'Requests the gate could not decide (an error or an overrun: answered hold, 500 or 404 by route), by route.',
    labelNames: ['route'], registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: 'synthetic_gate_requests_total',
    help: 'Requests to the gate\'s decision routes, by route and status code.',
    labelNames: ['route', 'code'], registers: [this.registry],
  });

  decided(route: string, phase: number, profile: string, decision: Decision, seconds: number): void {
    for (const d of DECISIONS) this.decision.set({ phase: String(phase), profile, decision: d }, d === decision ? 1 : 0);
    this.decideSeconds.observe({ route }, seconds);
  }

  failed(route: string, seconds: number): void {
    this.errors.inc({ route });
    this.decideSeconds.observe({ route }, seconds);
  }

  answered(route: string, code: number): void {
    this.requests.inc({ route, code: String(code) });
  }
}
