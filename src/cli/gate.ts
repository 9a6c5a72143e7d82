import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkStatus, phaseSummary } from '../../artefacts/phase-report.ts';
import { readRouteLatencies } from '../../artefacts/route-latency.ts';
import { decide as decidePhase } from '../../gate/decide.ts';
import { fmtDuration } from '../../gate/evaluate.ts';
import type { GateResult } from '../../gate/decision-types.ts';
import { DEFAULT_RUNBOOK_PATH, loadRunbook, PHASE_PERCENTS } from '../../gate/runbook.ts';
import type { Runbook } from '../../gate/runbook-types.ts';
import { PrometheusSource } from '../../gate/prometheus-source.ts';
import { DEFAULT_DECIDE_TIMEOUT_MS, sinceOf, startGateServer, type DecideAsk } from '../../gate/server.ts';
import { prometheusWeights } from '../../gate/flagger-step.ts';
import { FileLedger, PushgatewayLedger, type Ledger } from '../../gate/ledger.ts';
import { phaseStartText } from '../../gate/phase-start.ts';
import { shipRoomRoutes } from '../../artefacts/shiproom/routes.ts';
import { parseDuration } from '../config/duration.ts';
import { loadConfig, loadEnv } from '../config/load.ts';
import { UserFacingError } from '../core/errors.ts';
import { isBaseUrl } from '../core/labels.ts';
import { log } from '../core/log.ts';
import { parseFlags } from './args.ts';

/** How often the ship-room page asks the gate again: a cadence's worth of news, without hammering the store. */
const DEFAULT_REFRESH_MS = 10_000;
/** Exit codes: rollout tooling and scripts read them. A mistake is a hold too: never go, never roll back on it. */
const EXIT = { go: 0, rollback: 1, hold: 2 } as const;

function phaseOf(text: string | undefined, flag = '--phase'): number {
  const phase = Number(text);
  if (!(PHASE_PERCENTS as readonly number[]).includes(phase)) throw new UserFacingError(`${flag} "${text ?? ''}": must be one of ${PHASE_PERCENTS.join(', ')}`);
  return phase;
}

export function baselineOf(path: string | undefined): Partial<Record<string, number>> | undefined {
  if (!path) return undefined;
  let data: { metrics?: Record<string, unknown> };
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as typeof data;
  } catch (e) {
    throw new UserFacingError(`--baseline ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'not valid JSON'} (write one with "synthetics baseline")`);
  }
  const metrics = Object.entries(data.metrics ?? {}).filter(([, v]) => typeof v === 'number');
  if (metrics.length === 0) throw new UserFacingError(`--baseline ${path}: no "metrics" with numbers (e.g. {"metrics": {"latency_p95": 120}})`);
  return Object.fromEntries(metrics) as Record<string, number>;
}

