import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { parseDuration } from '../src/config/duration.ts';
import { ajvProblems, dottedPath } from '../src/core/ajv-errors.ts';
import { strictAjv } from '../src/core/ajv.ts';
import { SchemaLoadError, UserFacingError } from '../src/core/errors.ts';
import type { Check, MetricName, Phase, Profile, Runbook } from './runbook-types.ts';

/** The shipped runbook, resolved from this module (like SCHEMAS_DIR), not from the working directory. */
export const DEFAULT_RUNBOOK_PATH = fileURLToPath(new URL('../runbook/canary.yaml', import.meta.url));
export const RUNBOOK_SCHEMA_PATH = fileURLToPath(new URL('../schemas/runbook/runbook.schema.json', import.meta.url));

/** The phases every profile walks, in this order. */
export const PHASE_PERCENTS = [5, 25, 50, 100] as const;

const DURATION_PATTERN = String.raw`^\d+(\.\d+)?(ms|s|m|h)$`;
const HANDLE_PATTERN = '^@[a-z0-9-]+$';

// ---- The runbook as written in YAML (after the schema has passed) ----

interface RawCheck {
  name: string;
  kind: 'gate' | 'trigger';
  metric: MetricName;
  scope?: Check['scope'];
  against: Check['against'];
  op: Check['op'];
  threshold: number;
  window?: string;
  for?: { minutes: number } | { checks: number };
  phases?: number[];
  summary: string;
  section: string;
}
interface RawPhase {
  percent: Phase['percent'];
  observe: string;
  payments: Phase['payments'];
}
interface RawProfile {
  description: string;
  minSamples: number;
  sloPercent: number;
  phases: RawPhase[];
  checks: RawCheck[];
}
interface RawRunbook {
  version: 1;
  monitor: {
    cadence: string;
    backoff: { retries: number; minDelay: string; factor: number; maxDelay: string };
    userAgent: string;
    e2eFlag: string;
  };
  roles: Record<string, string>;
  rollbackSteps: string[];
  profiles: Record<string, RawProfile>;
}

