/**
 * Client-side simulators of the two rollout controllers that call the gate, Argo Rollouts and
 * Flagger, written from their sources (argoproj/argo-rollouts, fluxcd/flagger: each behaviour
 * cites the file and function it follows) and driven by a scaled clock: every controller duration
 * (an interval, a retry, a timeout) is multiplied by `timeScale`, the scale the gate gets through
 * `--time-scale`. Neither simulator knows the gate: each reads its whole configuration from the
 * ci/ templates at run time (AnalysisTemplates and the Rollout's step list; the Canary and its
 * MetricTemplates), calls the URLs they name through a `Network` that maps the in-cluster hosts
 * to local addresses, and reads the answers only the way the real controller does. What the gate
 * said besides (its decision and the phase start in the body) is kept in the timeline for the
 * test's assertions, never for a decision.
 *
 * Deliberately not simulated: Kubernetes itself (ReplicaSets and Deployments are ready at once,
 * the mesh applies a weight at once, `IsCanaryReady`/`IsPrimaryReady` are true), Argo's pause
 * steps, experiments, dry-run and measurement retention, Flagger's A/B and blue/green strategies,
 * mirroring, builtin metrics and MetricTemplate variables. A template that needs one of them makes
 * the simulator throw at load, naming it: the test must then grow the simulator, not ignore it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, parseAllDocuments } from 'yaml';

// ---------------------------------------------------------------------------------------------
// Shared: the network, the clock, the timeline.

/** Where a template's URL really goes, and which backend (a Service endpoint) took it. */
export interface Routed {
  url: string;
  backend: string;
}

export interface Network {
  route(url: string): Routed;
}

/**
 * Kubernetes Services as a controller sees them: `host:port` → the Service's live endpoints, taken
 * in turn (kube-proxy spreads connections over the endpoints; a pod that was just killed stays one
 * until its readiness probe fails, so a request may still land on it). A URL whose host is not a
 * Service here goes out as it is.
 */
export function servicesNetwork(services: Record<string, () => string[]>): Network {
  const turn = new Map<string, number>();
  return {
    route(url) {
      const u = new URL(url);
      const endpoints = services[u.host];
      if (!endpoints) return { url, backend: u.host };
      const live = endpoints();
      if (live.length === 0) throw new Error(`service ${u.host} has no endpoints`);
      const i = (turn.get(u.host) ?? 0) % live.length;
      turn.set(u.host, i + 1);
      const base = new URL(live[i]!);
      return { url: `${base.origin}${base.pathname.replace(/\/+$/, '')}${u.pathname}${u.search}`, backend: base.host };
    },
  };
}

/** Go's `time.ParseDuration` (what both controllers parse their durations with), in ms. */
export function goDuration(text: string): number {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ms += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  if (at === 0 || at !== text.length) throw new Error(`"${text}" is not a Go duration`);
  return ms;
}

export interface Clock {
  /** Every controller duration is multiplied by this: the gate's --time-scale. */
  timeScale: number;
  /**
   * A request timeout is scaled too, but never below this (default 5 s): the gate's decision and
   * Prometheus' answers take real time (0.3-1.8 s measured on 2 cores), which no scale shrinks, so
   * a scaled 25 s (1.25 s) would turn a slow answer into an error the real controller never sees.
   */
  minTimeoutMs?: number;
}

const scaled = (clock: Clock, ms: number) => ms * clock.timeScale;
const timeoutOf = (clock: Clock, ms: number) => Math.max(ms * clock.timeScale, clock.minTimeoutMs ?? 5000);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What the gate's body said (for the test's assertions only: no controller decides on it). */
export interface GateView {
  decision?: string;
  reason?: string;
  /** `window.phaseStart.at`: when the gate counts the phase from. */
  phaseStartAt?: string | null;
  phaseStartHow?: string;
}

function gateViewOf(text: string): GateView | undefined {
  try {
    const body = JSON.parse(text) as { decision?: unknown; reason?: unknown; window?: { phaseStart?: { at?: string | null; how?: string } } | null };
    if (typeof body !== 'object' || body === null || typeof body.decision !== 'string') return undefined;
    const start = body.window?.phaseStart;
    return {
      decision: body.decision,
      reason: typeof body.reason === 'string' ? body.reason : undefined,
      ...(start ? { phaseStartAt: start.at ?? null, phaseStartHow: start.how } : {}),
    };
  } catch {
    return undefined;
  }
}

export interface Entry {
  /** Epoch ms. */
  at: number;
  controller: 'argo' | 'flagger';
  kind: 'step' | 'analysis' | 'measurement' | 'rollout' | 'tick' | 'hook' | 'metric' | 'weight' | 'status';
  /** The runbook phase: Argo's analysis `phase` arg; Flagger's canary weight at the time. */
  phase?: number;
  /** The analysis run (`step`, `background`), metric or webhook. */
  name?: string;
  /** Argo: Successful, Failed, Error, Inconclusive, Running; Flagger: ok / no, or the canary's phase. */
  status?: string;
  value?: string;
  message?: string;
  /** The endpoint that answered (which gate replica). */
  backend?: string;
  gate?: GateView;
}

class Timeline {
  readonly entries: Entry[] = [];
  constructor(private readonly controller: Entry['controller']) {}
  add(e: Omit<Entry, 'at' | 'controller'>): Entry {
    const entry = { at: Date.now(), controller: this.controller, ...e };
    this.entries.push(entry);
    return entry;
  }
}

/** One line per entry, times in seconds from `t0`. */
export function formatEntry(e: Entry, t0: number): string {
  const parts = [`+${((e.at - t0) / 1000).toFixed(1).padStart(6)}s`, e.controller, e.kind];
  if (e.name) parts.push(e.name);
  if (e.phase !== undefined) parts.push(`phase=${e.phase}`);
  if (e.value !== undefined) parts.push(`value=${e.value}`);
  if (e.status) parts.push(e.status);
  if (e.backend) parts.push(`@${e.backend}`);
  if (e.gate?.phaseStartAt !== undefined) parts.push(`phaseStart=${e.gate.phaseStartAt}`);
  if (e.message) parts.push(`(${e.message.length > 160 ? `${e.message.slice(0, 157)}...` : e.message})`);
  return parts.join(' ');
}

async function waitUntil<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`);
    await sleep(50);
  }
}

function need(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(`controller simulator: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Argo Rollouts.

type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';
const COMPLETED = new Set<AnalysisPhase>(['Successful', 'Failed', 'Error', 'Inconclusive']);
/** utils/analysis/helpers.go `analysisStatusOrder`, best to worst; `IsWorse`. */
const STATUS_ORDER: AnalysisPhase[] = ['Successful', 'Running', 'Pending', 'Inconclusive', 'Error', 'Failed'];
const isWorse = (current: AnalysisPhase, next: AnalysisPhase) => STATUS_ORDER.indexOf(next) > STATUS_ORDER.indexOf(current);
/** analysis/analysis.go `DefaultErrorRetryInterval`: after an Error the next measurement comes 10 s later, not at `interval`. */
export const ARGO_ERROR_RETRY_MS = 10_000;
/** utils/defaults/defaults.go `DefaultConsecutiveErrorLimit`. */
const ARGO_DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

