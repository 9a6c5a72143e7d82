import { createReadStream } from 'node:fs';
import { open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { compressedPathOf, dayOf, EVIDENCE_DIR, scanResultsDir, type StoreEntry } from './files.ts';

export const DEFAULT_RETENTION_DAYS = 14;
const DAY_MS = 86_400_000;

export interface HousekeepOptions {
  /** Days kept, today included: 1 keeps today only. */
  retentionDays: number;
  /** Injectable for tests; the store's days are UTC days of this. */
  now?: Date;
}

/**
 * What one pass did, by file name (an evidence day as `evidence/<day>`); a failed file is left as
 * it was for the next pass.
 */
export interface HousekeepReport {
  compressed: string[];
  deleted: string[];
  failed: Array<{ name: string; error: string }>;
}

/**
 * One housekeeping pass over the store in `dir`: days beyond the retention are deleted (plain
 * and compressed), leftovers of interrupted compressions are deleted, finished days (before
 * today, UTC) are gzip-compressed. Only names the reader knows are touched (`files.ts`); anything
 * else in the dir is someone else's. A file that fails is reported and skipped, never fatal to
 * the others; the only throw is a retention that is not a positive integer.
 *
 * A day is kept when it is at or after `today - (retentionDays - 1)`: the retention counts days
 * with today as the first, so "14" means today and the 13 days before it, and "1" today alone.
 * The same rule removes the evidence of a day (`evidence/<day>/`, screenshots and traces) whole.
 */
export async function housekeep(dir: string, { retentionDays, now = new Date() }: HousekeepOptions): Promise<HousekeepReport> {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new RangeError(`retention must be a whole number of days ≥ 1, not ${retentionDays}`);
  const today = dayOf(now);
  const oldestKept = dayOf(new Date(now.getTime() - (retentionDays - 1) * DAY_MS));
  const report: HousekeepReport = { compressed: [], deleted: [], failed: [] };
  const attempt = async (entry: StoreEntry, work: () => Promise<void>) => {
    try {
      await work();
    } catch (e) {
      report.failed.push({ name: entry.name, error: String((e as Error)?.message ?? e).split('\n')[0]! });
    }
  };
  const remove = async (entry: StoreEntry) => {
    if (await removed(entry.path)) report.deleted.push(entry.name);
  };

  const entries = (await scanResultsDir(dir)).sort((a, b) => a.name.localeCompare(b.name));
  // Deletions first: on a full disk they make the room the archives need.
  for (const e of entries) {
    if (e.form !== 'tmp' && e.day < oldestKept) await attempt(e, () => remove(e));
  }
  for (const e of await evidenceDays(dir)) {
    if (e.day < oldestKept) await attempt(e, async () => { await rm(e.path, { recursive: true, force: true }); report.deleted.push(e.name); });
  }
  // A leftover is an archive being written when a process died. Its day is always over, so its
  // age is told by its mtime: one touched today may be another process compressing right now.
  const midnight = Date.parse(`${today}T00:00:00.000Z`);
  for (const e of entries) {
    if (e.form === 'tmp') await attempt(e, async () => { if ((await stat(e.path)).mtimeMs < midnight) await remove(e); });
  }
  const archived = new Set(entries.filter((e) => e.form === 'gz').map((e) => e.day));
  for (const e of entries) {
    if (e.form !== 'plain' || e.day < oldestKept || e.day >= today) continue;
    // Archived already: this plain file outlived a crash between the rename and the unlink.
    if (archived.has(e.day)) await attempt(e, () => remove(e));
    else await attempt(e, async () => { if (await compress(e.path)) report.compressed.push(e.name); });
  }
  return report;
}

/** The evidence day directories under `dir` (`evidence/2026-11-23`); other names there are not the store's. */
async function evidenceDays(dir: string): Promise<StoreEntry[]> {
  const root = join(dir, EVIDENCE_DIR);
  const names = await readdir(root, { withFileTypes: true }).catch(() => []);
  return names.filter((d) => d.isDirectory() && /^\d{4}-\d{2}-\d{2}$/.test(d.name))
    .map((d) => ({ path: join(root, d.name), name: `${EVIDENCE_DIR}/${d.name}`, day: d.name, form: 'plain' as const }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `path` is gone; false when it was gone already (another process's housekeeping). */
async function removed(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Compresses a finished day beside itself. The archive is written under a temporary name,
 * flushed to disk and only then renamed, and the plain file goes last: at every instant one
 * complete copy of the day carries a name the reader reads. False when another process holds
 * the temporary name (it is compressing the same day).
 */
async function compress(plain: string): Promise<boolean> {
  const gz = compressedPathOf(plain);
  const tmp = `${gz}.tmp`;
  let out;
  try {
    out = await open(tmp, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await pipeline(createReadStream(plain), createGzip(), out.createWriteStream({ flush: true }));
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  } finally {
    // The stream closes the handle when it finishes; after a failure it may not have.
    await out.close().catch(() => {});
  }
  await rename(tmp, gz);
  await removed(plain);
  return true;
}

/** One line for the log: what a pass did, or nothing to say. */
export function describe(report: HousekeepReport): string | undefined {
  const parts: string[] = [];
  if (report.compressed.length) parts.push(`compressed ${report.compressed.join(', ')}`);
  if (report.deleted.length) parts.push(`deleted ${report.deleted.join(', ')}`);
  if (report.failed.length) parts.push(`failed on ${report.failed.map((f) => `${f.name} (${f.error})`).join(', ')}`);
  return parts.length ? parts.join('; ') : undefined;
}
