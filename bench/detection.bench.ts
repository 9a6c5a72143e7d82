/**
 * Detection time: from a fault injected into a sandbox canary to (a) the first failing journey
 * result in the results store, (b) the metric in the Pushgateway, (c) `synthetics gate --phase 5`
 * answering rollback (`gate --serve`, /api/v1/decision polled), (d) the Prometheus alert firing
 * (rules from `synthetics rules --time-scale F --profile default`, loaded through
 * `scripts/services.sh` with RULES_FILE). The real runbook (runbook/canary.yaml), on an accelerated
 * clock: the runner's cadence is the runbook's 60 s × F, so every figure scales back by ÷ F.
 * Usage: npx tsx bench/detection.bench.ts [--smoke]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CRITICAL_ROUTES } from '../src/core/budgets.ts';
import { ACCOUNTS_ENV, machine, onLines, ROOT, startSandbox, table, writeResult } from './lib/bench.ts';
import { treeOf } from './lib/tree.ts';

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, only: { type: 'string' } } });
const smoke = values.smoke;
const BIN = join(ROOT, 'bin/synthetics.js');
/**
 * A minute is 3 s (smoke: 1.2 s); the runner's cadence is the runbook's 60 s on the same clock.
 * A fault may ask for a slower clock: one whose faulty cycle outlasts the scaled minute leaves
 * minutes with no push, and an empty `increase()` window resets an alert's `for:`.
 */
const SCALE = smoke ? 0.02 : 0.05;
const CADENCE_MS = 60_000;
/** The runbook's backoff (retries 2, 1 s then 2 s, cap 8 s), on the same clock. */
const BACKOFF = { retries: 2, minDelayMs: 1000, factor: 2, maxDelayMs: 8000 };
const RETRY_BUDGET_MS = 1000 + 2000; // the two backoff delays, real time
const SCRAPE_MS = 1000; // services.sh scrapes the Pushgateway every 1 s (not scaled)
const POLL_MS = 100;
/** The API journeys each cycle runs (smoke: the two the search fault touches and the cheapest). */
const JOURNEYS = smoke ? ['health', 'b2c-api'] : undefined;
const WITH_ALERTS = !smoke;

interface Fault {
  name: string;
  bodies: Array<Record<string, unknown>>;
  how: string;
  trigger: string;
  alert: string;
  /** The trigger's window in one-minute buckets (cycles for synthetic-failures: one a minute). */
  windowMin: number;
  /** The alert's `for:` in real minutes. */
  forMin: number;
  /** Its own time scale (default SCALE). */
  scale?: number;
  /** Stop watching after this long on the scaled clock (default: 2.5 × the slowest goal). */
  limitMs?: number;
}

const FAULTS: Fault[] = [
  {
    name: '5xx', bodies: [{ route: '/api/scholarships', status: 500 }], how: '500 on /api/scholarships (search)',
    trigger: 'synthetic-failures', alert: 'SyntheticCanarySyntheticFailures', windowMin: 3, forMin: 0,
  },
  {
    name: 'latency', bodies: [{ route: '/api/scholarships', latencyMs: 400 }], how: '+400 ms on /api/scholarships (P95 trigger: 160 ms)',
    trigger: 'p95-high', alert: 'SyntheticCanaryP95High', windowMin: 5, forMin: 4, limitMs: 40_000,
  },
  {
    // The alert pools every critical route's calls into one P95: search alone is under 5 % of them.
    name: 'latency-all', bodies: [...CRITICAL_ROUTES].map((key) => ({ method: key.split(' ')[0], route: key.split(' ')[1], latencyMs: 400 })),
    how: '+400 ms on every critical route', trigger: 'p95-high', alert: 'SyntheticCanaryP95High', windowMin: 5, forMin: 4, scale: 0.2,
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


function kill(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  for (const p of treeOf(child.pid).reverse()) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
}

async function json(url: string): Promise<any> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return r.json();
}

/** Every journey and call line in the store (flat records: `type`, `target`, …) from `since` on. */
function storeRecords(dir: string, since: number): any[] {
  if (!existsSync(dir)) return [];
  const out: any[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ndjson'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.includes('"target":"canary"')) continue;
      try {
        const r = JSON.parse(line);
        if (Date.parse(r.at ?? r.startedAt) >= since) out.push(r);
      } catch { /* partial line */ }
    }
  }
  return out;
}