interface ArgoArg {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export interface ArgoMetric {
  name: string;
  interval?: string;
  initialDelay?: string;
  count?: number;
  failureLimit?: number;
  inconclusiveLimit?: number;
  consecutiveErrorLimit?: number;
  consecutiveSuccessLimit?: number;
  successCondition?: string;
  failureCondition?: string;
  provider: {
    web?: { url: string; method?: string; headers?: Array<{ key: string; value: string }>; jsonPath?: string; timeoutSeconds?: number; body?: string; jsonBody?: unknown };
    prometheus?: { address: string; query: string; timeout?: number };
  };
}

interface ArgoTemplate {
  name: string;
  args: ArgoArg[];
  metrics: ArgoMetric[];
}

type ArgoStep =
  | { setWeight: number }
  | { analysis: { templates: Array<{ templateName: string }>; args?: Array<{ name: string; value: string }> } };

/** An AnalysisTemplate from its file, refusing what the simulator does not model. */
export function readAnalysisTemplate(path: string): ArgoTemplate {
  const doc = parse(readFileSync(path, 'utf8')) as { kind?: string; metadata?: { name?: string }; spec?: { args?: ArgoArg[]; metrics?: ArgoMetric[]; dryRun?: unknown; measurementRetention?: unknown } };
  need(doc?.kind === 'AnalysisTemplate' && doc.metadata?.name, `${path}: not an AnalysisTemplate`);
  need(!doc.spec?.dryRun && !doc.spec?.measurementRetention, `${path}: dryRun / measurementRetention are not simulated`);
  const metrics = doc.spec?.metrics ?? [];
  need(metrics.length > 0, `${path}: no metrics`);
  for (const m of metrics) {
    need(m.provider?.web || m.provider?.prometheus, `${path}: metric ${m.name}: only the web and prometheus providers are simulated`);
    for (const c of [m.successCondition, m.failureCondition]) if (c) parseCondition(c);
    if (m.provider.web?.jsonPath) parseJsonPath(m.provider.web.jsonPath);
    need(!(m.provider.prometheus as { rangeQuery?: unknown } | undefined)?.rangeQuery, `${path}: metric ${m.name}: rangeQuery is not simulated`);
  }
  return { name: doc.metadata.name, args: doc.spec?.args ?? [], metrics };
}

/**
 * The Rollout's canary steps, from the comment block of analysis-template.yaml ("--- Rollout
 * canary steps (example) ---" to "--- end ---"), the list the template tells people to copy.
 */
export function readRolloutSteps(path: string): ArgoStep[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const from = lines.findIndex((l) => /^#\s*--- Rollout canary steps/.test(l));
  const to = lines.findIndex((l, i) => i > from && /^#\s*--- end ---/.test(l));
  need(from >= 0 && to > from, `${path}: no "--- Rollout canary steps (example) ---" ... "--- end ---" comment block`);
  const text = lines.slice(from + 1, to).map((l) => l.replace(/^# ?/, '')).join('\n');
  const steps = (parse(text) as { steps?: ArgoStep[] }).steps;
  need(Array.isArray(steps) && steps.length > 0, `${path}: the step block has no steps`);
  for (const s of steps) need('setWeight' in s || 'analysis' in s, `${path}: step ${JSON.stringify(s)}: only setWeight and analysis steps are simulated`);
  return steps;
}

/**
 * The condition forms the templates use, as expr-lang evaluates them (utils/evaluate/evaluate.go
 * `EvalCondition`): `result`, optionally indexed (`result[0]`) or a field (`result.pass`), compared
 * with a literal. Anything else (&&, ||, functions) is refused at load.
 */
interface Condition {
  path: Array<string | number>;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  literal: string | number | boolean;
}

function parseCondition(text: string): Condition {
  const m = /^\s*result((?:\[\d+\]|\.[A-Za-z_]\w*)*)\s*(==|!=|<=|>=|<|>)\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false)\s*$/.exec(text);
  need(m, `condition "${text}": only "result[.field|[n]] OP literal" is simulated`);
  const path = [...m[1]!.matchAll(/\[(\d+)\]|\.(\w+)/g)].map((p) => (p[1] !== undefined ? Number(p[1]) : p[2]!));
  const raw = m[3]!;
  const literal = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw === 'true' ? true : raw === 'false' ? false : Number(raw);
  return { path, op: m[2] as Condition['op'], literal };
}

function evalCondition(result: unknown, c: Condition): boolean {
  let v: unknown = result;
  for (const step of c.path) {
    if (typeof step === 'number') {
      if (!Array.isArray(v)) throw new Error(`cannot index ${v === null || v === undefined ? 'nil' : typeof v}`);
      if (step >= v.length) throw new Error(`index out of range: ${step} (array length is ${v.length})`);
      v = v[step];
    } else {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`cannot fetch ${step} from ${v === null || v === undefined ? 'nil' : typeof v}`);
      v = (v as Record<string, unknown>)[step];
    }
  }
  const lit = c.literal;
  switch (c.op) {
    case '==':
      return v === lit; // expr's == is false across types, never an error
    case '!=':
      return v !== lit;
    default: {
      if (typeof v !== 'number' || typeof lit !== 'number') throw new Error(`invalid operation: ${typeof v} ${c.op} ${typeof lit}`);
      return c.op === '<' ? v < lit : c.op === '<=' ? v <= lit : c.op === '>' ? v > lit : v >= lit;
    }
  }
}

/** utils/evaluate/evaluate.go `EvaluateResult`; a throw is an Error measurement (with `formatEvalError`'s message). */
function evaluateResult(result: unknown, metric: ArgoMetric): AnalysisPhase {
  const evalOne = (text: string, which: string) => {
    try {
      return evalCondition(result, parseCondition(text));
    } catch (e) {
      const empty = result === null || result === undefined || (Array.isArray(result) && result.length === 0);
      throw new Error(empty
        ? `could not evaluate ${which} "${text}": metric result is nil or empty: no data returned from the metric provider`
        : `could not evaluate ${which} "${text}": ${(e as Error).message}`);
    }
  };
  let success = metric.successCondition ? evalOne(metric.successCondition, 'successCondition') : false;
  let fail = metric.failureCondition ? evalOne(metric.failureCondition, 'failureCondition') : false;
  if (!metric.successCondition && !metric.failureCondition) return 'Successful';
  if (metric.successCondition && !metric.failureCondition) fail = !success;
  if (!metric.successCondition && metric.failureCondition) success = !fail;
  if (fail) return 'Failed';
  if (!success) return 'Inconclusive';
  return 'Successful';
}

/** k8s.io/client-go/util/jsonpath for the forms the templates use: `{$}` and `{$.a.b}`. */
function parseJsonPath(text: string): string[] {
  const m = /^\{\$((?:\.[A-Za-z_][\w-]*)*)\}$/.exec(text.trim());
  need(m, `jsonPath "${text}": only {$} and {$.field.field} are simulated`);
  return m[1]!.split('.').filter(Boolean);
}

function findJsonPath(fields: string[], data: unknown): unknown {
  let v = data;
  for (const f of fields) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, f)) throw new Error(`${f} is not found`);
    v = (v as Record<string, unknown>)[f];
  }
  return v;
}

