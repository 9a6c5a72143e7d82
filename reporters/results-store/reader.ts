import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { constants, createGunzip } from 'node:zlib';
import { compressedPathOf, dayOf, listResultsFiles, type ResultsFile } from './files.ts';
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
 * by a crash or a full disk) is skipped, never fatal; so is the rest of a corrupt archive.
 */
export async function* readLines(dir: string, opts: ReadOptions = {}): AsyncGenerator<StoreLine> {
  const since = opts.since?.toISOString();
  const until = opts.until?.toISOString();
  for (const file of await listResultsFiles(dir)) {
    if ((since && file.day < since.slice(0, 10)) || (opts.until && file.day > dayOf(opts.until))) continue;
    for await (const text of textOf(file)) {
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

/** The raw lines of one file of the store. */
async function* textOf(file: ResultsFile): AsyncGenerator<string> {
  if (file.compressed) return yield* gzText(file.path);
  try {
    yield* linesOf(createReadStream(file.path, 'utf8'));
  } catch (e) {
    // Housekeeping (maybe another process's) compressed the day between listing and opening;
    // ENOENT comes from the open, before any line, so nothing is read twice.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    yield* gzText(compressedPathOf(file.path));
  }
}

async function* gzText(path: string): AsyncGenerator<string> {
  // Z_SYNC_FLUSH: a truncated archive gives everything up to the cut instead of an error.
  const text = pipeline(createReadStream(path), createGunzip({ finishFlush: constants.Z_SYNC_FLUSH }), () => {});
  text.setEncoding('utf8');
  try {
    yield* linesOf(text);
  } catch {
    // A corrupt archive: the lines before the damage were read; one bad day never stops a report.
  }
}

async function* linesOf(input: Readable): AsyncGenerator<string> {
  try {
    yield* createInterface({ input, crlfDelay: Infinity });
  } finally {
    // A consumer that stops early must not leave the file open (readline does not close its input).
    input.destroy();
  }
}
