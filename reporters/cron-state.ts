import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

/**
 * Cron mode's memory between processes. Each `run --once` is a new process whose prom-client
 * counters start at zero; pushed as they are, every run would replace the group with one run's
 * counts and rate()/histogram_quantile() would read garbage. So the cumulative counters and
 * histograms (never gauges: those describe the last run only) are kept here and added to each
 * run's own before the push. The consecutive-failure counts live here too.
 */
export interface CronState {
  consecutive: Record<string, number>;
  metrics: Array<MetricObjectWithValues<MetricValue<string>>>;
}

export function cronStatePath(resultsDir: string, runnerId: string, target: string): string {
  return join(resultsDir, 'state', `${runnerId}--${target}.json`);
}

export async function loadCronState(path: string): Promise<CronState> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as CronState;
    return { consecutive: state.consecutive ?? {}, metrics: state.metrics ?? [] };
  } catch {
    return { consecutive: {}, metrics: [] };
  }
}

/**
 * Keeps only the series of `build` (and those without a build label): what earlier runs saw of a
 * build the target no longer serves must not be pushed again, nor grow the state run after run.
 */
export function ofBuild(state: CronState, build: string | undefined): CronState {
  if (build === undefined) return state;
  const metrics = state.metrics.map((m) => ({
    ...m,
    values: m.values.filter((v) => (v.labels as Record<string, unknown>).build_id === undefined || (v.labels as Record<string, unknown>).build_id === build),
  })).filter((m) => m.values.length > 0);
  return { ...state, metrics };
}

/** This run's metrics plus the cumulative ones of every earlier run. */
export async function combineWithState(current: Registry, state: CronState): Promise<Registry> {
  const now = await current.getMetricsAsJSON();
  // Gauges come from this run alone ('first' picks this run's value; older ones are not in state).
  const tagged = now.map((m) => (String(m.type) === 'gauge' ? { ...m, aggregator: 'first' as const } : m));
  return AggregatorRegistry.aggregate([tagged, state.metrics] as Parameters<typeof AggregatorRegistry.aggregate>[0]);
}

/** Written to a temp file and renamed: a crash mid-write never leaves half a state. */
export async function saveCronState(path: string, combined: Registry, consecutive: Record<string, number>): Promise<void> {
  const metrics = (await combined.getMetricsAsJSON()).filter((m) => String(m.type) !== 'gauge');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify({ consecutive, metrics } satisfies CronState));
  await rename(`${path}.tmp`, path);
}
