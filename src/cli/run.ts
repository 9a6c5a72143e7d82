import { loadConfig, loadEnv } from '../config/load.ts';
import { UserFacingError } from '../core/errors.ts';
import type { JourneyResult } from '../core/records.ts';
import { selectJourneys, JOURNEYS } from '../../journeys/index.ts';
import { NdjsonResultStore } from '../../reporters/ndjson-store.ts';
import { formatTable } from '../../reporters/table.ts';
import { startEmbeddedSandbox } from '../runner/embedded-sandbox.ts';
import { runCycle } from '../runner/run-once.ts';
import { Suite } from '../runner/suite.ts';
import type { TargetSpec } from '../runner/targets.ts';
import { parseRunArgs } from './args.ts';
import { log } from '../core/log.ts';

/** `synthetics run`: config → targets → journeys → sinks. Exit 0 when every journey passed. */
export async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  const overrides: Record<string, string> = {};
  if (args.baseUrl) overrides.BASE_URL = args.baseUrl;
  if (args.results) overrides.RESULTS_DIR = args.results;
  const config = loadConfig(loadEnv(), overrides);
  const unknown = args.journeys.filter((id) => !JOURNEYS.some((j) => j.id === id));
  if (unknown.length) throw new UserFacingError(`--journey ${unknown.join(',')}: unknown (known: ${JOURNEYS.map((j) => j.id).join(', ')})`);
  const journeys = selectJourneys(args.project, args.journeys);
  const suite = new Suite(config);
  if (journeys.some((j) => j.kind === 'browser')) suite.checkBrowser();

  let sandbox: { url: string; close(): Promise<void> } | undefined;
  const specs: TargetSpec[] = args.targets.length > 0
    ? args.targets
    : config.baseUrl
      ? [{ name: config.targetName, baseUrl: config.baseUrl }]
      : [];
  if (specs.length === 0) {
    sandbox = await startEmbeddedSandbox();
    log(`no BASE_URL: targeting the embedded sandbox at ${sandbox.url}`);
    specs.push({ name: config.targetName, baseUrl: sandbox.url, sandbox: true });
  }

  const store = new NdjsonResultStore(config.resultsDir);
  try {
    const results: JourneyResult[] = [];
    for (const spec of specs) {
      const session = await suite.open(spec);
      const cycle = await runCycle(session, journeys);
      results.push(...cycle);
      if (specs.length > 1) console.log(`\ntarget ${spec.name} (${session.target.baseUrl})`);
      console.log(formatTable(cycle));
    }
    await store.write(results).catch((e: Error) => log(`results store: write failed (${e.message})`));
    return results.every((r) => r.outcome !== 'failed') ? 0 : 1;
  } finally {
    await suite.close();
    await sandbox?.close();
  }
}
