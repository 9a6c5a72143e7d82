import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { computeBaseline } from '../../artefacts/baseline.ts';
import { baselineHtml, baselineMarkdown } from '../../artefacts/baseline-report.ts';
import { DEFAULT_RUNBOOK_PATH, loadRunbook } from '../../gate/runbook.ts';
import { readLines, type StoreLine } from '../../reporters/results-store/index.ts';
import { UserFacingError } from '../core/errors.ts';
import { isBaseUrl } from '../core/labels.ts';
import { log } from '../core/log.ts';
import type { JourneyResult } from '../core/records.ts';
import { selectJourneys, type Project } from '../../journeys/index.ts';
import { checkJourneys, parseFlags } from './args.ts';
import { abortOnSignal, commandConfig, cycleOnce, openRuns } from './cycles.ts';
import { checkResultsDir, preflight } from './preflight.ts';

/** Enough for a day of minutes' worth of samples; more is a typo, not a baseline. */
const MAX_CYCLES = 1000;

interface BaselineArgs {
  cycles: number;
  out: string;
  baseUrl?: string;
  project: Project;
  journeys: string[];
  runbook?: string;
}

function parseBaselineArgs(argv: string[]): BaselineArgs {
  const v = parseFlags('baseline', argv, {
    cycles: { type: 'string' }, out: { type: 'string' }, 'base-url': { type: 'string' },
    project: { type: 'string', default: 'all' }, journey: { type: 'string', multiple: true }, runbook: { type: 'string' },
  });
  if (v.cycles === undefined) throw new UserFacingError(`--cycles is required: how many cycles to run back to back, from 1 to ${MAX_CYCLES}, like --cycles 20`);
  const cycles = /^\d+$/.test(v.cycles) ? Number(v.cycles) : NaN;
  if (!(cycles >= 1 && cycles <= MAX_CYCLES)) throw new UserFacingError(`--cycles "${v.cycles}": must be a whole number from 1 to ${MAX_CYCLES}, like --cycles 20`);
  if (!v.out) throw new UserFacingError('--out is required: the directory for baseline.json, baseline.md, baseline.html and the results store, like --out baseline');
  const project = v.project as Project;
  if (!['api', 'browser', 'all'].includes(project)) throw new UserFacingError(`--project "${project}": must be api, browser or all`);
  const baseUrl = v['base-url'];
  if (baseUrl !== undefined && (!isBaseUrl(baseUrl) || /\s/.test(baseUrl))) {
    throw new UserFacingError(`--base-url "${baseUrl}": must be an http(s) URL of the control, e.g. --base-url https://www.example.test`);
  }
  const journeys = (v.journey ?? []).flatMap((j) => j.split(',')).map((j) => j.trim()).filter(Boolean);
  checkJourneys(journeys, project);
  return { cycles, out: v.out, baseUrl, project, journeys, runbook: v.runbook };
}

/** A bar on a terminal; one plain line per cycle anywhere else (CI logs, pipes). */
function progress(total: number): { cycle(n: number, results: JourneyResult[]): void; stop(): void } {
  const failedOf = (results: JourneyResult[]) => results.filter((r) => r.outcome === 'failed').length;
  if (!process.stderr.isTTY) {
    return {
      cycle: (n, results) => process.stderr.write(`baseline: cycle ${n}/${total} done, ${results.length} journeys, ${failedOf(results)} failed\n`),
      stop: () => undefined,
    };
  }
  let bar: SingleBar | undefined;
  let runs = 0;
  let failed = 0;
  return {
    cycle: (n, results) => {
      runs += results.length;
      failed += failedOf(results);
      if (bar) return bar.update(n, { runs, failed });
      // Started after the first cycle: the runner's own first-cycle lines (the build it found) would land inside the bar.
      bar = new SingleBar({
        stream: process.stderr, hideCursor: true,
        format: 'baseline |{bar}| cycle {value}/{total} | {runs} journey runs, {failed} failed | ETA {eta_formatted}',
      }, Presets.shades_classic);
      bar.start(total, n, { runs, failed });
    },
    stop: () => bar?.stop(),
  };
}

/**
 * `synthetics baseline`: N cycles back to back against the control, then the numbers the gate's
 * `--baseline` compares the canary with, read back from the results store they were written to.
 */
export async function baselineCommand(argv: string[]): Promise<number> {
  const args = parseBaselineArgs(argv);
  const out = resolve(args.out);
  const resultsDir = join(out, 'results');
  const config = commandConfig({ baseUrl: args.baseUrl, resultsDir });
  // The runbook says which baseline comparisons the gate makes, so the baseline measures exactly those.
  const runbook = loadRunbook(args.runbook ?? DEFAULT_RUNBOOK_PATH);
  const journeys = selectJourneys(args.project, args.journeys);
  await checkResultsDir(resultsDir, `--out "${args.out}"`);
  await preflight(config, { browser: journeys.some((j) => j.kind === 'browser') });

  // One process, many cycles: the metrics are kept in memory ('loop'), and pushed only with PUSHGATEWAY_URL.
  const open = await openRuns(config, journeys, config.baseUrl ? [{ name: config.targetName, baseUrl: config.baseUrl }] : [], { mode: 'loop', lockHeld: 'fail' });
  const target = open.runs[0]!.session.target;
  const stop = abortOnSignal('baseline');
  const bar = progress(args.cycles);
  const from = Date.now();
  let to = from;
  let done = 0;
  let failed = 0;
  let unstored = 0;
  try {
    while (done < args.cycles && !stop.signal.aborted) {
      const [cycle] = await cycleOnce(open.runs, config.runIntervalMs, stop.signal);
      if (stop.signal.aborted) break;
      done += 1;
      failed += cycle!.results.filter((r) => r.outcome === 'failed').length;
      if (cycle!.sinks.failed.includes('results-store')) unstored += 1;
      bar.cycle(done, cycle!.results);
    }
    to = Date.now();
  } finally {
    bar.stop();
    stop.dispose();
    await open.close();
  }
  if (done < args.cycles) {
    log(`baseline: stopped after ${done} of ${args.cycles} cycles; nothing written (the results are in ${resultsDir})`);
    return 1;
  }

  const lines: StoreLine[] = [];
  for await (const line of readLines(resultsDir, { since: new Date(from), until: new Date(to + 1), target: target.name })) lines.push(line);
  const baseline = computeBaseline({
    lines, runbook, budgets: config.budgets, cycles: done,
    // The origin only: a URL's path, query or credentials have no place in a report.
    target: { name: target.name, origin: new URL(target.baseUrl).origin },
    window: { from, to },
  });
  if (unstored) baseline.notes.push(`the results store refused ${unstored} of ${done} cycles: they are missing from every number here`);
  if (failed) baseline.notes.push(`${failed} journey run(s) failed during the baseline: their calls are in the numbers; check the control before trusting them`);

  await writeFile(join(out, 'baseline.json'), `${JSON.stringify(baseline, null, 2)}\n`);
  await writeFile(join(out, 'baseline.md'), baselineMarkdown(baseline));
  await writeFile(join(out, 'baseline.html'), baselineHtml(baseline));
  for (const note of baseline.notes) log(`baseline: ${note}`);
  const metrics = Object.entries(baseline.metrics).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`baseline of ${target.name} (build ${baseline.build ?? 'unknown'}), ${done} cycles: ${metrics || 'no metric the gate compares with'}`);
  console.log(`wrote ${join(out, 'baseline.json')}, baseline.md, baseline.html (gate: synthetics gate --phase P --baseline ${join(out, 'baseline.json')})`);
  return failed || metrics === '' ? 1 : 0;
}
