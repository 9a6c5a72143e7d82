import { parseArgs } from 'node:util';
import { loadConfig, loadEnv } from '../config/load.ts';
import { parseDuration } from '../config/duration.ts';
import { UserFacingError } from '../core/errors.ts';
import { formatLatencies, isLatencySample, routeLatencies } from '../../reporters/latency.ts';
import { readCalls, type CallLine } from '../../reporters/results-store/index.ts';

/** `synthetics report`: P50/P95/P99 per route from the results store (first attempts only). */
export async function reportCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { results: { type: 'string' }, since: { type: 'string' }, target: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const config = loadConfig(loadEnv(), values.results ? { RESULTS_DIR: values.results } : {});
  let since: Date | undefined;
  if (values.since) {
    const ms = parseDuration(values.since);
    if (ms === undefined) throw new UserFacingError(`--since "${values.since}": must be a duration like 15m or 1h`);
    since = new Date(Date.now() - ms);
  }
  const calls: CallLine[] = [];
  for await (const call of readCalls(config.resultsDir, { since, target: values.target })) {
    if (isLatencySample(call)) calls.push(call);
  }
  const rows = routeLatencies(calls);
  console.log(values.json ? JSON.stringify(rows) : formatLatencies(rows));
  return 0;
}
