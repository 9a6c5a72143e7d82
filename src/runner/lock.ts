import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One run at a time per target: cron may start a run while the last still goes. The lock file
 * holds the owner's pid; a lock whose owner is dead is stale and taken over.
 */
export async function acquireLock(dir: string, name: string): Promise<{ release(): Promise<void> } | { heldBy: number }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.lock`);
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && alive(owner)) return { heldBy: owner };
      await unlink(path).catch(() => undefined);
    }
  }
  return { heldBy: -1 };
}
