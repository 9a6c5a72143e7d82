import { statSync } from 'node:fs';
import { loadConfig, loadEnv } from '../config/load.ts';
import { parseDuration } from '../config/duration.ts';
import { UserFacingError } from '../core/errors.ts';
import { isLabel } from '../core/labels.ts';
import { formatOutcomes, OutcomeHistory } from '../../reporters/history.ts';
import { formatLatencies, isLatencySample, routeLatencies } from '../../reporters/latency.ts';
import { readLines, type CallLine } from '../../reporters/results-store/index.ts';
import { parseFlags } from './args.ts';

/** The results store must exist: an empty table for a directory that is not there would read as "all quiet". */
function checkResultsDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserFacingError(`results dir ${dir}: not found (run "synthetics run" first, or pass --results DIR)`);
    throw new UserFacingError(`results dir ${dir}: cannot be read (${code ?? (e as Error).message}): pass --results DIR`);
  }
  if (!isDir) throw new UserFacingError(`results dir ${dir}: not a directory (pass --results DIR, the directory "synthetics run" writes)`);
}

/**
 * `synthetics report`: each journey's outcomes per device, target and build (failures first,
 * with the last failure's reason, time and evidence), then P50/P95/P99 per route (first
 * attempts only), from one pass over the results store. `--json`: `{ latency, outcomes }`.
 */
export async function reportCommand(argv: string[]): Promise<number> {
  const values = parseFlags('report', argv, {
    results: { type: 'string' }, since: { type: 'string' }, target: { type: 'string' }, json: { type: 'boolean', default: false },
  });
  let sinceMs: number | undefined;
  if (values.since !== undefined) {
    sinceMs = parseDuration(values.since);
    if (sinceMs === undefined) throw new UserFacingError(`--since "${values.since}": must be a duration like 15m or 1h`);
  }
  if (values.target !== undefined && !isLabel(values.target)) throw new UserFacingError(`--target "${values.target}": must be a target name like canary (letters, digits, _ . : -)`);
  const config = loadConfig(loadEnv(), values.results ? { RESULTS_DIR: values.results } : {});
  checkResultsDir(config.resultsDir);
  // A window longer than the clock has run is "everything".
  const since = sinceMs === undefined ? undefined : new Date(Math.max(0, Date.now() - sinceMs));
  const history = new OutcomeHistory();
  const calls: CallLine[] = [];
  for await (const line of readLines(config.resultsDir, { since, target: values.target })) {
    if (line.type === 'journey') history.add(line);
    else if (isLatencySample(line)) calls.push(line);
  }
  const latency = routeLatencies(calls);
  const outcomes = history.rows();
  console.log(values.json ? JSON.stringify({ latency, outcomes }) : `${formatOutcomes(outcomes)}\n\n${formatLatencies(latency)}`);
  return 0;
}