/** One problem: where in the runbook (path segments), what is wrong, how to fix it. */
interface Problem {
  path: string[];
  message: string;
  fix: string;
}

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  if (validator) return validator;
  let schema: object;
  try {
    schema = JSON.parse(readFileSync(RUNBOOK_SCHEMA_PATH, 'utf8')) as object;
  } catch (e) {
    throw new SchemaLoadError(RUNBOOK_SCHEMA_PATH, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not valid JSON (${(e as Error).message})`);
  }
  try {
    validator = strictAjv().compile(schema);
  } catch (e) {
    throw new SchemaLoadError(RUNBOOK_SCHEMA_PATH, (e as Error).message);
  }
  return validator;
}

const withArticle = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** The fix hint for one schema error: by keyword, and by pattern where the pattern says what it is. */
function fixFor(err: ErrorObject): string {
  const field = err.instancePath.split('/').pop() ?? '';
  switch (err.keyword) {
    case 'enum':
      return 'pick one of the listed';
    case 'required':
      return 'add it';
    case 'type':
      return `give ${withArticle(String(err.params.type))}`;
    case 'additionalProperties':
      return 'remove it or check its spelling';
    case 'pattern': {
      const pattern = String(err.params.pattern);
      if (pattern === DURATION_PATTERN) return 'write a duration like 90m, 5m, 60s';
      if (pattern === HANDLE_PATTERN) return "use a role handle like @sre-oncall, never a person's name";
      if (pattern.startsWith('^(GET|')) return 'write "METHOD /route", like GET /api/provider/dashboard';
      if (pattern.includes('=')) return 'write name=value, like e2e=1';
      if (pattern === '^[a-z][a-zA-Z0-9]*$') return 'name the role in camelCase, like releaseManager';
      return 'use lowercase letters, digits and dashes, like p95-high';
    }
    case 'const':
      return 'write critical, or a list of "METHOD /route"';
    case 'minProperties':
    case 'maxProperties':
      return field === 'for' ? 'give either minutes: N or checks: N' : 'give at least one field';
    case 'minItems':
      return 'list at least one';
    case 'uniqueItems':
      return 'remove the repeated item';
    case 'minLength':
      return 'write it out';
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return 'change the number';
    default:
      return 'see schemas/runbook/runbook.schema.json';
  }
}

function schemaProblems(data: unknown): Problem[] {
  const fn = validate();
  if (fn(data)) return [];
  // An `if` error only says "must match then/else": the branch's own error says what and why.
  return (fn.errors ?? []).filter((e) => e.keyword !== 'if').flatMap((err) =>
    ajvProblems([err], data).map((p) => ({ ...p, fix: fixFor(err) })));
}

// ---- What the schema cannot say, checked on whatever parts are well shaped ----

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const PHASES_FIX = `list the phases ${PHASE_PERCENTS.join(', ')} in this order, each once`;

function phaseProblems(phases: unknown, at: string[]): Problem[] {
  if (!Array.isArray(phases)) return [];
  const percents = phases.map((p) => (isObject(p) ? p.percent : undefined)).filter((p): p is number => (PHASE_PERCENTS as readonly unknown[]).includes(p));
  const out: Problem[] = [];
  for (const want of PHASE_PERCENTS) {
    const count = percents.filter((p) => p === want).length;
    if (count === 0) out.push({ path: at, message: `${want} is missing`, fix: PHASES_FIX });
    if (count > 1) out.push({ path: at, message: `${want} appears ${count} times`, fix: PHASES_FIX });
  }
  const distinct = percents.filter((p, i) => percents.indexOf(p) === i);
  const ordered = PHASE_PERCENTS.filter((p) => distinct.includes(p));
  if (out.length === 0 && distinct.some((p, i) => p !== ordered[i])) {
    out.push({ path: at, message: `must be in the order ${PHASE_PERCENTS.join(', ')} (found ${percents.join(', ')})`, fix: PHASES_FIX });
  }
  phases.forEach((p, i) => {
    if (!isObject(p)) return;
    const observe = typeof p.observe === 'string' ? parseDuration(p.observe) : undefined;
    if (observe === 0) out.push({ path: [...at, String(i), 'observe'], message: 'must be longer than 0', fix: 'write a duration like 90m, 5m, 60s' });
    const pay = p.payments;
    if (!isObject(pay)) return;
    const caps = ['maxTransactions', 'maxAmountUsd', 'totalUsd'];
    if (pay.normal === true) {
      const extra = caps.filter((c) => c in pay);
      if (extra.length) out.push({ path: [...at, String(i), 'payments'], message: `normal volume has no caps (${extra.join(', ')})`, fix: 'remove the caps, or normal: true' });
    } else {
      for (const c of caps.filter((c) => !(c in pay))) {
        out.push({ path: [...at, String(i), 'payments', c], message: 'is missing', fix: 'add it, or say normal: true' });
      }
    }
  });
  return out;
}

function checkProblems(checks: unknown, phases: unknown, at: string[]): Problem[] {
  if (!Array.isArray(checks)) return [];
  const out: Problem[] = [];
  const profilePhases = Array.isArray(phases) ? phases.map((p) => (isObject(p) ? p.percent : undefined)) : undefined;
  const firstByName = new Map<string, number>();
  checks.forEach((c, i) => {
    if (!isObject(c)) return;
    const here = [...at, String(i)];
    if (typeof c.name === 'string') {
      const first = firstByName.get(c.name);
      if (first === undefined) firstByName.set(c.name, i);
      else out.push({ path: [...here, 'name'], message: `"${c.name}" is also the name of checks[${first}]`, fix: 'give each check of a profile its own name' });
    }
    if (Array.isArray(c.phases) && profilePhases) {
      c.phases.forEach((p, j) => {
        if (typeof p === 'number' && !profilePhases.includes(p)) {
          out.push({ path: [...here, 'phases', String(j)], message: `${p} is not a phase of this profile`, fix: `use one of ${[...new Set(profilePhases)].join(', ')}` });
        }
      });
    }
    if (c.kind === 'gate' && c.for !== undefined) {
      out.push({ path: [...here, 'for'], message: 'only a trigger waits for consecutive minutes or checks', fix: 'remove it, or make the check kind: trigger' });
    }
    if (c.against === 'control_pp' && typeof c.metric === 'string' && !c.metric.endsWith('_ratio')) {
      out.push({ path: [...here, 'against'], message: `control_pp compares ratio metrics (…_ratio), not ${c.metric}`, fix: 'use control_ratio or control_sigma' });
    }
    if (typeof c.window === 'string' && parseDuration(c.window) === 0) {
      out.push({ path: [...here, 'window'], message: 'must be longer than 0', fix: 'write a duration like 90m, 5m, 60s' });
    }
  });
  return out;
}

function semanticProblems(data: unknown): Problem[] {
  if (!isObject(data)) return [];
  const out: Problem[] = [];
  if (isObject(data.monitor) && typeof data.monitor.cadence === 'string' && parseDuration(data.monitor.cadence) === 0) {
    out.push({ path: ['monitor', 'cadence'], message: 'must be longer than 0', fix: 'write a duration like 90m, 5m, 60s' });
  }
  // A step pages roles, never people: every @handle it names must be one of the roles.
  const handles = isObject(data.roles) ? Object.values(data.roles).filter((h): h is string => typeof h === 'string' && new RegExp(HANDLE_PATTERN).test(h)) : [];
  if (Array.isArray(data.rollbackSteps) && handles.length) {
    data.rollbackSteps.forEach((step, i) => {
      if (typeof step !== 'string') return;
      for (const [handle] of step.matchAll(/(?<![\w.+-])@[A-Za-z0-9_-]+/g)) {
        if (!handles.includes(handle)) {
          out.push({ path: ['rollbackSteps', String(i)], message: `${handle} is not one of the roles (${handles.join(', ')})`, fix: 'page a role handle from roles' });
        }
      }
    });
  }
  if (isObject(data.profiles)) {
    for (const [name, p] of Object.entries(data.profiles)) {
      if (!isObject(p)) continue;
      out.push(...phaseProblems(p.phases, ['profiles', name, 'phases']));
      out.push(...checkProblems(p.checks, p.phases, ['profiles', name, 'checks']));
    }
  }
  return out;
}

// ---- Reading ----

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserFacingError(`runbook ${path}: not found (pass --runbook FILE, or restore runbook/canary.yaml)`);
    throw new UserFacingError(`runbook ${path}: cannot be read (${code ?? (e as Error).message})`);
  }
  const lines = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `runbook ${path}: line ${line}, column ${col}`;
  };
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  // The first syntax error only: after it the parser's reading of the rest is a guess.
  const syntax = doc.errors[0];
  if (syntax) throw new UserFacingError(`${at(syntax.pos[0])}: ${syntax.message}`);
  const unresolved = unresolvedAlias(doc);
  if (unresolved) throw new UserFacingError(`${at(unresolved.offset)}: alias *${unresolved.name} has no anchor &${unresolved.name} before it (fix: define the anchor first, or check its spelling)`);
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new UserFacingError(`runbook ${path}: ${(e as Error).message}`);
  }
}

function unresolvedAlias(doc: Document): { name: string; offset: number } | undefined {
  let found: { name: string; offset: number } | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        found = { name: node.source, offset: node.range?.[0] ?? 0 };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

// ---- Converting ----

function toCheck(c: RawCheck, scale: number): Check {
  const scope = c.scope && {
    ...c.scope,
    ...(Array.isArray(c.scope.routes) ? { routes: [...c.scope.routes] } : {}),
    ...(c.scope.journeys ? { journeys: [...c.scope.journeys] } : {}),
  };
  return {
    name: c.name,
    kind: c.kind,
    metric: c.metric,
    ...(scope ? { scope } : {}),
    against: c.against,
    op: c.op,
    threshold: c.threshold,
    ...(c.window !== undefined ? { windowMs: Math.round(parseDuration(c.window)! * scale) } : {}),
    ...(c.for ? { for: 'minutes' in c.for ? { minutes: c.for.minutes } : { checks: c.for.checks } } : {}),
    ...(c.phases ? { phases: [...c.phases] } : {}),
    summary: c.summary,
    section: c.section,
  };
}

function toProfile(name: string, p: RawProfile, scale: number): Profile {
  return {
    name,
    description: p.description,
    phases: p.phases.map((ph) => ({ percent: ph.percent, observeMs: Math.round(parseDuration(ph.observe)! * scale), payments: { ...ph.payments } })),
    checks: p.checks.map((c) => toCheck(c, scale)),
    minSamples: p.minSamples,
    sloPercent: p.sloPercent,
  };
}

/**
 * The canary runbook, read, checked and converted (durations to ms). Every problem in it is one
 * line (`runbook FILE: profiles.default.checks[3].metric: must be one of … (fix: …)`), all at once,
 * thrown as one UserFacingError. `timeScale` (0 < s ≤ 1, `--time-scale`) compresses every window,
 * observation duration and the one-minute bucket, so tests can run a 90-minute phase in seconds;
 * the monitor's cadence and backoff are the runner's and stay as written.
 */
export function loadRunbook(path: string = DEFAULT_RUNBOOK_PATH, opts: { timeScale?: number } = {}): Runbook {
  const scale = opts.timeScale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 1)) {
    throw new UserFacingError(`--time-scale ${String(opts.timeScale)}: must be a number above 0 and at most 1 (e.g. 0.005 runs a 90-minute phase in 27 s)`);
  }
  const data = readYaml(path);
  if (data === null || data === undefined) throw new UserFacingError(`runbook ${path}: is empty (fix: restore runbook/canary.yaml, or pass --runbook FILE)`);
  const problems = [...schemaProblems(data), ...semanticProblems(data)];
  if (problems.length) {
    const lines = problems.map((p) => `runbook ${path}: ${dottedPath(p.path)}: ${p.message} (fix: ${p.fix})`);
    throw new UserFacingError([...new Set(lines)].join('\n'));
  }
  const raw = data as RawRunbook;
  return {
    source: path,
    timeScale: scale,
    bucketMs: Math.round(60_000 * scale),
    monitor: {
      cadenceMs: parseDuration(raw.monitor.cadence)!,
      backoff: {
        retries: raw.monitor.backoff.retries,
        minDelayMs: parseDuration(raw.monitor.backoff.minDelay)!,
        factor: raw.monitor.backoff.factor,
        maxDelayMs: parseDuration(raw.monitor.backoff.maxDelay)!,
      },
      userAgent: raw.monitor.userAgent,
      e2eFlag: raw.monitor.e2eFlag,
    },
    roles: { ...raw.roles },
    rollbackSteps: [...raw.rollbackSteps],
    profiles: Object.fromEntries(Object.entries(raw.profiles).map(([name, p]) => [name, toProfile(name, p, scale)])),
  };
}
