import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process tree's cost from /proc (Linux): the runner and everything it started, Chromium
 * included. Public tools only: what `ps` and `top` read.
 */

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Stat {
  ppid: number;
  /** utime + stime of the process itself, ms. */
  ownMs: number;
  /** cutime + cstime: children it has waited for (exited ones), ms. */
  childrenMs: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ownMs: (Number(f[11]) + Number(f[12])) * TICK_MS, childrenMs: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return undefined;
  }
}

/** `root` and every live descendant. */
export function treeOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid);
    if (list) list.push(Number(name));
    else children.set(s.ppid, [Number(name)]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU ms the tree has used so far: every live process, plus the exited children they waited for. */
export function treeCpuMs(root: number): number {
  return treeOf(root).reduce((sum, pid) => {
    const s = stat(pid);
    return s ? sum + s.ownMs + s.childrenMs : sum;
  }, 0);
}

/** Resident memory of the tree now, MiB (shared pages counted in each process, as `ps` does). */
export function treeRssMiB(root: number): number {
  let kb = 0;
  for (const pid of treeOf(root)) {
    try {
      const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // exited between the listing and the read
    }
  }
  return kb / 1024;
}

/** Samples the tree's RSS every `everyMs` until stopped; the peak is what a cycle needs. */
export function rssSampler(root: number, everyMs = 50): { stop(): number } {
  let peak = treeRssMiB(root);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssMiB(root));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRssMiB(root));
    },
  };
}
