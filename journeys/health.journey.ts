import { CheckFailure } from '../src/core/errors.ts';
import { parseExposition, type Sample } from '../src/core/exposition.ts';
import { apiJourney } from './journey.ts';

const HISTOGRAM = 'http_request_duration_seconds';

/** A histogram whose buckets are not cumulative, or whose +Inf bucket is not its count, is broken. */
function checkHistogram(samples: Sample[]): string | undefined {
  const buckets = samples.filter((s) => s.name === `${HISTOGRAM}_bucket`);
  if (buckets.length === 0) return `${HISTOGRAM} has no buckets`;
  for (const required of ['method', 'route', 'status_code', 'le']) {
    if (!buckets.every((b) => required in b.labels)) return `${HISTOGRAM} bucket without label "${required}"`;
  }
  const series = new Map<string, Sample[]>();
  for (const b of buckets) {
    const { le: _le, ...rest } = b.labels;
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), b]);
  }
  for (const [key, list] of series) {
    const sorted = [...list].sort((a, b) => Number(a.labels.le === '+Inf' ? Infinity : a.labels.le) - Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.value < sorted[i - 1]!.value) return `${HISTOGRAM}${key}: buckets are not cumulative`;
    }
    const count = samples.find((s) => s.name === `${HISTOGRAM}_count` && JSON.stringify(s.labels) === key);
    if (!count || sorted[sorted.length - 1]!.labels.le !== '+Inf' || sorted[sorted.length - 1]!.value !== count.value) {
      return `${HISTOGRAM}${key}: +Inf bucket does not equal _count`;
    }
  }
  return undefined;
}

export default apiJourney({
  id: 'health',
  title: 'Health and SLO endpoints',
  cohort: 'anonymous',
  async run({ api, step }) {
    await step('liveness', async () => {
      const res = await api.get('/health', { schema: 'health' });
      // The correlation promise of the contract: without it the app's logs cannot be joined to ours.
      if (res.headers['x-synthetic-id'] !== res.syntheticId) throw new CheckFailure('GET /health: x-synthetic-id not echoed back');
      if (!res.headers['x-request-id']) throw new CheckFailure('GET /health: no x-request-id');
    });
    await step('readiness', async () => {
      const res = await api.get<{ status: string; checks: Record<string, string> }>('/ready', { schema: 'ready', expect: [200, 503] });
      if (res.status !== 200 || res.body.status !== 'ready') {
        const down = Object.entries(res.body.checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
        throw new CheckFailure(`GET /ready: not ready (${down.join(', ') || 'no check named'})`);
      }
    });
    await step('slo summary', async () => {
      await api.get('/metrics', { schema: 'slo-summary' });
    });
    await step('prometheus exposition', async () => {
      const res = await api.get('/metrics/prometheus', { schema: null, headers: { accept: 'text/plain' } });
      let parsed: ReturnType<typeof parseExposition>;
      try {
        parsed = parseExposition(res.text);
      } catch (e) {
        throw new CheckFailure(`GET /metrics/prometheus: exposition does not parse: ${(e as Error).message}`);
      }
      if (parsed.types.get(HISTOGRAM) !== 'histogram') throw new CheckFailure(`GET /metrics/prometheus: no ${HISTOGRAM} histogram`);
      const problem = checkHistogram(parsed.samples);
      if (problem) throw new CheckFailure(`GET /metrics/prometheus: ${problem}`);
    });
  },
});