/** Pushgateway text: the canary's 5xx call count and failed journeys; its search calls slower than 160 ms. */
function gatewayState(text: string): { fiveXx: number; failing: number; slow: number } {
  let fiveXx = 0;
  let failing = 0;
  let total = 0;
  let fast = 0;
  for (const l of text.split('\n')) {
    if (!l.includes('canary="true"')) continue;
    const v = Number(l.slice(l.lastIndexOf(' ') + 1));
    if (l.startsWith('synthetic_request_duration_seconds_count{') && l.includes('status_class="5xx"')) fiveXx += v;
    if (l.startsWith('synthetic_journey_success{') && v === 0) failing += 1;
    if (l.includes('path="/api/scholarships"') && l.includes('method="GET"')) {
      if (l.startsWith('synthetic_request_duration_seconds_count{')) total += v;
      if (l.startsWith('synthetic_request_duration_seconds_bucket{') && l.includes('le="0.16"')) fast += v;
    }
  }
  return { fiveXx, failing, slow: total - fast };
}

interface Row {
  fault: string;
  how: string;
  store?: number;
  storeWhat?: string;
  gateway?: number;
  gatewayWhat?: string;
  gate?: number;
  gateTriggers?: string;
  alertPending?: number;
  alert?: number;
  alertsFiring?: string;
  error?: string;
}

