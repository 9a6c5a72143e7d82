import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { GateResult } from '../../gate/decision-types.ts';
import type { Runbook } from '../../gate/runbook-types.ts';
import { readWindow } from '../../gate/samples.ts';
import type { PageReply } from '../../gate/server.ts';
import { DEFAULT_DECIDE_TIMEOUT_MS, PHASES } from '../../gate/server.ts';
import { scrub } from '../../src/core/scrub.ts';
import { withTimeout } from '../../src/core/timeout.ts';
import { chartLibrary } from '../html/page.ts';
import { phaseSummary } from '../phase-report.ts';
import { compareRoutes } from '../route-latency.ts';
import { shipRoomPage } from './page.ts';
import { PANELS, shipRoomView, type PanelName } from './view.ts';

export interface ShipRoomOptions {
  runbook: Runbook;
  /** The gate's decision, as `gate --serve` makes it for every other route. */
  decide: (phase: number, profile: string) => Promise<GateResult>;
  /** The results store the gate reads; undefined when it reads Prometheus (no journey grid, no evidence). */
  resultsDir?: string;
  phase: number;
  profile: string;
  refreshMs: number;
}

const json = (status: number, body: unknown): PageReply => ({ status, body: `${JSON.stringify(body)}\n`, contentType: 'application/json; charset=utf-8' });
/** The page may load from the gate and nothing else: no font, image or script from anywhere. */
const PAGE_POLICY = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";
const EVIDENCE_TYPES: Record<string, string> = { '.png': 'image/png', '.zip': 'application/zip' };

/**
 * The ship-room's routes for the gate server: the page, Chart.js, the view as JSON (all panels, and
 * each panel alone for tools), the phase summary in Markdown (what `gate --report` writes), and
 * the evidence files the runner kept.
 */
export function shipRoomRoutes(opts: ShipRoomOptions): (url: URL) => Promise<PageReply | undefined> {
  const { runbook } = opts;
  const selection = (url: URL): { phase: number; profile: string } | string => {
    const phase = url.searchParams.get('phase') ?? String(opts.phase);
    const profile = url.searchParams.get('profile') || opts.profile;
    if (!PHASES.some((p) => String(p) === phase)) return `query parameter "phase" must be one of ${PHASES.join(', ')}`;
    if (!Object.hasOwn(runbook.profiles, profile)) return `query parameter "profile" must be one of ${Object.keys(runbook.profiles).join(', ')}`;
    return { phase: Number(phase), profile };
  };
  const decided = async (url: URL) => {
    const sel = selection(url);
    if (typeof sel === 'string') return sel;
    // Bounded like the gate's own routes: a stuck source makes the page say "could not refresh", never hang.
    const result = await withTimeout(opts.decide(sel.phase, sel.profile), DEFAULT_DECIDE_TIMEOUT_MS, () => new Error(`the gate did not decide within ${DEFAULT_DECIDE_TIMEOUT_MS} ms`));
    // The same lines the gate read for its window: the grid and charts cannot disagree with it.
    const samples = opts.resultsDir && result.window ? await readWindow(opts.resultsDir, Date.parse(result.window.from), Date.parse(result.window.to)) : undefined;
    return { result, samples };
  };

  return async (url) => {
    const path = url.pathname;
    if (path === '/') {
      const sel = selection(url);
      if (typeof sel === 'string') return json(400, { error: sel });
      return { status: 200, body: shipRoomPage({ ...sel, refreshMs: opts.refreshMs }), contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': PAGE_POLICY } };
    }
    if (path === '/assets/chart.js') return { status: 200, body: chartLibrary(), contentType: 'text/javascript; charset=utf-8' };
    const panel = /^\/api\/v1\/view(?:\/([a-z]+))?$/.exec(path);
    if (panel) {
      if (panel[1] && !PANELS.includes(panel[1] as PanelName)) return json(404, { error: `no panel "${panel[1]}": the panels are ${PANELS.join(', ')}` });
      const d = await decided(url);
      if (typeof d === 'string') return json(400, { error: d });
      const view = shipRoomView({ result: d.result, runbook, samples: d.samples, now: Date.now() });
      return json(200, panel[1] ? { generatedAt: view.generatedAt, [panel[1]]: view[panel[1] as PanelName] } : view);
    }
    if (path === '/api/v1/summary.md') {
      const d = await decided(url);
      if (typeof d === 'string') return json(400, { error: d });
      const routes = d.samples ? compareRoutes(d.samples) : { unavailable: 'the gate reads Prometheus, which keeps no per-call samples' };
      return { status: 200, body: phaseSummary({ result: d.result, runbook, routes }).markdown, contentType: 'text/markdown; charset=utf-8' };
    }
    if (path.startsWith('/evidence/') && opts.resultsDir) return evidenceFile(opts.resultsDir, decodeURIComponent(path.slice('/evidence/'.length)));
    return undefined;
  };
}

/** A file the runner kept under RESULTS_DIR/evidence: screenshots and scrubbed traces only, never a path outside it. */
async function evidenceFile(resultsDir: string, rel: string): Promise<PageReply> {
  const root = resolve(resultsDir, 'evidence');
  const full = resolve(root, rel);
  const type = EVIDENCE_TYPES[extname(full)];
  if (!full.startsWith(root + sep) || !type) return json(404, { error: 'no such evidence' });
  try {
    return { status: 200, body: await readFile(full), contentType: type, headers: { 'content-disposition': `${type === 'image/png' ? 'inline' : 'attachment'}; filename="${join(full).split(sep).slice(-2).join('-')}"` } };
  } catch (e) {
    return json(404, { error: scrub(`no such evidence (${(e as NodeJS.ErrnoException).code ?? 'error'})`) });
  }
}
