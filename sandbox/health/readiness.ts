export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'down'>;
}

// A check that hangs must not hang /ready: a probe wants an answer, and a
// dependency too slow to answer in time is down for this purpose.
export async function runReadinessChecks(
  checks: Record<string, ReadinessCheck>,
  timeoutMs: number,
): Promise<ReadinessReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runOne(checks[name], timeoutMs)));
  const report: ReadinessReport = { ready: true, checks: {} };
  names.forEach((name, i) => {
    report.checks[name] = results[i] ? 'ok' : 'down';
    if (!results[i]) report.ready = false;
  });
  return report;
}

async function runOne(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return (await Promise.race([Promise.resolve().then(check), timeout])) === true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