async function scenario(fault: Fault, limitMs: number, SCALE: number): Promise<Row> {
  const EVERY_MS = Math.round(CADENCE_MS * SCALE);
  const dir = mkdtempSync(join(tmpdir(), `detection-${fault.name}-`));
  const results = join(dir, 'results');
  const services = join(dir, 'services');
  const row: Row = { fault: fault.name, how: fault.how };
  let control: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let canary: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let runner: ChildProcess | undefined;
  let gate: ChildProcess | undefined;
  let servicesStarted = false;
  try {
    const env: Record<string, string> = {};
    if (WITH_ALERTS) {
      execFileSync(process.execPath, [BIN, 'rules', '--out', join(dir, 'rules'), '--time-scale', String(SCALE), '--profile', 'default'], { cwd: ROOT, stdio: 'ignore' });
      const rulesFile = join(dir, 'rules/prometheus/synthetic-canary.rules.yml');
      servicesStarted = true;
      const out = execFileSync(join(ROOT, 'scripts/services.sh'), ['start', services], { encoding: 'utf8', env: { ...process.env, RULES_FILE: rulesFile } });
      for (const m of out.matchAll(/^(\w+)=(\S+)$/gm)) env[m[1]!] = m[2]!;
    } else {
      servicesStarted = true;
      const out = execFileSync(join(ROOT, 'scripts/services.sh'), ['start', services], { encoding: 'utf8' });
      for (const m of out.matchAll(/^(\w+)=(\S+)$/gm)) env[m[1]!] = m[2]!;
    }
    [control, canary] = await Promise.all([startSandbox({ buildId: 'bench-control' }), startSandbox({ buildId: 'bench-canary' })]);
    const args = [BIN, 'run', '--every', `${EVERY_MS}ms`, ...(JOURNEYS ? ['--journey', JOURNEYS.join(',')] : ['--project', 'api']),
      '--target', `control=${control.url}`, '--target', `canary=${canary.url}`, '--results', results];
    let canaryCycles = 0;
    let canaryGreen = 0;
    runner = spawn(process.execPath, args, {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, ...ACCOUNTS_ENV, PUSHGATEWAY_URL: env.PUSHGATEWAY_URL!, RUNNER_ID: `detection-${process.pid}`, REGION: 'bench',
        RETRIES: String(BACKOFF.retries), RETRY_MIN_DELAY_MS: String(Math.round(BACKOFF.minDelayMs * SCALE)),
        RETRY_FACTOR: String(BACKOFF.factor), RETRY_MAX_DELAY_MS: String(Math.round(BACKOFF.maxDelayMs * SCALE)),
      },
    });
    const runnerTail = onLines(runner, (l) => {
      const m = / cycle \d+ canary: (\d+)\/(\d+) passed.*?, (\d+) failed/.exec(l);
      if (!m) return;
      canaryCycles += 1;
      if (m[3] === '0') canaryGreen += 1;
    });
    let gateUrl = '';
    gate = spawn(process.execPath, [BIN, 'gate', '--serve', '--port', '0', '--time-scale', String(SCALE), '--results', results], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GATE_TOKEN: '' },
    });
    const gateTail = onLines(gate, (l) => {
      const m = /gate listening on (\S+)/.exec(l);
      if (m) gateUrl = m[1]!;
    });

    // Warm up: the canary green for 3 cycles, the gate up, and (with alerts) Prometheus holding the runner's series.
    const warmLimit = Date.now() + Math.max(45_000, 6 * EVERY_MS);
    for (;;) {
      let promReady = !WITH_ALERTS;
      if (!promReady) {
        const q = await json(`${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent('synthetic_last_cycle_timestamp_seconds{canary="true"}')}`).catch(() => undefined);
        promReady = (q?.data?.result?.length ?? 0) > 0;
      }
      if (canaryGreen >= 2 && gateUrl && promReady) break;
      if (Date.now() > warmLimit) throw new Error(`warm-up: canary green cycles ${canaryGreen}/${canaryCycles}, gate ${gateUrl || 'not up'}, prometheus ${promReady}\n${runnerTail()}\n${gateTail()}`);
      await sleep(200);
    }
    const before = await json(`${gateUrl}/api/v1/decision?phase=5`);
    if (before.decision === 'rollback') throw new Error(`the gate said rollback before the fault: ${before.reason}`);
    const gw0 = gatewayState(await (await fetch(`${env.PUSHGATEWAY_URL}/metrics`)).text());

    const t0 = Date.now();
    for (const body of fault.bodies) {
      const res = await fetch(`${canary.url}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`fault injection: HTTP ${res.status} ${await res.text()}`);
    }
    const since = t0 - 50;
    const done = () => row.store !== undefined && row.gateway !== undefined && row.gate !== undefined && (!WITH_ALERTS || row.alert !== undefined);
    while (!done() && Date.now() - t0 < limitMs) {
      const now = () => Date.now() - t0;
      if (row.store === undefined) {
        const recs = storeRecords(results, since);
        const failed = recs.find((r) => r.type === 'journey' && r.outcome === 'failed');
        const slow = recs.find((r) => r.type === 'call' && r.route === '/api/scholarships' && r.durationMs > 160);
        if (failed) [row.store, row.storeWhat] = [now(), `${failed.journey} failed (${String(failed.reason ?? '').split('\n')[0]!.slice(0, 80)})`];
        else if (fault.name.startsWith('latency') && slow) [row.store, row.storeWhat] = [now(), `${slow.journey}: GET /api/scholarships took ${Math.round(slow.durationMs)} ms (> 160)`];
      }
      if (row.gateway === undefined) {
        const gw = gatewayState(await (await fetch(`${env.PUSHGATEWAY_URL}/metrics`)).text());
        if (gw.fiveXx > gw0.fiveXx || gw.failing > gw0.failing) [row.gateway, row.gatewayWhat] = [now(), gw.fiveXx > gw0.fiveXx ? '5xx status_class series' : 'journey_success 0'];
        else if (fault.name.startsWith('latency') && gw.slow > gw0.slow) [row.gateway, row.gatewayWhat] = [now(), 'search call counted above the 0.16 s bucket'];
      }
      if (row.gate === undefined) {
        const d = await json(`${gateUrl}/api/v1/decision?phase=5`).catch(() => undefined);
        if (d?.decision === 'rollback') {
          row.gate = now();
          const num = (v: unknown) => (typeof v === 'number' ? Math.round(v) : v);
          row.gateTriggers = (d.checks ?? []).filter((c: any) => c.kind === 'trigger' && c.ok === false)
            .map((c: any) => `${c.name} (canary ${num(c.observed?.canary)} ${c.op} ${c.threshold})`).join(', ');
        }
      }
      if (WITH_ALERTS && row.alert === undefined) {
        const a = await json(`${env.PROMETHEUS_URL}/api/v1/alerts`).catch(() => undefined);
        const alerts: any[] = a?.data?.alerts ?? [];
        const mine = alerts.filter((x) => x.labels?.alertname === fault.alert);
        if (row.alertPending === undefined && mine.length) row.alertPending = now();
        if (mine.some((x) => x.state === 'firing')) {
          row.alert = now();
          row.alertsFiring = [...new Set(alerts.filter((x) => x.state === 'firing').map((x) => x.labels.alertname))].join(', ');
        }
      }
      await sleep(POLL_MS);
    }
    if (!done()) row.error = `not all detected within ${limitMs / 1000} s`;
    if (WITH_ALERTS && row.alert === undefined) {
      // Why not: the canary's critical-route P95 as the rules record it, over the fault.
      const q = await json(`${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(`synthetic:critical_route_latency_ms:p95{canary="true"}[${Math.ceil((Date.now() - t0) / 1000)}s]`)}`).catch(() => undefined);
      const vals: string[] = (q?.data?.result ?? []).flatMap((r: any) => r.values.map((v: [number, string]) => v[1]));
      const nums = vals.filter((v) => v !== 'NaN').map(Number).sort((a, b) => a - b);
      const over = nums.filter((n) => n > 160).length;
      row.error += `; the rules' recorded canary critical-route P95 over the fault: median ${Math.round(nums[Math.floor(nums.length / 2)] ?? NaN)} ms, max ${Math.round(nums.at(-1) ?? NaN)} ms, above 160 ms in ${over} of ${nums.length} evaluations, NaN (no call in the window) in ${vals.length - nums.length}`;
    }
  } catch (e) {
    row.error = (e as Error).message.slice(0, 2000);
  } finally {
    kill(runner);
    kill(gate);
    control?.stop();
    canary?.stop();
    if (servicesStarted) try { execFileSync(join(ROOT, 'scripts/services.sh'), ['stop', services], { stdio: 'ignore' }); } catch { /* stopped */ }
    rmSync(dir, { recursive: true, force: true });
  }
  return row;
}