interface MetricResult {
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  consecutiveSuccess: number;
  measurements: number;
  phase: AnalysisPhase;
  message?: string;
}

/** pkg/apis/rollouts/v1alpha1/analysis_types.go `Metric.EffectiveCount`. */
function effectiveCount(m: ArgoMetric): number | undefined {
  if (!m.count) return m.interval ? undefined : 1;
  return m.count;
}

/** analysis/analysis.go `assessMetricFailureInconclusiveOrError` (later checks win, as there). */
export function assessMetricFailureInconclusiveOrError(m: ArgoMetric, r: MetricResult): { phase?: AnalysisPhase; message?: string } {
  let phase: AnalysisPhase | undefined;
  let message: string | undefined;
  const failureLimit = m.failureLimit ?? 0;
  if (failureLimit >= 0 && r.failed > failureLimit) {
    phase = 'Failed';
    message = `failed (${r.failed}) > failureLimit (${failureLimit})`;
  }
  const inconclusiveLimit = m.inconclusiveLimit ?? 0;
  if (r.inconclusive > inconclusiveLimit) {
    phase = 'Inconclusive';
    message = `inconclusive (${r.inconclusive}) > inconclusiveLimit (${inconclusiveLimit})`;
  }
  const errorLimit = m.consecutiveErrorLimit ?? ARGO_DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  if (r.consecutiveError > errorLimit) {
    phase = 'Error';
    message = `consecutiveErrors (${r.consecutiveError}) > consecutiveErrorLimit (${errorLimit})`;
  }
  return { phase, message };
}

/** analysis/analysis.go `assessMetricStatus`. */
export function assessMetricStatus(m: ArgoMetric, r: MetricResult, terminating: boolean): AnalysisPhase {
  if (COMPLETED.has(r.phase)) return r.phase;
  if (r.measurements === 0) return terminating ? 'Successful' : 'Pending';
  const bad = assessMetricFailureInconclusiveOrError(m, r).phase;
  if (bad) return bad;
  const csl = m.consecutiveSuccessLimit ?? 0;
  if (csl > 0 && r.consecutiveSuccess >= csl) return 'Successful';
  const count = effectiveCount(m);
  if (count !== undefined && r.count >= count) {
    const failureApplicable = m.failureLimit === undefined || m.failureLimit >= 0;
    const successApplicable = csl > 0;
    if (failureApplicable && successApplicable) return 'Inconclusive';
    if (successApplicable) return 'Failed';
    return 'Successful';
  }
  return terminating ? 'Successful' : 'Running';
}

interface Measurement {
  phase: AnalysisPhase;
  value?: string;
  message?: string;
  backend?: string;
  gate?: GateView;
}

interface ArgoContext {
  clock: Clock;
  network: Network;
  secrets: Record<string, Record<string, string>>;
  stop: AbortSignal;
  timeline: Timeline;
  weight: () => number;
}

/** `{{args.NAME}}` in every string of the metric (analysis/analysis.go `resolveArgs`); unresolved args are an error there. */
function resolveMetric(m: ArgoMetric, args: Map<string, string>): ArgoMetric {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(/\{\{\s*args\.([\w-]+)\s*\}\}/g, (_, name: string) => {
        const value = args.get(name);
        if (value === undefined) throw new Error(`failed to resolve {{args.${name}}}`);
        return value;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(m) as ArgoMetric;
}

/** The template's args merged with the Rollout's values (utils/analysis `MergeArgs`), secrets read (`resolveArgs`). */
function argsOf(templates: ArgoTemplate[], given: Array<{ name: string; value: string }>, secrets: ArgoContext['secrets']): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of templates) {
    for (const a of t.args) {
      const override = given.find((g) => g.name === a.name);
      if (override) out.set(a.name, override.value);
      else if (a.value !== undefined) out.set(a.name, a.value);
      else if (a.valueFrom?.secretKeyRef) {
        const { name, key } = a.valueFrom.secretKeyRef;
        const value = secrets[name]?.[key];
        if (value === undefined) throw new Error(`secret "${name}" key "${key}" not found (args.${a.name})`);
        out.set(a.name, value);
      }
    }
  }
  return out;
}

/** metricproviders/webmetric/webmetric.go `Provider.Run` and `parseResponse`. */
async function webMeasure(m: ArgoMetric, ctx: ArgoContext): Promise<Measurement> {
  const web = m.provider.web!;
  const method = web.method ?? 'GET';
  if ((web.body || web.jsonBody) && method === 'GET') return { phase: 'Error', message: 'Body/JSONBody can only be used with POST or PUT WebMetric Method types' };
  let routed: Routed;
  try {
    routed = ctx.network.route(web.url);
  } catch (e) {
    return { phase: 'Error', message: (e as Error).message };
  }
  const headers: Record<string, string> = {};
  for (const h of web.headers ?? []) headers[h.key] = h.value; // request.Header.Set
  const body = web.body ?? (web.jsonBody !== undefined ? JSON.stringify(web.jsonBody) : undefined);
  if (web.jsonBody !== undefined) headers['Content-Type'] = 'application/json';
  // NewWebMetricHttpClient: timeoutSeconds, default 10 s; the client's Timeout covers reading the body too.
  const timeout = timeoutOf(ctx.clock, (web.timeoutSeconds && web.timeoutSeconds > 0 ? web.timeoutSeconds : 10) * 1000);
  let status: number;
  let text: string;
  try {
    const res = await fetch(routed.url, { method, headers, body, signal: AbortSignal.any([AbortSignal.timeout(timeout), ctx.stop]) });
    status = res.status;
    text = await res.text();
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { phase: 'Error', message: cause ?? (e as Error).message, backend: routed.backend };
  }
  const gate = gateViewOf(text);
  const base = { backend: routed.backend, gate };
  if (status < 200 || status >= 300) return { phase: 'Error', message: `received non 2xx response code: ${status}`, ...base };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    try {
      return { phase: evaluateResult(text, m), value: text, ...base };
    } catch (e) {
      return { phase: 'Error', message: (e as Error).message, ...base };
    }
  }
  let value: unknown;
  try {
    value = findJsonPath(parseJsonPath(web.jsonPath ?? '{$}'), data);
  } catch (e) {
    return { phase: 'Error', message: `Could not find JSONPath in body: ${(e as Error).message}`, ...base };
  }
  const valueText = JSON.stringify(value) ?? 'null';
  try {
    return { phase: evaluateResult(value, m), value: valueText, ...base };
  } catch (e) {
    return { phase: 'Error', value: valueText, message: (e as Error).message, ...base };
  }
}

/**
 * metricproviders/prometheus/prometheus.go `Provider.Run` (an instant query at now, bounded by
 * `timeout`, default 30 s: `NewPrometheusProvider`) and `processResponse` (a vector becomes a list
 * of floats, so `result[0]` reads a one-element vector; an empty one makes `result[0]` an Error).
 */
