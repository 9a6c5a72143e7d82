import type { JourneyResult } from '../src/core/records.ts';

const STATUS: Record<string, string> = { passed: 'PASS', flaky: 'FLAKY', failed: 'FAIL' };

/**
 * What a journey's row says: a failure's reason (its first problem, with a count: the store keeps
 * them all), or for a flaky journey why its first attempt failed, read from that attempt, since a
 * journey that passed carries no failure reason of its own.
 */
function reasonShown(r: JourneyResult): string {
  if (r.outcome !== 'flaky') return r.reason ?? '';
  const first = r.attempts.find((a) => a.status !== 'passed');
  return first?.reason ? `first attempt: ${first.reason}` : '';
}

/**
 * One row per journey, then one per step of its last attempt: journey, step, status, ms, reason.
 * Plain text (no colours), so it reads the same in a terminal, a CI log and a cron mail.
 */
export function formatTable(results: JourneyResult[]): string {
  const rows: string[][] = [['JOURNEY', 'DEVICE', 'STEP', 'STATUS', 'MS', 'REASON']];
  for (const r of results) {
    const last = r.attempts[r.attempts.length - 1];
    const tries = r.attempts.length > 1 ? ` (${r.attempts.length} attempts)` : '';
    rows.push([r.journey, r.labels.device, '', STATUS[r.outcome] + tries, String(r.durationMs), reasonShown(r)]);
    for (const s of last?.steps ?? []) {
      rows.push(['', '', s.title, s.status === 'passed' ? 'ok' : 'FAIL', String(s.durationMs), '']);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.min(40, Math.max(...rows.map((r) => r[i]!.length))));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const failed = results.filter((r) => r.outcome === 'failed').length;
  const flaky = results.filter((r) => r.outcome === 'flaky').length;
  const summary = `${results.length - failed} of ${results.length} journeys passed${flaky ? ` (${flaky} flaky)` : ''}, ${failed} failed`;
  return [...rows.map(line), '', summary].join('\n');
}
