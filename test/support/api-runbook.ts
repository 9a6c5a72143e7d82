/**
 * A small runbook of the real shape, API checks only, for end-to-end tests of the gate: with
 * --time-scale 0.05 a minute is 3 s (longer than a test runner's cycle, as a real minute is) and
 * the 10-minute phase window 30 s.
 */
export const RUNBOOK = `
version: 1
monitor: {cadence: 60s, backoff: {retries: 0, minDelay: 1s, factor: 2, maxDelay: 8s}, userAgent: ScholarshipAI-Canary/1.0, e2eFlag: e2e=1}
roles: {sre: "@sre-oncall"}
rollbackSteps: ["Set the canary weight to 0 (@sre-oncall)."]
profiles:
  default:
    description: "API checks only, for a drill against two sandboxes."
    minSamples: 20
    sloPercent: 99.9
    phases:
      - {percent: 5, observe: 10m, payments: {maxTransactions: 100, maxAmountUsd: 20, totalUsd: 1500}}
      - {percent: 25, observe: 10m, payments: {maxTransactions: 100, maxAmountUsd: 20, totalUsd: 1500}}
      - {percent: 50, observe: 10m, payments: {normal: true}}
      - {percent: 100, observe: 10m, payments: {normal: true}}
    checks:
      - {name: availability, kind: gate, metric: journey_success_ratio, against: absolute, op: ">=", threshold: 99, summary: "Journeys pass.", section: Go gates}
      - {name: p95-soak, kind: gate, metric: latency_p95, scope: {routes: critical}, against: absolute, op: "<=", threshold: 130, summary: "P95 at most 130 ms.", section: Go gates}
      - {name: error-5xx, kind: gate, metric: error_5xx_ratio, against: absolute, op: "<=", threshold: 0.5, summary: "5xx at most 0.5%.", section: Go gates}
      - {name: p95-high, kind: trigger, metric: latency_p95, scope: {routes: critical}, against: absolute, op: ">", threshold: 160, for: {minutes: 5}, summary: "P95 above 160 ms for 5 minutes.", section: Rollback triggers}
`;