async function prometheusMeasure(m: ArgoMetric, ctx: ArgoContext): Promise<Measurement> {
  const p = m.provider.prometheus!;
  let routed: Routed;
  try {
    routed = ctx.network.route(p.address);
  } catch (e) {
    return { phase: 'Error', message: (e as Error).message };
  }
  const timeout = timeoutOf(ctx.clock, (p.timeout ?? 30) * 1000);
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  try {
    const params = new URLSearchParams({ query: p.query, time: String(Date.now() / 1000) });
    const res = await fetch(`${routed.url.replace(/\/+$/, '')}/api/v1/query?${params}`, { signal: AbortSignal.any([AbortSignal.timeout(timeout), ctx.stop]) });
    body = (await res.json()) as typeof body;
    if (body.status !== 'success') throw new Error(`${res.status}: ${body.error ?? 'not a success'}`);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { phase: 'Error', message: cause ?? (e as Error).message, backend: routed.backend };
  }
  const d = body.data ?? {};
  let value: number | number[];
  if (d.resultType === 'scalar') value = Number((d.result as [number, string])[1]);
  else if (d.resultType === 'vector') value = (d.result as Array<{ value: [number, string] }>).map((s) => Number(s.value[1]));
  else if (d.resultType === 'matrix') value = (d.result as Array<{ values: Array<[number, string]> }>).flatMap((s) => s.values.map((v) => Number(v[1])));
  else return { phase: 'Error', message: 'Prometheus metric type not supported', backend: routed.backend };
  const valueText = Array.isArray(value) ? `[${value.join(',')}]` : String(value);
  try {
    return { phase: evaluateResult(value, m), value: valueText, backend: routed.backend };
  } catch (e) {
    return { phase: 'Error', value: valueText, message: (e as Error).message, backend: routed.backend };
  }
}

interface RunOutcome {
  phase: AnalysisPhase;
  message: string;
}

/**
 * One AnalysisRun (analysis/analysis.go `reconcileAnalysisRun`): each metric measured on its own
 * schedule (`generateMetricTasks`: the first at once, or after `initialDelay`; then `interval` after
 * the last measurement finished, or `DefaultErrorRetryInterval` after an Error), counted as
 * `runMeasurements` counts, assessed by `assessMetricStatus`; a metric that ends Failed, Error or
 * Inconclusive makes the run terminate (utils/analysis/helpers.go `IsTerminating`), and the run's
 * phase is the worst of its metrics (`assessRunStatus`).
 */
class AnalysisRun {
  readonly done: Promise<RunOutcome>;
  private terminating = false;
  /** Terminated by the rollout (promoted, aborted), not by one of its own metrics. */
  private cancelled = false;
  private readonly wake = new AbortController();

  /** `metrics`, or why the run could not even start (`reconcileAnalysisRun`: unresolved args make it Error at once). */
  constructor(private readonly ctx: ArgoContext, readonly label: string, readonly phase: number | undefined, metrics: ArgoMetric[] | Error) {
    ctx.timeline.add({ kind: 'analysis', name: label, phase, status: 'Running', message: Array.isArray(metrics) ? metrics.map((m) => m.name).join(', ') : undefined });
    const outcome = Array.isArray(metrics) ? this.run(metrics) : Promise.resolve<RunOutcome>({ phase: 'Error', message: `Unable to resolve metric arguments: ${metrics.message}` });
    this.done = outcome.then((outcome) => {
      ctx.timeline.add({ kind: 'analysis', name: label, phase, status: outcome.phase, message: outcome.message || (this.cancelled ? 'Run Terminated' : undefined) });
      return outcome;
    });
  }

  /** `Spec.Terminate`: the rollout is done with this run (promoted, aborted). */
  terminate(): void {
    this.cancelled = true;
    this.stopMetrics();
  }

  private stopMetrics(): void {
    this.terminating = true;
    this.wake.abort();
  }

  private async run(metrics: ArgoMetric[]): Promise<RunOutcome> {
    const results = metrics.map((): MetricResult => ({ count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0, consecutiveSuccess: 0, measurements: 0, phase: 'Pending' }));
    await Promise.all(metrics.map((m, i) => this.loop(m, results[i]!)));
    let worst: AnalysisPhase | undefined;
    let message = '';
    metrics.forEach((m, i) => {
      const r = results[i]!;
      const phase = COMPLETED.has(r.phase) ? r.phase : assessMetricStatus(m, r, true);
      if (worst === undefined || isWorse(worst, phase)) {
        worst = phase;
        const why = assessMetricFailureInconclusiveOrError(m, r).message;
        message = why ? `Metric "${m.name}" assessed ${phase} due to ${why}${r.message ? `: "Error Message: ${r.message}"` : ''}` : '';
      }
    });
    return { phase: worst ?? 'Successful', message };
  }

  private async loop(m: ArgoMetric, r: MetricResult): Promise<void> {
    if (m.initialDelay) await sleep(scaled(this.ctx.clock, goDuration(m.initialDelay)), this.wake.signal);
    for (;;) {
      if (this.terminating || this.ctx.stop.aborted) return;
      const x = m.provider.web ? await webMeasure(m, this.ctx) : await prometheusMeasure(m, this.ctx);
      if (this.ctx.stop.aborted) return;
      // runMeasurements: the counters per measurement phase.
      r.measurements += 1;
      switch (x.phase) {
        case 'Successful':
          r.successful += 1; r.count += 1; r.consecutiveError = 0; r.consecutiveSuccess += 1;
          break;
        case 'Failed':
          r.failed += 1; r.count += 1; r.consecutiveError = 0; r.consecutiveSuccess = 0;
          break;
        case 'Inconclusive':
          r.inconclusive += 1; r.count += 1; r.consecutiveError = 0; r.consecutiveSuccess = 0;
          break;
        default:
          r.error += 1; r.consecutiveError += 1; r.consecutiveSuccess = 0;
      }
      this.ctx.timeline.add({
        kind: 'measurement', name: `${this.label}/${m.name}`, phase: this.phase ?? this.ctx.weight(), value: x.value, status: x.phase,
        message: x.message ?? (x.gate?.decision && x.gate.decision !== 'go' ? x.gate.reason : undefined), backend: x.backend, gate: x.gate,
      });
      const status = assessMetricStatus(m, r, this.terminating);
      if (COMPLETED.has(status)) {
        r.phase = status;
        r.message = x.message;
        if (status !== 'Successful') this.stopMetrics(); // IsTerminating: the other metrics stop
        return;
      }
      r.phase = status;
      const wait = x.phase === 'Error' ? ARGO_ERROR_RETRY_MS : m.interval ? goDuration(m.interval) : ARGO_ERROR_RETRY_MS;
      // The next one is due `wait` after this one finished (lastMeasurement.FinishedAt + interval).
      await sleep(scaled(this.ctx.clock, wait), this.wake.signal);
    }
  }
}