/** The goals, in real (60 s cadence) ms. */
function goals(f: Fault) {
  const bucket = 60_000;
  return {
    store: CADENCE_MS + RETRY_BUDGET_MS,
    gate: f.windowMin * bucket + CADENCE_MS,
    // The condition's own onset (3 failing cycles; or one bucket whose increase() holds a slow call),
    // then `for:`, then one rule evaluation (the group's interval, a minute) and one scrape.
    alert: (f.name === '5xx' ? f.windowMin * CADENCE_MS : bucket) + f.forMin * bucket + bucket + SCRAPE_MS,
  };
}

async function main() {
  const faults = FAULTS.filter((f) => (values.only ? values.only.split(',').includes(f.name) : !smoke || f.name === '5xx'));
  const rows: Row[] = [];
  for (const f of faults) {
    const g = goals(f);
    const scale = f.scale ?? SCALE;
    rows.push(await scenario(f, smoke ? 15_000 : f.limitMs ?? Math.max(g.alert, g.gate) * scale * 2.5 + 10_000, scale));
    const r = rows.at(-1)!;
    process.stderr.write(`detection: ${f.name}: ${JSON.stringify(r)}\n`);
  }
  const scaleOf = (fault: string) => FAULTS.find((x) => x.name === fault)!.scale ?? SCALE;
  const s = (ms?: number) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
  let SCALE_ = SCALE;
  const real = (ms?: number) => (ms === undefined ? '—' : `${(ms / SCALE_ / 1000).toFixed(0)} s`);
  const verdict = (ms: number | undefined, goal: number) => (ms === undefined ? 'not reached' : ms / SCALE_ <= goal ? 'met' : 'not met');
  const out = rows.map((r) => {
    const f = FAULTS.find((x) => x.name === r.fault)!;
    const g = goals(f);
    const k = f.scale ?? SCALE;
    return { ...r, scale: k, realMs: { store: r.store && r.store / k, gateway: r.gateway && r.gateway / k, gate: r.gate && r.gate / k, alert: r.alert && r.alert / k }, goalsMs: g };
  });
  const tableRows: Array<Array<string | number>> = [];
  for (const r of out) {
    SCALE_ = scaleOf(r.fault);
    const name = `${r.fault} (${r.scale})`;
    tableRows.push([name, '(a) first failing result in the store', s(r.store), real(r.store), `${(r.goalsMs.store / 1000).toFixed(0)} s (one cadence + retry budget)`, verdict(r.store, r.goalsMs.store), r.storeWhat ?? '']);
    tableRows.push([name, '(b) metric in the Pushgateway', s(r.gateway), real(r.gateway), '—', '', r.gatewayWhat ?? '']);
    tableRows.push([name, '(c) gate --phase 5 says rollback', s(r.gate), real(r.gate), `${(r.goalsMs.gate / 1000).toFixed(0)} s (window + one cadence)`, verdict(r.gate, r.goalsMs.gate), r.gateTriggers ?? '']);
    if (WITH_ALERTS) tableRows.push([name, '(d) Prometheus alert firing', s(r.alert), real(r.alert), `${(r.goalsMs.alert / 1000).toFixed(0)} s (onset + for + eval + scrape)`, verdict(r.alert, r.goalsMs.alert), r.alertsFiring ? `firing: ${r.alertsFiring}${r.alertPending !== undefined ? `; pending at ${s(r.alertPending)}` : ''}` : '']);
  }
  const md = [
    '## Detection time',
    '',
    `A fault injected into a sandbox canary (control beside it, the real runbook \`runbook/canary.yaml\`, profile default, phase 5 %), on an accelerated clock, time scale F = ${[...new Set(out.map((r) => r.scale))].join(' or ')} (a minute is 60 × F s): the runner cycles every 60 s × F, retries with the runbook's backoff on the same clock, the gate runs with \`--time-scale F\` and Prometheus loads \`synthetics rules --time-scale F\` (groups evaluated every 60 × F s). Each scenario starts its own control and canary sandboxes, Pushgateway, Prometheus, runner and \`gate --serve\`, waits for two green canary cycles, then injects the fault. ${JOURNEYS ? `Journeys: ${JOURNEYS.join(', ')}.` : 'Journeys: every API journey (`--project api`).'} ${machine()}.`,
    '',
    table(['fault (time scale)', 'stage', 'measured', 'at a 60 s cadence', 'goal (60 s cadence)', 'goal', 'what'], tableRows),
    '',
    ...out.filter((r) => r.error).map((r) => `- ${r.fault}: ${r.error!.split('\n')[0]}`),
    '',
    `Reproduce: \`npx tsx bench/detection.bench.ts\` (\`--smoke\`: the 5xx fault only, (a)–(c), a minute is 1.2 s).`,
    '',
    'How to read it: every window is on the scaled clock (the cadence, the retry delays, the gate\'s one-minute buckets, the rules\' `for:` and evaluation interval), so a figure ÷ its time scale is the same figure at the real 60 s cadence. What does not scale is inflated by that division: the journeys\' own wall time (a few hundred ms a cycle, and a latency fault adds 400 ms to every slowed call and to each retry of it), the 1 s Pushgateway scrape of `scripts/services.sh` and this bench\'s 100 ms polling — so the "at a 60 s cadence" column is an upper bound, most of all for the latency faults, whose faulty cycle is several scaled minutes\' worth of unscaled 400 ms waits.',
    '',
    'What bounds each figure: (a) the cycle the fault lands in — a fault injected mid-cycle is seen by the next call to the route (at worst in the next cycle, when the route was just called), and a failed journey\'s line is written to the store as soon as its result is final, i.e. after its own two retries (1 s + 2 s, scaled), without waiting for the rest of the cycle, so the goal is one cadence plus the retry budget; (b) the push, still at the end of the canary\'s cycle (it waits for all the canary\'s journeys): after (a) by as long as the canary\'s other journeys of that cycle still run, so (b) − (a) in the table is the rest of that cycle, to this bench\'s 100 ms polling; (c) the trigger\'s window: a 5xx on search trips `synthetic-failures` (3 consecutive failed runs: 3 cycles) before the 5-bucket 5xx-ratio trigger; latency trips `p95-high` (5 consecutive one-minute buckets over 160 ms; `p99-high` with it) — unless the latency also fails journeys on their 150 ms budget, in which case `synthetic-failures` (3 cycles) comes first; (d) the same onset in Prometheus, then the alert\'s `for:` (none for synthetic-failures; 4m for p95-high: pending at the first bucket, firing at the fifth), one rule evaluation (60 s × F) and one scrape.',
    '',
    'Two things the latency runs show. First, the alert and the gate do not see a one-route slowdown alike: with +400 ms on search only, the gate rolls back on `p95-high` (it reads a canary P95 of ~405 ms) but `SyntheticCanaryP95High` does not fire — the rule pools every critical route\'s first-attempt calls into one P95, in which the slowed search calls lift it over 160 ms only in the windows where they land, so the alert goes pending and is reset by the healthy windows between (see the note under the table); a per-route P95 alert (`max by (method, path)`) would match the gate. Second, the accelerated clock has a floor: when a faulty cycle outlasts the scaled minute, some `increase(…[1m])` windows hold no push, the alert expression is empty there and Prometheus resets the `for:`; at time scale 0.05 the all-routes latency alert went pending and never fired, so that scenario runs at 0.2 (a minute is 12 s), where every window holds a push, as it does at the real 60 s cadence.',
  ].join('\n');
  writeResult('detection', { machine: machine(), smoke, journeys: JOURNEYS ?? 'api', rows: out }, md);
  console.log(md);
}

await main();
