import { toLabel } from '../src/core/labels.ts';
import type { Ledger, Slot } from './ledger.ts';
import { promQuery } from './prometheus-source.ts';

/**
 * Flagger's step, for `?phase=current`. Flagger's webhook payload is `{name, namespace, phase,
 * checksum, metadata}` (fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go `CanaryWebhookPayload`):
 * no weight. The gate reads the weight Flagger itself exports, `flagger_canary_weight{workload,
 * namespace}` (pkg/metrics/recorder.go `SetWeight`: workload is `spec.targetRef.name`, set each
 * time the weight changes), from the Prometheus that scrapes Flagger. Chosen over the Canary's
 * `status.canaryWeight` through the Kubernetes API: no RBAC on the application's namespaces, no
 * API client, and the gate already reads that Prometheus.
 *
 * A scrape lags: right after the gate said go at 5%, Flagger moves to 25% but the series may still
 * say 5 until the next scrape, and judging "phase 5" again would let 25% pass unwatched. So each go
 * is kept in the ledger with its weight (per canary and checksum: a new revision starts afresh),
 * and a weight sample scraped before the last go is not trusted (`staleAfterGo`): the gate says
 * no until a newer one comes.
 */
export interface FlaggerPayload {
  name: string;
  namespace: string;
  /** Flagger's checksum of the canary revision: what resets the kept go. */
  checksum: string;
  /** The Deployment Flagger shifts weight to: `metadata.workload`, else the Canary's own name. */
  workload: string;
  metadata: Record<string, unknown>;
}

export interface CanaryWeight {
  weight: number;
  /** When Prometheus scraped it, epoch ms. */
  sampledAt: number;
}

export type WeightReader = (who: { namespace: string; workload: string }) => Promise<CanaryWeight | undefined>;

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Flagger's payload, or one sentence saying what is wrong with it. */
export function flaggerPayloadOf(body: string | undefined): FlaggerPayload | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return 'the body is not JSON: phase=current needs Flagger\'s webhook payload {name, namespace, checksum, metadata}';
  }
  const p = (parsed ?? {}) as Record<string, unknown>;
  const metadata = (typeof p.metadata === 'object' && p.metadata !== null ? p.metadata : {}) as Record<string, unknown>;
  const workload = typeof metadata.workload === 'string' && metadata.workload !== '' ? metadata.workload : p.name;
  for (const [key, value] of [['name', p.name], ['namespace', p.namespace], ['metadata.workload', workload]] as const) {
    if (typeof value !== 'string' || !NAME.test(value)) return `"${key}" must be a Kubernetes name: phase=current needs Flagger's webhook payload`;
  }
  return { name: p.name as string, namespace: p.namespace as string, workload: workload as string, checksum: typeof p.checksum === 'string' ? p.checksum : '', metadata };
}

/** `flagger_canary_weight` of one canary workload through the Prometheus HTTP API; undefined: no such series. */
export function prometheusWeights(prometheusUrl: string): WeightReader {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return async ({ namespace, workload }) => {
    const selector = `flagger_canary_weight{workload="${esc(workload)}",namespace="${esc(namespace)}"}`;
    const now = Date.now();
    const [values, times] = await Promise.all([promQuery(prometheusUrl, `max(${selector})`, now), promQuery(prometheusUrl, `max(timestamp(${selector}))`, now)]);
    const weight = Number(values[0]?.value[1]);
    const sampledAt = Number(times[0]?.value[1]) * 1000;
    return Number.isFinite(weight) && Number.isFinite(sampledAt) ? { weight, sampledAt } : undefined;
  };
}

const approvalSlot = (p: FlaggerPayload): Slot => ({
  kind: 'synthetic_gate_flagger_approved_timestamp_seconds',
  key: { namespace: toLabel(p.namespace), canary: toLabel(p.name) },
});

/** The gate's last go to this canary's revision, and the weight it was given at; undefined: never (or another revision). */
export async function lastGo(ledger: Ledger, p: FlaggerPayload): Promise<{ at: number; weight: number } | undefined> {
  const kept = await ledger.read(approvalSlot(p));
  const [revision, weight] = kept?.version.split(':') ?? [];
  return kept && revision === revisionOf(p) && weight !== undefined ? { at: kept.at, weight: Number(weight) } : undefined;
}

export function keepGo(ledger: Ledger, p: FlaggerPayload, at: number, weight: number): Promise<void> {
  return ledger.write(approvalSlot(p), { version: `${revisionOf(p)}:${weight}`, at });
}

const revisionOf = (p: FlaggerPayload) => toLabel(p.checksum || 'none').replace(/:/g, '_');

/**
 * Whether a weight sample cannot be trusted after the last go. Before a traffic increase, any
 * sample scraped before that go may predate the step it allowed. Flagger calls confirm-promotion
 * in the same tick as confirm-traffic-increase at the last step (scheduler.go `advanceCanary`:
 * `nextStepWeight` is above 0 at the maximum weight too, then `runCanary` goes straight to the
 * promotion hooks without changing the weight): there a sample of the very weight the go was given
 * at is still the truth; only one of another weight is stale.
 */
export function staleAfterGo(sample: CanaryWeight, last: { at: number; weight: number } | undefined, hook: FlaggerHook): boolean {
  if (!last || sample.sampledAt >= last.at) return false;
  return hook === 'confirm-traffic-increase' || sample.weight !== last.weight;
}

/** The hook that calls `phase=current` (the `hook` query parameter; Flagger's payload does not say). */
export type FlaggerHook = 'confirm-traffic-increase' | 'confirm-promotion';
export const FLAGGER_HOOKS: readonly FlaggerHook[] = ['confirm-traffic-increase', 'confirm-promotion'];