export interface ArgoOptions extends Clock {
  /** ci/argo-rollouts/analysis-template.yaml: the gate's web metric, and the Rollout's steps in its comment block. */
  stepTemplate: string;
  /** ci/argo-rollouts/analysis-template-prometheus-<profile>.yaml: spec.strategy.canary.analysis (background). */
  backgroundTemplate?: string;
  network: Network;
  /** Secrets in the Rollout's namespace: name → key → value (the gate's token). */
  secrets: Record<string, Record<string, string>>;
}

export type RolloutState = 'Progressing' | 'Paused' | 'Aborted' | 'Healthy';

/**
 * A canary Rollout through its steps (rollout/canary.go `completedCurrentCanaryStep`: a setWeight
 * step is done once the weight is set, which here is at once; an analysis step once its run is
 * Successful), with the background analysis from the first step (rollout/analysis.go
 * `reconcileBackgroundAnalysisRun`, no startingStep), cancelled once fully promoted
 * (`reconcileAnalysisRuns`). A Failed or Errored run, step or background, aborts the rollout; an
 * Inconclusive one pauses it (`reconcileStepBasedAnalysisRun`, `reconcileBackgroundAnalysisRun`:
 * PauseReasonInconclusiveAnalysis). Neither resumes here: a person would.
 */
export class ArgoRollout {
  readonly timeline: Entry[];
  state: RolloutState = 'Progressing';
  weight = 0;
  readonly startedAt = Date.now();
  private readonly tl = new Timeline('argo');
  private readonly stopper = new AbortController();
  private readonly steps: ArgoStep[];
  private readonly stepTemplate: ArgoTemplate;
  private readonly background?: ArgoTemplate;
  private done?: Promise<void>;

  constructor(private readonly o: ArgoOptions) {
    this.timeline = this.tl.entries;
    this.steps = readRolloutSteps(o.stepTemplate);
    this.stepTemplate = readAnalysisTemplate(o.stepTemplate);
    this.background = o.backgroundTemplate ? readAnalysisTemplate(o.backgroundTemplate) : undefined;
    for (const s of this.steps) {
      if ('analysis' in s) for (const t of s.analysis.templates) need(t.templateName === this.stepTemplate.name, `step template ${t.templateName}: only ${this.stepTemplate.name} (${o.stepTemplate}) is loaded`);
    }
  }

  start(): this {
    this.done = this.run().catch((e: unknown) => {
      this.tl.add({ kind: 'rollout', status: 'Aborted', message: `simulator error: ${(e as Error).message}` });
      this.state = 'Aborted';
    });
    return this;
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.done;
  }

  waitFor<T>(what: string, probe: (r: this) => T | undefined | false, timeoutMs: number): Promise<T> {
    return waitUntil(what, () => probe(this), timeoutMs, () => this.timeline.slice(-15).map((e) => formatEntry(e, this.startedAt)).join('\n'));
  }

  private runOf(label: string, templates: ArgoTemplate[], args: Array<{ name: string; value: string }>, phase: number | undefined): AnalysisRun {
    const ctx: ArgoContext = { clock: this.o, network: this.o.network, secrets: this.o.secrets, stop: this.stopper.signal, timeline: this.tl, weight: () => this.weight };
    let metrics: ArgoMetric[] | Error;
    try {
      const resolved = argsOf(templates, args, this.o.secrets);
      metrics = templates.flatMap((t) => t.metrics.map((m) => resolveMetric(m, resolved)));
    } catch (e) {
      metrics = e as Error;
    }
    return new AnalysisRun(ctx, label, phase, metrics);
  }

  private conclude(outcome: RunOutcome, what: string): void {
    if (outcome.phase === 'Inconclusive') {
      this.state = 'Paused';
      this.tl.add({ kind: 'rollout', status: 'Paused', message: `PauseReasonInconclusiveAnalysis: ${what}` });
    } else {
      this.state = 'Aborted';
      this.tl.add({ kind: 'rollout', status: 'Aborted', message: `${what} phase error/failed${outcome.message ? `: ${outcome.message}` : ''}` });
    }
  }

  private async run(): Promise<void> {
    const stopped = new Promise<'stopped'>((resolve) => this.stopper.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
    const background = this.background ? this.runOf('background', [this.background], [], undefined) : undefined;
    const backgroundEnded = background ? background.done.then((o) => ({ who: 'background' as const, o })) : new Promise<never>(() => {});
    let backgroundOver = false;
    for (const [i, step] of this.steps.entries()) {
      if (this.stopper.signal.aborted) return;
      if ('setWeight' in step) {
        this.weight = step.setWeight;
        this.tl.add({ kind: 'step', name: `step ${i}`, phase: step.setWeight, message: `setWeight ${step.setWeight}` });
        continue;
      }
      const phaseArg = Number(step.analysis.args?.find((a) => a.name === 'phase')?.value);
      this.tl.add({ kind: 'step', name: `step ${i}`, phase: Number.isFinite(phaseArg) ? phaseArg : undefined, message: `analysis ${step.analysis.templates.map((t) => t.templateName).join(',')}` });
      const run = this.runOf('step', [this.stepTemplate], step.analysis.args ?? [], Number.isFinite(phaseArg) ? phaseArg : undefined);
      for (;;) {
        const first = await Promise.race([run.done.then((o) => ({ who: 'step' as const, o })), backgroundOver ? new Promise<never>(() => {}) : backgroundEnded, stopped]);
        if (first === 'stopped') {
          run.terminate();
          background?.terminate();
          return;
        }
        if (first.who === 'background') {
          backgroundOver = true;
          if (first.o.phase === 'Successful') continue; // a background run that simply ended: nothing to do
          run.terminate();
          await run.done;
          this.conclude(first.o, 'Background analysis');
          return;
        }
        if (first.o.phase === 'Successful') break;
        background?.terminate();
        this.conclude(first.o, 'Step-based analysis');
        return;
      }
    }
    background?.terminate();
    await background?.done;
    this.state = 'Healthy';
    this.tl.add({ kind: 'rollout', status: 'Healthy', message: 'fully promoted' });
  }
}

// ---------------------------------------------------------------------------------------------
// Flagger.

type CanaryPhase = '' | 'Initializing' | 'Initialized' | 'Waiting' | 'Progressing' | 'WaitingPromotion' | 'Promoting' | 'Finalising' | 'Succeeded' | 'Failed';

interface FlaggerWebhook {
  name: string;
  type?: string;
  url: string;
  timeout?: string;
  metadata?: Record<string, string>;
  retries?: number;
}

interface FlaggerMetric {
  name: string;
  templateRef?: { name: string; namespace?: string };
  thresholdRange?: { min?: number; max?: number };
  threshold?: number;
  interval?: string;
  templateVariables?: Record<string, string>;
}

interface FlaggerCanarySpec {
  name: string;
  namespace: string;
  provider?: string;
  targetName: string;
  analysis: {
    interval?: string;
    threshold?: number;
    stepWeights?: number[];
    stepWeight?: number;
    maxWeight?: number;
    stepWeightPromotion?: number;
    iterations?: number;
    match?: unknown[];
    mirror?: boolean;
    metrics?: FlaggerMetric[];
    webhooks?: FlaggerWebhook[];
  };
}

interface MetricTemplate {
  name: string;
  namespace: string;
  address: string;
  query: string;
}

/** The Canary from its file, refusing what the simulator does not model. */
export function readFlaggerCanary(path: string): FlaggerCanarySpec {
  const doc = parse(readFileSync(path, 'utf8')) as {
    kind?: string; metadata?: { name?: string; namespace?: string };
    spec?: { provider?: string; targetRef?: { name?: string }; analysis?: FlaggerCanarySpec['analysis'] };
  };
  need(doc?.kind === 'Canary' && doc.metadata?.name && doc.metadata.namespace, `${path}: not a Canary with a name and namespace`);
  const a = doc.spec?.analysis;
  need(a && doc.spec?.targetRef?.name, `${path}: no spec.analysis / spec.targetRef`);
  // scheduler.go `advanceCanary`: the kubernetes provider (or none, on a Flagger started with it) forces blue/green.
  need(doc.spec?.provider && doc.spec.provider !== 'kubernetes', `${path}: provider ${doc.spec?.provider ?? '(none)'}: Flagger would run blue/green, which is not simulated`);
  need(!a.iterations && !a.match?.length && !a.mirror, `${path}: A/B, blue/green and mirroring are not simulated`);
  need(!a.stepWeightPromotion, `${path}: stepWeightPromotion is not simulated`);
  for (const m of a.metrics ?? []) need(m.templateRef, `${path}: metric ${m.name}: builtin metrics are not simulated`);
  for (const w of a.webhooks ?? []) need(!w.retries, `${path}: webhook ${w.name}: retries are not simulated`);
  return { name: doc.metadata.name, namespace: doc.metadata.namespace, provider: doc.spec?.provider, targetName: doc.spec!.targetRef!.name!, analysis: a };
}

export function readMetricTemplates(path: string): MetricTemplate[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJSON() as {
    kind?: string; metadata?: { name?: string; namespace?: string }; spec?: { provider?: { type?: string; address?: string }; query?: string };
  }).filter((d) => d?.kind === 'MetricTemplate').map((d) => {
    need(d.spec?.provider?.type === 'prometheus' && d.spec.provider.address && d.spec.query, `${path}: ${d.metadata?.name}: only prometheus MetricTemplates are simulated`);
    need(!d.spec.query.includes('{{'), `${path}: ${d.metadata?.name}: template variables in the query are not simulated`);
    return { name: d.metadata!.name!, namespace: d.metadata!.namespace!, address: d.spec.provider.address, query: d.spec.query };
  });
}

