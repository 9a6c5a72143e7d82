import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dayOf, listResultsFiles } from './files.ts';
import { timeOf, type CallLine, type JourneyLine, type StoreLine } from './lines.ts';

export interface ReadOptions {
  /** Lines at or after this time. */
  since?: Date;
  /** Lines before this time. */
  until?: Date;
  target?: string;
  build?: string;
}

/**
 * Every line of the store in a time window, oldest day first, optionally of one target and
 * build. Files of days outside the window are not opened. A line that does not parse (cut short
 * by a crash or a full disk) is skipped, never fatal.
 */
export async function* readLines(dir: string, opts: ReadOptions = {}): AsyncGenerator<StoreLine> {
  const since = opts.since?.toISOString();
  const until = opts.until?.toISOString();
  for (const file of await listResultsFiles(dir)) {
    if ((since && file.day < since.slice(0, 10)) || (opts.until && file.day > dayOf(opts.until))) continue;
    const input = createReadStream(file.path, 'utf8');
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      let line: StoreLine;
      try {
        line = JSON.parse(text) as StoreLine;
      } catch {
        continue;
      }
      if (line === null || typeof line !== 'object' || (line.type !== 'journey' && line.type !== 'call')) continue;
      const at = timeOf(line);
      if ((since && at < since) || (until && at >= until)) continue;
      if ((opts.target && line.target !== opts.target) || (opts.build && line.build_id !== opts.build)) continue;
      yield line;
    }
  }
}

export async function* readCalls(dir: string, opts: ReadOptions = {}): AsyncGenerator<CallLine> {
  for await (const line of readLines(dir, opts)) if (line.type === 'call') yield line;
}

export async function* readJourneys(dir: string, opts: ReadOptions = {}): AsyncGenerator<JourneyLine> {
  for await (const line of readLines(dir, opts)) if (line.type === 'journey') yield line;
}
