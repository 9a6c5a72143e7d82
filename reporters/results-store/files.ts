import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The store's file naming, said once: `synthetics-2026-11-23.ndjson`, one file per UTC day,
 * appended to and never rewritten.
 */
const FILE = /^synthetics-(\d{4}-\d{2}-\d{2})\.ndjson$/;

/** The UTC day of a time, as the store names it: `2026-11-23`. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

export const resultsFileFor = (dir: string, at: Date): string => join(dir, `synthetics-${dayOf(at)}.ndjson`);

export interface ResultsFile {
  path: string;
  day: string;
}

/** The store's files in `dir`, oldest day first; a missing dir has none. */
export async function listResultsFiles(dir: string): Promise<ResultsFile[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.flatMap((name) => {
    const m = FILE.exec(name);
    return m ? [{ path: join(dir, name), day: m[1]! }] : [];
  }).sort((a, b) => a.day.localeCompare(b.day));
}