/** The payload Flagger posts (pkg/apis/flagger/v1beta1/canary.go `CanaryWebhookPayload`). */
export interface FlaggerPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum: string;
  metadata?: Record<string, string>;
}

export interface FlaggerOptions extends Clock {
  /** ci/flagger/canary.yaml. */
  canary: string;
  /** ci/flagger/metric-templates-<profile>.yaml. */
  metricTemplates: string[];
  network: Network;
  /** Literal replacements in webhook URLs and metadata (the placeholders the file says to replace before applying). */
  substitutions?: Record<string, string>;
  /** The Deployment's revision when the Canary is created: initialized as the primary, never analysed. */
  initialRevision: string;
}

/**
 * Flagger's scheduler for one Canary (pkg/controller): a job that runs `advanceCanary` at once and
 * then every `analysis.interval` (job.go `CanaryJob.Start`, a Go ticker: a tick that comes while
 * one runs waits, any more are dropped), the Deployment's revision changed with `deploy`, and the
 * metrics Flagger exports (pkg/metrics/recorder.go) served for Prometheus to scrape.
 */
export class FlaggerController {
  readonly timeline: Entry[];
  readonly spec: FlaggerCanarySpec;
  readonly startedAt = Date.now();
  readonly status = { phase: '' as CanaryPhase, canaryWeight: 0, failedChecks: 0, iterations: 0, lastAppliedSpec: '' };
  private readonly tl = new Timeline('flagger');
  private readonly templates: MetricTemplate[];
  private readonly stopper = new AbortController();
  /** The mesh router's weights (the HTTPRoute's backends). */
  private routes = { primary: 100, canary: 0 };
  /** flagger_canary_weight{workload, namespace} (recorder.go `SetWeight`). */
  private readonly weights = new Map<string, number>();
  private revision: string;
  private job?: Promise<void>;
  private server?: http.Server;

  constructor(private readonly o: FlaggerOptions) {
    this.timeline = this.tl.entries;
    this.spec = readFlaggerCanary(o.canary);
    this.templates = o.metricTemplates.flatMap(readMetricTemplates);
    for (const m of this.spec.analysis.metrics ?? []) {
      const ns = m.templateRef!.namespace || this.spec.namespace;
      need(this.templates.some((t) => t.name === m.templateRef!.name && t.namespace === ns), `metric ${m.name}: no MetricTemplate ${ns}/${m.templateRef!.name} in ${o.metricTemplates.join(', ')}`);
    }
    this.revision = o.initialRevision;
  }

  /** canary.go `GetAnalysisInterval`: default 60 s, never under 10 s; then scaled. */
  get intervalMs(): number {
    const a = this.spec.analysis.interval;
    let ms = 60_000;
    try {
      if (a) ms = goDuration(a);
    } catch {
      ms = 60_000;
    }
    return scaled(this.o, Math.max(ms, 10_000));
  }

  /** canary.go `GetAnalysisThreshold`: default 1. */
  get threshold(): number {
    return this.spec.analysis.threshold && this.spec.analysis.threshold > 0 ? this.spec.analysis.threshold : 1;
  }

  /** A new revision of the target Deployment (what `HasTargetChanged` compares with LastAppliedSpec). */
  deploy(revision: string): void {
    this.revision = revision;
    this.tl.add({ kind: 'status', status: this.status.phase, message: `target ${this.spec.targetName} now at revision ${revision}` });
  }

  start(): this {
    this.job = this.runJob();
    return this;
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.job;
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // Prometheus keeps its scrape connection alive
    await closed;
  }

  waitFor<T>(what: string, probe: (f: this) => T | undefined | false, timeoutMs: number): Promise<T> {
    return waitUntil(what, () => probe(this), timeoutMs, () => this.timeline.slice(-20).map((e) => formatEntry(e, this.startedAt)).join('\n'));
  }

