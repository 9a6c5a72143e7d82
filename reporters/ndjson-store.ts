import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JourneyResult } from '../src/core/records.ts';

/** `results/synthetics-2026-11-23.ndjson`: a new file each UTC day, never rewritten. */
export function resultsFileFor(dir: string, at: Date): string {
  return join(dir, `synthetics-${at.toISOString().slice(0, 10)}.ndjson`);
}

/**
 * The embedded results store: append-only NDJSON, one line per journey run and one per call,
 * each with its labels, timings, attempt and verdicts. No bodies, no tokens, no emails: the
 * records it is given carry none.
 */
export function toLines(results: JourneyResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const { attempts, labels, ...journey } = r;
    // Labels flat, as on call lines: every consumer filters both kinds of line the same way.
    lines.push(JSON.stringify({
      type: 'journey', ...journey, ...labels,
      attempts: attempts.map(({ calls: _calls, ...a }) => a),
    }));
    for (const a of attempts) {
      for (const c of a.calls) {
        lines.push(JSON.stringify({
          type: 'call', journey: r.journey, ...r.labels, attempt: a.attempt, retry: a.attempt > 1, runId: a.runId, ...c,
        }));
      }
    }
  }
  return lines;
}

export class NdjsonResultStore {
  readonly name = 'results store';
  constructor(readonly dir: string) {}

  async write(results: JourneyResult[]): Promise<void> {
    if (results.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    await appendFile(resultsFileFor(this.dir, new Date()), toLines(results).join('\n') + '\n');
  }
}
