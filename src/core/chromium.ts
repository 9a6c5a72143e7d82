import { accessSync, constants } from 'node:fs';
import { BrowserNotFoundError } from './errors.ts';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The system Chromium: CHROMIUM_PATH, else the usual places. Playwright's own download cannot work here. */
export function findChromium(configured?: string): string {
  const searched = configured ? [configured] : CANDIDATES;
  for (const path of searched) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new BrowserNotFoundError(searched);
}

/** Flags that keep Chromium from calling home on a closed network (each refused call costs time). */
export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
];

export const DEVICE_PROFILES = { desktop: 'Desktop Chrome', mobile: 'Pixel 7' } as const;
export type DeviceName = keyof typeof DEVICE_PROFILES;

/** For Playwright's config: a missing browser is one line that says what to install, not a stack. */
export function chromiumOrExplain(configured?: string): string | undefined {
  try {
    return findChromium(configured);
  } catch (e) {
    process.stderr.write(`synthetics: ${(e as Error).message}\n`);
    return undefined;
  }
}
