import type { AttemptRecord, JourneyOutcome } from '../src/core/records.ts';
import type { JourneyLine } from './results-store/lines.ts';

/** What a failure leaves for people: paths relative to RESULTS_DIR, or why a piece was withheld. */
export type Evidence = NonNullable<AttemptRecord['evidence']>;

export interface LastFailure {
  /** When the failed run started (ISO). */
  at: string;
  /** The first line of its reason, shortened. */
  reason: string;
  evidence: Evidence | null;
}

/** A journey's outcomes over a window, on one device, target and build. */
export interface OutcomeRow {
  journey: string;
  device: string;
  target: string;
  build_id: string;
  passed: number;
  flaky: number;
  failed: number;
  aborted: number;
  /** The latest run that failed; aborted runs are the runner's own fault, never the target's. */
  lastFailure: LastFailure | null;
}

/** Long enough for `METHOD /route: what`, short enough for a table row. */
export const REASON_MAX = 120;

/** The first line of a reason, cut to `max` characters. */
export function shorten(text: string, max = REASON_MAX): string {
  const first = text.split('\n', 1)[0]!.trim();
  return first.length <= max ? first : `${first.slice(0, max - 1)}…`;
}

/**
 * Journey lines in, one row per journey × device × target × build out. Fed one line at a time
 * (the store is streamed), it keeps only the counters and the last failure of each row, so its
 * memory grows with the number of rows, never with the window.
 */
export class OutcomeHistory {
  private readonly byKey = new Map<string, OutcomeRow>();

  add(line: Pick<JourneyLine, 'journey' | 'device' | 'target' | 'build_id' | 'outcome' | 'startedAt' | 'reason' | 'attempts'>): void {
    // An outcome this version does not know (a newer writer's) is none of the four: not counted.
    if (!(OUTCOMES as readonly string[]).includes(line.outcome)) return;
    const key = JSON.stringify([line.journey, line.device, line.target, line.build_id]);
    let row = this.byKey.get(key);
    if (!row) {
      row = { journey: line.journey, device: line.device, target: line.target, build_id: line.build_id, passed: 0, flaky: 0, failed: 0, aborted: 0, lastFailure: null };
      this.byKey.set(key, row);
    }
    row[line.outcome] += 1;
    // Lines come oldest day first, but several runners may append to one store: compare times.
    if (line.outcome === 'failed' && (!row.lastFailure || line.startedAt >= row.lastFailure.at)) {
      row.lastFailure = { at: line.startedAt, reason: shorten(line.reason ?? 'no reason recorded'), evidence: evidenceOf(line.attempts) };
    }
  }

  /** Rows with failures first, then flaky, then aborted, then the rest; by name within each. */
  rows(): OutcomeRow[] {
    const rank = (r: OutcomeRow) => (r.failed > 0 ? 0 : r.flaky > 0 ? 1 : r.aborted > 0 ? 2 : 3);
    const name = (r: OutcomeRow) => [r.journey, r.device, r.target, r.build_id];
    return [...this.byKey.values()].sort((a, b) => rank(a) - rank(b) || compareAll(name(a), name(b)));
  }
}

const OUTCOMES: readonly JourneyOutcome[] = ['passed', 'flaky', 'failed', 'aborted'];

/** The rows of a finite list of lines (tests, in-memory results). */
export function journeyOutcomes(lines: Iterable<Parameters<OutcomeHistory['add']>[0]>): OutcomeRow[] {
  const history = new OutcomeHistory();
  for (const line of lines) history.add(line);
  return history.rows();
}

/** The evidence of the last failed attempt that kept any (older lines, and API journeys, have none). */
function evidenceOf(attempts: JourneyLine['attempts'] | undefined): Evidence | null {
  const withEvidence = [...(attempts ?? [])].reverse().find((a) => a.status === 'failed' && a.evidence);
  if (!withEvidence?.evidence) return null;
  const { screenshot, trace, withheld } = withEvidence.evidence;
  return { ...(screenshot ? { screenshot } : {}), ...(trace ? { trace } : {}), ...(withheld ? { withheld: shorten(withheld) } : {}) };
}

function compareAll(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = a[i]!.localeCompare(b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** `screenshot evidence/…png, trace evidence/…zip` or `withheld: why`. */
export function describeEvidence(e: Evidence): string {
  const parts: string[] = [];
  if (e.screenshot) parts.push(`screenshot ${e.screenshot}`);
  if (e.trace) parts.push(`trace ${e.trace}`);
  if (e.withheld) parts.push(`withheld: ${e.withheld}`);
  return parts.join(', ');
}

/**
 * One row per journey × device × target × build, failures first; the evidence of a last failure
 * on the line below it; then the totals. Plain text, like the run table.
 */
export function formatOutcomes(rows: OutcomeRow[]): string {
  const table: string[][] = [['JOURNEY', 'DEVICE', 'TARGET', 'BUILD', 'PASSED', 'FLAKY', 'FAILED', 'ABORTED', 'LAST FAILURE', 'REASON']];
  for (const r of rows) {
    const f = r.lastFailure;
    // Seconds are enough to find the run; the JSON keeps the full time.
    const at = f ? f.at.replace(/\.\d+Z$/, 'Z') : '';
    table.push([r.journey, r.device, r.target, r.build_id, String(r.passed), String(r.flaky), String(r.failed), String(r.aborted), at, f?.reason ?? '']);
    if (f?.evidence) table.push(['', '', '', '', '', '', '', '', '', `evidence: ${describeEvidence(f.evidence)}`]);
  }
  const widths = table[0]!.map((_, i) => Math.min(40, Math.max(...table.map((row) => row[i]!.length))));
  const numeric = new Set([4, 5, 6, 7]);
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const sum = (k: 'passed' | 'flaky' | 'failed' | 'aborted') => rows.reduce((n, r) => n + r[k], 0);
  const runs = sum('passed') + sum('flaky') + sum('failed') + sum('aborted');
  const summary = runs === 0
    ? 'no journey runs in the window'
    : `${runs} journey runs: ${sum('passed')} passed, ${sum('flaky')} flaky, ${sum('failed')} failed, ${sum('aborted')} aborted`;
  return [...table.map(line), '', summary].join('\n');
}
