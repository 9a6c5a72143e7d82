import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SuiteConfig } from '../config/load.ts';
import { findChromium } from '../core/chromium.ts';
import { UserFacingError } from '../core/errors.ts';

/** How long creating the results dir and writing a probe file may take (a hung mount must not hang the start). */
export const RESULTS_PROBE_TIMEOUT_MS = 5_000;
/** How long `chromium --version` may take. */
export const CHROMIUM_VERSION_TIMEOUT_MS = 5_000;

class Timeout extends Error {}

/** `work`, or a Timeout after `ms` (the work itself cannot be cancelled; the caller exits). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout()), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** `EACCES: permission denied, mkdir '/x'` → `EACCES: permission denied` (the path is named already). */
function why(e: unknown, ms: number): string {
  if (e instanceof Timeout) return `no answer within ${ms / 1000} s`;
  const err = e as NodeJS.ErrnoException;
  return String(err.message ?? err).split('\n')[0]!.split(', ')[0]!;
}

/**
 * mkdir -p, one level at a time. Not `mkdir(dir, { recursive: true })`: where mkdir says ENOENT
 * although the parent exists (`/proc/x`), Node's recursive mkdir retries forever on a thread.
 */
async function mkdirp(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await stat(dir)).isDirectory()) return;
      throw Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR' });
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
    await mkdirp(dirname(dir));
    await mkdir(dir); // once: a second ENOENT is the answer
  }
}

/**
 * The results dir can be created and written: mkdir -p, then a probe file written and removed,
 * all within `timeoutMs`. `shownAs` names where the dir came from (`--results "x"` or the key).
 */
export async function checkResultsDir(dir: string, shownAs = `config RESULTS_DIR="${dir}"`, timeoutMs = RESULTS_PROBE_TIMEOUT_MS): Promise<void> {
  const probe = join(dir, `.synthetics-probe-${process.pid}`);
  try {
    await within(timeoutMs, (async () => {
      await mkdirp(resolve(dir));
      await writeFile(probe, 'probe\n');
      await rm(probe, { force: true });
    })());
  } catch (e) {
    throw new UserFacingError(`${shownAs}: cannot be created or written (${why(e, timeoutMs)}): pick a writable directory`);
  }
}

/** `path --version`: its first line of output, or a Timeout / the failure. */
function versionOf(path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ['--version'], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err && (err as { killed?: boolean }).killed) return reject(new Timeout());
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return reject(new Error(typeof code === 'number' ? `exit ${code}` : String(code ?? err.message)));
      }
      // The version is on stdout (Debian's wrapper script adds noise on stderr, naming its own path).
      const first = (text: string) => text.split('\n').map((l) => l.trim()).find(Boolean);
      resolve(first(stdout) ?? '');
    });
  });
}

/**
 * The browser that would be launched is a Chromium: it runs and its `--version` names Chromium or
 * Chrome. Returns its path. A missing binary is BrowserNotFoundError (what to install).
 */
export async function checkChromium(configured?: string, timeoutMs = CHROMIUM_VERSION_TIMEOUT_MS): Promise<string> {
  const path = findChromium(configured);
  const where = configured ? `config CHROMIUM_PATH="${configured}"` : `Chromium at ${path}`;
  const fix = configured
    ? 'set CHROMIUM_PATH to a Chromium or Chrome binary, or leave it empty to use /usr/bin/chromium'
    : 'reinstall it ("apt-get install -y chromium") or set CHROMIUM_PATH to a Chromium or Chrome binary';
  let version: string;
  try {
    version = await versionOf(path, timeoutMs);
  } catch (e) {
    throw new UserFacingError(`${where}: not a working Chromium (its --version: ${why(e, timeoutMs)}): ${fix}`);
  }
  if (!/chrom(e|ium)/i.test(version)) {
    const said = version.length > 80 ? `${version.slice(0, 80)}…` : version;
    throw new UserFacingError(`${where}: not a Chromium binary (its --version said "${said}"): ${fix}`);
  }
  return path;
}

/**
 * Start-up checks of what config validation cannot see: the results dir is writable (else the
 * lock and the results store fail on every cycle) and, when browser journeys are selected, the
 * browser is a Chromium (else every browser journey fails late, without naming the key).
 * `resultsFlag`: the dir came from `--results`, so the message names the flag.
 */
export async function preflight(config: SuiteConfig, opts: { browser: boolean; resultsFlag?: boolean }): Promise<void> {
  await checkResultsDir(config.resultsDir, opts.resultsFlag ? `--results "${config.resultsDir}"` : undefined);
  if (opts.browser) await checkChromium(config.chromiumPath);
}