  /** What Flagger's /metrics carries of the weight (prometheus/client_golang text format). */
  metricsText(): string {
    const lines = ['# HELP flagger_canary_weight The virtual service destination weight current value', '# TYPE flagger_canary_weight gauge'];
    for (const [key, value] of this.weights) {
      const [workload, namespace] = key.split('\u0000');
      lines.push(`flagger_canary_weight{namespace="${namespace}",workload="${workload}"} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Serves /metrics on a free 127.0.0.1 port, for Prometheus to scrape as it scrapes Flagger. */
  async serveMetrics(): Promise<{ url: string; target: string }> {
    this.server = http.createServer((req, res) => {
      if (req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      const body = this.metricsText();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/metrics`, target: `127.0.0.1:${port}` };
  }

  /** recorder.go `SetWeight`: the primary as `<target>-primary`, the canary as `<target>`. */
  private setWeight(primary: number, canary: number): void {
    this.weights.set(`${this.spec.targetName}-primary\u0000${this.spec.namespace}`, primary);
    this.weights.set(`${this.spec.targetName}\u0000${this.spec.namespace}`, canary);
  }

  /** canary/status.go `syncCanaryStatus`: the given fields (zero when not given), LastAppliedSpec = the target's hash now. */
  private syncStatus(s: { phase: CanaryPhase; canaryWeight?: number; failedChecks?: number; iterations?: number }, message?: string): void {
    Object.assign(this.status, { phase: s.phase, canaryWeight: s.canaryWeight ?? 0, failedChecks: s.failedChecks ?? 0, iterations: s.iterations ?? 0, lastAppliedSpec: this.revision });
    this.tl.add({ kind: 'status', status: s.phase, phase: this.status.canaryWeight, message });
  }

  private setPhase(phase: CanaryPhase, message?: string): void {
    if (this.status.phase === phase) return;
    this.status.phase = phase;
    this.tl.add({ kind: 'status', status: phase, phase: this.status.canaryWeight, message });
  }

  /** webhook.go `canaryChecksum`: a hash of the canary's LastAppliedSpec (and tracked configs, none here). */
  private checksum(): string {
    return createHash('sha256').update(this.status.lastAppliedSpec).digest('hex').slice(0, 16);
  }

  /** job.go `CanaryJob.Start`: the function at once, then on a ticker (time.NewTicker drops ticks a slow run misses, but one). */
  private async runJob(): Promise<void> {
    const interval = this.intervalMs;
    const start = Date.now();
    let k = 0;
    while (!this.stopper.signal.aborted) {
      await sleep(start + k * interval - Date.now(), this.stopper.signal);
      if (this.stopper.signal.aborted) return;
      try {
        await this.advanceCanary();
      } catch (e) {
        this.tl.add({ kind: 'tick', status: 'error', message: `simulator error: ${(e as Error).message}` });
      }
      const last = Math.floor((Date.now() - start) / interval);
      k = last > k ? last : k + 1; // a tick that came during this run is delivered at once; the others are dropped
    }
  }

  /** webhook.go `CallWebhook` / `callWebhook`: POST the payload; any status above 202, or no answer, is a "no". */
  private async callWebhook(phase: CanaryPhase, w: FlaggerWebhook): Promise<boolean> {
    const sub = (s: string) => Object.entries(this.o.substitutions ?? {}).reduce((acc, [from, to]) => acc.split(from).join(to), s);
    const metadata = w.metadata ? Object.fromEntries(Object.entries(w.metadata).map(([k, v]) => [k, sub(String(v))])) : undefined;
    const payload: FlaggerPayload = { name: this.spec.name, namespace: this.spec.namespace, phase, checksum: this.checksum(), ...(metadata ? { metadata } : {}) };
    const timeout = timeoutOf(this.o, goDuration(w.timeout && w.timeout.length >= 2 ? w.timeout : '10s'));
    const weight = this.status.canaryWeight;
    let routed: Routed;
    try {
      routed = this.o.network.route(sub(w.url));
    } catch (e) {
      this.tl.add({ kind: 'hook', name: `${w.type ?? 'rollout'}:${w.name}`, phase: weight, status: 'no', message: (e as Error).message });
      return false;
    }
    try {
      const res = await fetch(routed.url, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload),
        signal: AbortSignal.any([AbortSignal.timeout(timeout), this.stopper.signal]),
      });
      const text = await res.text();
      const ok = res.status <= 202;
      const gate = gateViewOf(text);
      this.tl.add({ kind: 'hook', name: `${w.type ?? 'rollout'}:${w.name}`, phase: weight, value: String(res.status), status: ok ? 'ok' : 'no', backend: routed.backend, gate, message: ok ? undefined : gate?.reason ?? text.slice(0, 200) });
      return ok;
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      this.tl.add({ kind: 'hook', name: `${w.type ?? 'rollout'}:${w.name}`, phase: weight, status: 'no', backend: routed.backend, message: cause ?? (e as Error).message });
      return false;
    }
  }

  private hooks(type: string): FlaggerWebhook[] {
    return (this.spec.analysis.webhooks ?? []).filter((w) => (w.type ?? '') === type || (type === 'rollout' && !w.type));
  }

  /** scheduler_hooks.go `runConfirmTrafficIncreaseHooks`. */
  private async confirmTrafficIncrease(): Promise<boolean> {
    for (const w of this.hooks('confirm-traffic-increase')) if (!(await this.callWebhook('Progressing', w))) return false;
    return true;
  }

  /** scheduler_hooks.go `runConfirmPromotionHooks`: a "no" sets WaitingPromotion (and waits, no failed check). */
  private async confirmPromotion(): Promise<boolean> {
    for (const w of this.hooks('confirm-promotion')) {
      if (!(await this.callWebhook('Progressing', w))) {
        if (this.status.phase !== 'WaitingPromotion') this.setPhase('WaitingPromotion');
        return false;
      }
    }
    return true;
  }

  /** scheduler_hooks.go `runConfirmRolloutHooks`: a "no" sets Waiting. */
  private async confirmRollout(): Promise<boolean> {
    for (const w of this.hooks('confirm-rollout')) {
      if (!(await this.callWebhook(this.status.phase, w))) {
        if (this.status.phase !== 'Waiting') this.setPhase('Waiting');
        return false;
      }
    }
    return true;
  }

  /** scheduler_hooks.go `runRollbackHooks`: the first hook that says yes rolls back. */
  private async rollbackHooks(): Promise<boolean> {
    for (const w of this.hooks('rollback')) if (await this.callWebhook(this.status.phase, w)) return true;
    return false;
  }

  private async preRolloutHooks(): Promise<boolean> {
    for (const w of this.hooks('pre-rollout')) if (!(await this.callWebhook('Progressing', w))) return false;
    return true;
  }

  /** scheduler.go `runAnalysis`: rollout hooks, then (no builtin metrics here) `runMetricChecks`. */
  private async runAnalysis(): Promise<boolean> {
    for (const w of this.hooks('rollout')) if (!(await this.callWebhook('Progressing', w))) return false;
    return this.runMetricChecks();
  }

  /**
   * scheduler_metrics.go `runMetricChecks`: each metric's template query against its Prometheus
   * (metrics/providers/prometheus.go `RunQuery`: a GET with a fixed 5 s timeout; status >= 400 an
   * error; the last sample's value; none or NaN is ErrNoValuesFound), then thresholdRange (or
   * threshold); the first that fails stops the checks for this tick.
   */
  private async runMetricChecks(): Promise<boolean> {
    for (const m of this.spec.analysis.metrics ?? []) {
      const ns = m.templateRef!.namespace || this.spec.namespace;
      const t = this.templates.find((x) => x.name === m.templateRef!.name && x.namespace === ns)!;
      const entry = { kind: 'metric' as const, name: m.name, phase: this.status.canaryWeight };
      let value: number;
      let routed: Routed | undefined;
      try {
        routed = this.o.network.route(t.address);
        const query = t.query.replace(/\s+/g, ' ');
        const res = await fetch(`${routed.url.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`, {
          signal: AbortSignal.any([AbortSignal.timeout(timeoutOf(this.o, 5000)), this.stopper.signal]),
        });
        const text = await res.text();
        if (res.status >= 400) throw new Error(`error response: Status ${res.status}: ${text.slice(0, 200)}`);
        const body = JSON.parse(text) as { data?: { result?: Array<{ value?: [number, string]; values?: unknown }> } };
        let v: number | undefined;
        for (const r of body.data?.result ?? []) {
          if (r.values) throw new Error('multiple values returned');
          v = Number.parseFloat(r.value![1]);
        }
        if (v === undefined || Number.isNaN(v)) throw new Error('no values found');
        value = v;
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        this.tl.add({ ...entry, status: 'halt', backend: routed?.backend, message: `Metric query failed: ${cause ?? (e as Error).message}` });
        return false;
      }
      const tr = m.thresholdRange;
      const over = tr ? (tr.min !== undefined && value < tr.min) || (tr.max !== undefined && value > tr.max) : value > (m.threshold ?? 0);
      this.tl.add({ ...entry, value: String(value), status: over ? 'halt' : 'ok', backend: routed.backend });
      if (over) return false;
    }
    return true;
  }

  /** scheduler.go `nextStepWeight`. */
  private nextStepWeight(canaryWeight: number): number {
    const a = this.spec.analysis;
    const steps = a.stepWeights ?? [];
    if ((a.stepWeight ?? 0) > 0 || steps.length === 0) return a.stepWeight ?? 0;
    const maxStep = 100 - canaryWeight;
    if (maxStep === 0) return 1;
    if (canaryWeight === 0) return Math.min(maxStep, steps[0]!);
    for (let i = 0; i < steps.length - 1; i++) if (steps[i] === canaryWeight) return Math.min(maxStep, steps[i + 1]! - canaryWeight);
    return maxStep;
  }

  /** scheduler.go `maxWeight`. */
  private maxWeight(): number {
    const steps = this.spec.analysis.stepWeights ?? [];
    if (steps.length > 0) return Math.min(100, steps[steps.length - 1]!);
    return this.spec.analysis.maxWeight && this.spec.analysis.maxWeight > 0 ? this.spec.analysis.maxWeight : 100;
  }

  /** scheduler.go `rollback`: all traffic to the primary, the canary scaled to zero, phase Failed. */
  private rollback(why: string): void {
    this.routes = { primary: 100, canary: 0 };
    this.setWeight(100, 0);
    this.syncStatus({ phase: 'Failed', canaryWeight: 0 }, `Canary failed! ${why}`);
  }

  /** scheduler.go `advanceCanary`, the canary (progressive traffic) strategy, one tick. */
  private async advanceCanary(): Promise<void> {
    this.tl.add({ kind: 'tick', phase: this.routes.canary, status: this.status.phase || '(new)', message: `failedChecks ${this.status.failedChecks}` });
    // setPhaseInitialized: a new Canary's target becomes the primary, unanalysed.
    if (this.status.phase === '' || this.status.phase === 'Initializing') this.syncStatus({ phase: 'Initialized' }, `Initialization done! revision ${this.revision} is the primary`);
    // shouldAdvance (its re-sync of a Failed canary's LastAppliedSpec reaches the API, not this tick's copy)
    const inFlight = ['Progressing', 'Waiting', 'WaitingPromotion', 'Promoting', 'Finalising'].includes(this.status.phase);
    const shouldAdvance = inFlight || this.revision !== this.status.lastAppliedSpec;
    if (!shouldAdvance) return;
    // GetRoutes, then SetWeight every tick.
    let { primary: primaryWeight, canary: canaryWeight } = this.routes;
    this.setWeight(primaryWeight, canaryWeight);
    // checkCanaryStatus: a new revision is scaled up (after confirm-rollout) and set Progressing; this tick ends there.
    if (!['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising'].includes(this.status.phase)) {
      if (!(await this.confirmRollout())) return;
      this.syncStatus({ phase: 'Progressing' }, `New revision detected! Scaling up ${this.spec.targetName} (revision ${this.revision})`);
      return;
    }
    // hasCanaryRevisionChanged: a new revision during the analysis starts it over.
    if (['Progressing', 'WaitingPromotion'].includes(this.status.phase) && this.revision !== this.status.lastAppliedSpec) {
      this.routes = { primary: 100, canary: 0 };
      this.syncStatus({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0, iterations: 0 }, 'New revision detected! Restarting analysis');
      return;
    }
    // Rollback hooks, in Progressing, Waiting and WaitingPromotion.
    if (['Progressing', 'Waiting', 'WaitingPromotion'].includes(this.status.phase) && (await this.rollbackHooks())) {
      this.rollback('Rolling back: manual webhook invoked');
      return;
    }
    // Promoting: runPromotionTrafficShift (no stepWeightPromotion: all traffic to the primary at once).
    if (this.status.phase === 'Promoting') {
      this.routes = { primary: 100, canary: 0 };
      this.setWeight(100, 0);
      this.setPhase('Finalising', 'Routing all traffic to primary');
      return;
    }
    if (this.status.phase === 'Finalising') {
      this.setPhase('Succeeded', 'Promotion completed!');
      return;
    }
    if (['Progressing', 'WaitingPromotion'].includes(this.status.phase) && this.status.failedChecks >= this.threshold) {
      this.rollback(`failed checks threshold reached ${this.status.failedChecks}`);
      return;
    }
    // The analysis: skipped at weight 0 and iteration 0 (pre-rollout hooks instead).
    const ok = canaryWeight === 0 && this.status.iterations === 0 ? await this.preRolloutHooks() : await this.runAnalysis();
    if (!ok) {
      this.status.failedChecks += 1; // SetStatusFailedChecks(+1): reset only by a new revision
      this.tl.add({ kind: 'status', status: this.status.phase, phase: canaryWeight, value: String(this.status.failedChecks), message: `failedChecks ${this.status.failedChecks} of threshold ${this.threshold}` });
      return;
    }
    if (this.nextStepWeight(canaryWeight) > 0) {
      if (!['Promoting', 'WaitingPromotion', 'Finalising'].includes(this.status.phase) && !(await this.confirmTrafficIncrease())) return;
      // runCanary
      const maxWeight = this.maxWeight();
      if (canaryWeight < maxWeight) {
        const next = this.nextStepWeight(canaryWeight);
        primaryWeight = Math.max(0, primaryWeight - next);
        canaryWeight = Math.min(100, canaryWeight + next);
        this.routes = { primary: primaryWeight, canary: canaryWeight };
        this.status.canaryWeight = canaryWeight; // SetStatusWeight
        this.setWeight(primaryWeight, canaryWeight);
        this.tl.add({ kind: 'weight', phase: canaryWeight, message: `Advance ${this.spec.name}.${this.spec.namespace} canary weight ${canaryWeight}` });
        return;
      }
      if (!(await this.confirmPromotion())) return;
      this.setPhase('Promoting', `Copying ${this.spec.targetName} template spec to ${this.spec.targetName}-primary`);
    }
  }
}
