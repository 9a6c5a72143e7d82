import { mkdir, open } from 'node:fs/promises';
import { log } from '../../src/core/log.ts';
import type { JourneyResult } from '../../src/core/records.ts';
import type { CycleBatch, Sink } from '../sink.ts';
import { dayOf, resultsFileFor } from './files.ts';
import { toLines } from './lines.ts';
import { DEFAULT_RETENTION_DAYS, describe, housekeep } from './retention.ts';

export interface ResultsStoreOptions {
  /** Days kept, today included (`RESULTS_RETENTION`). */
  retentionDays?: number;
  /** Injectable for tests: picks the day file and drives housekeeping. */
  now?: () => Date;
}

/**
 * The results store as a sink: each batch appended to the day's file, one JSON line per record.
 * Housekeeping (compression of finished days, retention) runs after the first write of the
 * process and after the first write of every new UTC day, never more often.
 */
export class ResultsStore implements Sink {
  readonly name = 'results-store';
  readonly title: string;
  private readonly retentionDays: number;
  private readonly now: () => Date;
  private housekeptDay: string | undefined;
  /** Results written early (`journeyDone`), left out of their cycle's batch. Weak: nothing is kept past the batch. */
  private readonly written = new WeakSet<JourneyResult>();
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly dir: string, opts: ResultsStoreOptions = {}) {
    this.title = `results store ${dir}`;
    this.retentionDays = opts.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(this.retentionDays) || this.retentionDays < 1) throw new RangeError(`${this.title}: retention must be a whole number of days ≥ 1, not ${this.retentionDays}`);
    this.now = opts.now ?? (() => new Date());
  }

  /** A journey's line (and its calls) at once, as soon as its result is final: a failure is readable before the cycle ends. */
  async journeyDone(_target: string, result: JourneyResult): Promise<void> {
    await this.append([result], []);
    this.written.add(result);
  }

  async write({ results, probes = [] }: CycleBatch): Promise<void> {
    await this.append(results.filter((r) => !this.written.has(r)), probes);
  }

  /**
   * One append at a time: journeys of several targets finish together, and each append first
   * reads the file's last byte (see appendLines), which another append must not be halfway past.
   */
  private append(results: JourneyResult[], probes: NonNullable<CycleBatch['probes']>): Promise<void> {
    const next = this.tail.then(() => this.appendNow(results, probes));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async appendNow(results: JourneyResult[], probes: NonNullable<CycleBatch['probes']>): Promise<void> {
    if (results.length === 0 && probes.length === 0) return;
    const now = this.now();
    try {
      await mkdir(this.dir, { recursive: true });
      await appendLines(resultsFileFor(this.dir, now), toLines(results, probes).map((line) => JSON.stringify(line)).join('\n') + '\n');
    } finally {
      // Also after a failed append: when the disk is full, deleting expired days is what makes room.
      await this.housekeepOncePerDay(now);
    }
  }

  /** Never throws: a store that cannot tidy up still takes every batch. */
  private async housekeepOncePerDay(now: Date): Promise<void> {
    const day = dayOf(now);
    if (this.housekeptDay === day) return;
    // Set before the pass, so concurrent writes do not start a second one, and a pass that fails
    // is not retried on every write (one log line a day, not one a cycle).
    this.housekeptDay = day;
    try {
      const said = describe(await housekeep(this.dir, { retentionDays: this.retentionDays, now }));
      if (said) log(`${this.title}: housekeeping ${said}`);
    } catch (e) {
      log(`${this.title}: housekeeping failed (${String((e as Error)?.message ?? e).split('\n')[0]})`);
    }
  }
}

/**
 * Appends whole lines to `path`. A crash or a full disk can leave the file ending in a fragment
 * without its newline; the first new record would then be glued onto it and lost with it. So
 * when the last byte (and only it is read) is not a newline, one is written first: the fragment
 * stays a line of its own that the reader skips.
 */
async function appendLines(path: string, text: string): Promise<void> {
  const file = await open(path, 'a+');
  try {
    const { size } = await file.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await file.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) text = '\n' + text;
    }
    // O_APPEND: the bytes land at the end whatever the position read above.
    await file.appendFile(text);
  } finally {
    await file.close();
  }
}