/** `synthetics gate`: go, hold or rollback for a phase, from the results store, by the runbook's rules. */
export async function gateCommand(argv: string[]): Promise<number> {
  const v = parseFlags('gate', argv, {
    phase: { type: 'string' }, profile: { type: 'string' }, runbook: { type: 'string' }, source: { type: 'string' },
    results: { type: 'string' }, prometheus: { type: 'string' }, baseline: { type: 'string' }, window: { type: 'string' }, 'time-scale': { type: 'string' },
    at: { type: 'string' }, json: { type: 'boolean' }, serve: { type: 'boolean' }, port: { type: 'string' }, host: { type: 'string' }, report: { type: 'string' },
    refresh: { type: 'string' }, since: { type: 'string' },
  });
  if (v.report !== undefined && v.serve) throw new UserFacingError('--report DIR: not with --serve (the endpoint answers per request); write a report with --phase P --report DIR');
  if (v.report !== undefined && v.phase === undefined) throw new UserFacingError(`--report ${v.report}: needs --phase 5|25|50|100 (a report is of one phase)`);
  if (v.report === '') throw new UserFacingError('--report "": must be a directory to write the report into, like --report reports');
  const timeScale = v['time-scale'] === undefined ? 1 : Number(v['time-scale']);
  if (!(timeScale > 0 && timeScale <= 1)) throw new UserFacingError(`--time-scale "${v['time-scale']}": must be a number above 0 and at most 1, like 0.005`);
  const sourceName = v.source ?? 'local';
  if (sourceName !== 'local' && sourceName !== 'prometheus') throw new UserFacingError(`--source "${v.source}": must be local (the results store) or prometheus`);
  const prometheusUrl = v.prometheus ?? loadEnv().PROMETHEUS_URL;
  if (sourceName === 'prometheus' && !isBaseUrl(prometheusUrl)) throw new UserFacingError(`--prometheus "${prometheusUrl ?? ''}": --source prometheus needs the Prometheus URL, like --prometheus http://127.0.0.1:9090`);
  const windowMs = v.window === undefined ? undefined : parseDuration(v.window);
  if (v.window !== undefined && !windowMs) throw new UserFacingError(`--window "${v.window}": must be a duration like 90m or 2h`);
  const at = v.at === undefined ? undefined : Date.parse(v.at);
  if (v.at !== undefined && !Number.isFinite(at)) throw new UserFacingError(`--at "${v.at}": must be a time like 2026-11-24T10:00:00Z`);
  if (v.since !== undefined && v.serve) throw new UserFacingError('--since: not with --serve (each request says its own: ?since=TIME); use it with --phase P');
  const since = v.since === undefined ? undefined : sinceOf(v.since, at ?? Date.now());
  if (typeof since === 'string') throw new UserFacingError(`--since ${since.replace(/^"since" /, '')}`);
  const runbook = loadRunbook(v.runbook ?? DEFAULT_RUNBOOK_PATH, { timeScale });
  const profile = v.profile ?? 'default';
  if (!runbook.profiles[profile]) throw new UserFacingError(`--profile "${profile}": not in the runbook (known: ${Object.keys(runbook.profiles).join(', ')})`);
  const config = loadConfig(loadEnv(), v.results ? { RESULTS_DIR: v.results } : {});
  const baseline = baselineOf(v.baseline);
  const ledger = ledgerOf(config.pushgatewayUrl, config.resultsDir);

  // Each phase counts from its own start (gate/phase-start.ts); looking back with --at starts none.
  const decide = (phase: number, profileName = profile, ask: DecideAsk = { since, record: true }): Promise<GateResult> => decidePhase({
    runbook, profile: profileName, phase, now: at, windowMs, baseline,
    source: sourceName === 'prometheus' ? (from, to) => new PrometheusSource(prometheusUrl!, { from, to }) : config.resultsDir,
    phaseStart: at !== undefined && ask.since === undefined ? undefined : { ledger, ...ask },
  });

  if (v.serve) {
    const port = Number(v.port ?? 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserFacingError(`--port "${v.port}": must be 0 (a free port) to 65535`);
    const refreshMs = v.refresh === undefined ? DEFAULT_REFRESH_MS : parseDuration(v.refresh);
    if (!refreshMs || refreshMs < 1000 || refreshMs > 600_000) throw new UserFacingError(`--refresh "${v.refresh}": must be a duration from 1s to 10m, like 10s (how often the ship-room page refreshes itself)`);
    const pages = shipRoomRoutes({
      // A person looking at the page never starts a phase: only a rollout tool's question does.
      runbook, decide: (phase, p) => decide(phase, p, { record: false }), resultsDir: sourceName === 'local' ? config.resultsDir : undefined,
      phase: v.phase === undefined ? PHASE_PERCENTS[0] : phaseOf(v.phase), profile, refreshMs,
    });
    const server = await startGateServer({
      host: v.host ?? '127.0.0.1', port, token: loadEnv().GATE_TOKEN || undefined, decide: (phase, p, ask) => decide(phase, p, ask), pages,
      ledger, canaryWeight: isBaseUrl(prometheusUrl) ? prometheusWeights(prometheusUrl) : undefined,
    });
    log(`gate listening on ${server.url} (runbook ${runbook.source}, ${sourceName === 'prometheus' ? 'Prometheus' : `results ${config.resultsDir}`}, phase starts kept in ${ledger.where}); the ship-room page is ${server.url}/`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    // A decision is bounded at DEFAULT_DECIDE_TIMEOUT_MS: one in flight is answered, not cut
    // (ci/k8s/gate-deployment.yaml leaves it the time before the kubelet's SIGKILL).
    await server.close(DEFAULT_DECIDE_TIMEOUT_MS + 1000);
    return 0;
  }
  const phase = phaseOf(v.phase);
  // A directory that cannot be made is a mistake to hear about before deciding, not after.
  if (v.report !== undefined) makeDir(v.report);
  const result = await decide(phase);
  console.log(v.json ? JSON.stringify(result, null, 2) : formatResult(result, runbook));
  if (v.report !== undefined) {
    const routes = sourceName === 'prometheus'
      ? { unavailable: 'the gate read Prometheus, whose histograms keep no per-call samples; run the gate on the results store (--source local) for this table' }
      : await readRouteLatencies(config.resultsDir, result.window);
    writeReport(v.report, result, phaseSummary({ result, runbook, routes }));
  }
  return EXIT[result.decision];
}

/**
 * Where phase starts and Flagger's last go are kept: the Pushgateway the runners push to when there
 * is one (every replica and region sees it), else a file beside the results store.
 */
function ledgerOf(pushgatewayUrl: string | undefined, resultsDir: string): Ledger {
  return pushgatewayUrl ? new PushgatewayLedger(pushgatewayUrl) : new FileLedger(resultsDir);
}

function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserFacingError(`--report ${dir}: cannot create the directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * The decision is already printed and its exit code is what rollout tooling reads: a report that
 * cannot be written is said on stderr, never turned into another decision.
 */
function writeReport(dir: string, r: GateResult, report: { markdown: string; html: string }): void {
  const base = join(dir, `phase-${r.phase}-${r.profile}`);
  try {
    writeFileSync(`${base}.md`, report.markdown);
    writeFileSync(`${base}.html`, report.html);
    console.error(`report: ${base}.md\nreport: ${base}.html`);
  } catch (e) {
    console.error(`synthetics: --report ${dir}: cannot write the report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const num = (n: number | null | undefined) => (n === null || n === undefined ? '—' : Number.isInteger(n) ? String(n) : n.toFixed(2));

/** The verdict table a release manager reads: the decision first, then every check, then the evidence. */
export function formatResult(r: GateResult, runbook: Runbook): string {
  const lines = [
    `${r.decision.toUpperCase()}  phase ${r.phase}%  profile ${r.profile}  (runbook ${runbook.source})`,
    r.reason,
    `window ${r.window.from} → ${r.window.to}: ${fmtDuration(r.window.elapsedMs)} of ${fmtDuration(r.window.requiredMs)} observed`,
    ...(r.window.phaseStart ? [`phase ${r.phase}% began: ${phaseStartText(r.window.phaseStart)}`] : []),
    ...r.freshness.map((f) => `  last cycle ${f.target}: ${f.lastCycle ?? 'never'}${f.stale ? '  STALE' : ''}`),
    '',
  ];
  const table = [['CHECK', 'KIND', 'STATUS', 'CANARY', 'CONTROL', 'AGAINST', 'THRESHOLD', 'N', 'REASON']];
  for (const c of r.checks) {
    table.push([c.name, c.kind, checkStatus(c), num(c.observed.canary), num(c.observed.control), c.against, `${c.op} ${c.threshold}`, `${c.samples.canary}/${c.samples.control}`, c.reason]);
  }
  const widths = table[0]!.map((_, i) => Math.min(48, Math.max(...table.map((row) => row[i]!.length))));
  lines.push(...table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()));
  const evidence = r.checks.filter((c) => c.evidence.offenders.length > 0);
  if (evidence.length) {
    lines.push('', 'evidence (look these up in the app\'s logs and traces):');
    for (const c of evidence) for (const o of c.evidence.offenders) lines.push(`  ${c.name}: ${o.at} ${o.syntheticId} trace ${o.traceId}  ${o.what}`);
  }
  return lines.join('\n');
}
