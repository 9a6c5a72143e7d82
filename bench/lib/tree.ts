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

/** Resident memory of one process, MiB (NaN for a zombie); throws when it has gone. */
export function ownRssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Open file descriptors of one process (sockets, pipes and files alike): a leak grows it; throws when it has gone. */
export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** The executable's short name (`chromium`, `node`), undefined when the process has gone. */
export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The command line, arguments joined by spaces ('' when it has gone or is a kernel thread). */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The environment a process started with (what it inherited: children carry their parent's markers). */
export function environOf(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  try {
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
  } catch {
    // gone, or not ours to read
  }
  return env;
}

/** Every live pid on the machine. */
export const allPids = (): number[] => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);

/** When a process started, in clock ticks since boot: with the pid, it names one process (pids are reused). */
export function startTicksOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/** CPU ms the whole machine has been busy since boot, all cores summed (/proc/stat: everything but idle and iowait). */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * TICK_MS;
}

/** One live process of a tree and the CPU it has used so far: a tree's CPU, split by who used it. */
export interface ProcessCpu {
  pid: number;
  /** The executable's short name ('' when it went between the listing and the read). */
  comm: string;
  /** utime + stime of the process itself, ms. */
  ownMs: number;
  /** cutime + cstime: the exited children it has reaped, ms (whose names went with them). */
  reapedMs: number;
}

/** Every live process of the tree with its CPU: `treeCpuMs` per process (their own and reaped sum to it). */
export function treeCpuByProcess(root: number): ProcessCpu[] {
  return treeOf(root).flatMap((pid) => {
    const s = stat(pid);
    return s ? [{ pid, comm: commOf(pid) ?? '', ownMs: s.ownMs, reapedMs: s.childrenMs }] : [];
  });
}
