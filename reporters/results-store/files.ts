import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The store's file naming, said once: `synthetics-2026-11-23.ndjson`, one file per UTC day,
 * appended to and never rewritten; once the day is over it becomes `….ndjson.gz`, written as
 * `….ndjson.gz.tmp` first so a half-written archive never carries the real name.
 */
const FILE = /^synthetics-(\d{4}-\d{2}-\d{2})\.ndjson(\.gz(\.tmp)?)?$/;

/** The UTC day of a time, as the store names it: `2026-11-23`. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

export const resultsFileFor = (dir: string, at: Date): string => join(dir, `synthetics-${dayOf(at)}.ndjson`);

/**
 * Browser evidence (screenshots, scrubbed traces) lives beside the day files, one directory per
 * UTC day under this one (`evidence/2026-11-23/…`), so retention removes a day's evidence with it.
 */
export const EVIDENCE_DIR = 'evidence';

/** Where a day's plain file goes once compressed. */
export const compressedPathOf = (plainPath: string): string => `${plainPath}.gz`;

export interface ResultsFile {
  path: string;
  day: string;
  /** A finished day, gzip-compressed. */
  compressed: boolean;
}

/** Every file of the store in `dir` in any of its three forms; other names are not the store's. */
export interface StoreEntry {
  path: string;
  name: string;
  day: string;
  form: 'plain' | 'gz' | 'tmp';
}

/** A missing dir has no entries, in no particular order. */
export async function scanResultsDir(dir: string): Promise<StoreEntry[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.flatMap((name) => {
    const m = FILE.exec(name);
    if (!m) return [];
    const form = m[3] ? 'tmp' : m[2] ? 'gz' : 'plain';
    return [{ path: join(dir, name), name, day: m[1]!, form } satisfies StoreEntry];
  });
}

/**
 * The files a reader reads in `dir`, one per day, oldest day first; a missing dir has none.
 * A day present in both forms is a crash between the rename of its archive and the removal of
 * its plain file: the archive was renamed only once complete, so it alone is read.
 */
export async function listResultsFiles(dir: string): Promise<ResultsFile[]> {
  const byDay = new Map<string, ResultsFile>();
  for (const e of await scanResultsDir(dir)) {
    if (e.form === 'tmp') continue;
    const compressed = e.form === 'gz';
    if (!byDay.get(e.day)?.compressed) byDay.set(e.day, { path: e.path, day: e.day, compressed });
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}
