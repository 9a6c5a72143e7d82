import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDuration } from '../config/duration.ts';
import { loadTargetsFile } from '../config/targets-file.ts';
import { UserFacingError } from '../core/errors.ts';
import { isBaseUrl, isLabel, normalizeBaseUrl } from '../core/labels.ts';
import { JOURNEYS } from '../../journeys/index.ts';

export type Command = 'run' | 'report' | 'gate' | 'drill' | 'sandbox' | 'journeys' | 'config' | 'baseline' | 'rules';

/** One usage line per command: what a flag mistake prints after its one-line problem. */
export const COMMAND_USAGE: Record<Command, string> = {
  run: 'synthetics run --once|--every 60s [--base-url URL | --target NAME=URL ... | --targets FILE.json] [--project api|browser|all] [--journey ID[,ID]] [--results DIR]',
  report: 'synthetics report [--results DIR] [--since 15m] [--target NAME] [--json]',
  gate: 'synthetics gate --phase 5|25|50|100 [--profile default|strict] [--runbook FILE] [--source local|prometheus] [--results DIR] [--prometheus URL] [--baseline FILE] [--window DURATION] [--time-scale F] [--at TIME] [--since TIME] [--json] [--report DIR] | --serve [--port N] [--host H] [--refresh 10s]',
  drill: 'synthetics drill [--time-scale F] [--runbook FILE] [--profile NAME] [--only FAULT[,FAULT]] [--json]',
  sandbox: 'synthetics sandbox [--port N] [--host 127.0.0.1]',
  journeys: 'synthetics journeys',
  config: 'synthetics config',
  baseline: 'synthetics baseline --cycles N --out DIR [--base-url URL] [--project api|browser|all] [--journey ID[,ID]] [--runbook FILE]',
  rules: 'synthetics rules --out DIR [--runbook FILE] [--profile NAME[,NAME]] [--baseline FILE] [--webhook-url-file PATH] [--channel #NAME] [--time-scale F]',
};

export const USAGE = `usage:
  synthetics run --once [--base-url URL] [--project api|browser|all] [--journey ID[,ID]] [--results DIR]
  synthetics run --every 60s [--target NAME=URL ... | --targets FILE.json] [--project ...] [--journey ...] [--results DIR]
  synthetics report [--results DIR] [--since 15m] [--target NAME] [--json]   outcomes per journey and latency percentiles from the results store
  synthetics gate --phase 25 [--profile strict] [--json]            go / hold / rollback, with evidence (exit 0 / 2 / 1)
  synthetics gate --serve --port 8080                                the decision for Argo Rollouts and Flagger, and the ship-room page at /
  synthetics drill [--only latency,none] [--json]                    faults injected into a sandbox canary: does the gate decide right?
  synthetics baseline --cycles 20 --out DIR [--base-url URL]         the control's numbers for the gate's --baseline, with a report
  synthetics rules --out ci [--baseline FILE]                        alerts, Alertmanager, Argo/Flagger templates, dashboard, runbook.md
  synthetics sandbox [--port N] [--host 127.0.0.1]
  synthetics journeys                 list the journeys
  synthetics config                   check the configuration
Configuration comes from the environment and .env (see .env.example).`;

/** `synthetics CMD --help`: the caller prints the command's usage on stdout and exits 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
  constructor(readonly command: Command) {
    super(`usage: ${COMMAND_USAGE[command]}`);
  }
}

/** Most durations a cadence may have: Node's timers overflow past 2^31 ms (~24.8 days), and a day is plenty. */
export const MAX_EVERY_MS = 86_400_000;
export const MIN_EVERY_MS = 100;

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<O extends FlagOptions> = { args: string[]; options: O; strict: true; allowPositionals: false };
export type FlagValues<O extends FlagOptions> = ReturnType<typeof parseArgs<StrictConfig<O>>>['values'];

/** A token that is a flag, not a flag's value: `--x`, `-x`. `-5m`, `-1` and `-` are values (to be judged as values). */
const isFlagLike = (token: string): boolean => /^--./.test(token) || /^-[A-Za-z]/.test(token);

/**
 * The one flag parser of every subcommand: node:util parseArgs (strict, no positionals), with
 * every mistake turned into one line naming the flag (all mistakes at once), then the command's
 * usage line. A value starting with a dash (`--since -5m`) reaches the command as a value, so
 * its problem is about the value, not "ambiguous". `--help`/`-h` throws HelpRequested.
 * `emptyOk` flags may be given with no value (`--every` alone means RUN_INTERVAL): they read as "".
 */
export function parseFlags<const O extends FlagOptions>(
  command: Command, argv: readonly string[], options: O, opts: { emptyOk?: ReadonlyArray<keyof O & string> } = {},
): FlagValues<O> {
  const terminator = argv.indexOf('--');
  const flags = terminator < 0 ? argv : argv.slice(0, terminator);
  if (flags.includes('--help') || flags.includes('-h')) throw new HelpRequested(command);

  const problems: string[] = [];
  const args: string[] = [];
  const given = new Set<string>();
  const emptyOk = new Set<string>(opts.emptyOk ?? []);
  const where = `"synthetics ${command}"`;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      for (const rest of argv.slice(i + 1)) problems.push(`unexpected argument "${rest}" for ${where}`);
      break;
    }
    if (!isFlagLike(token)) {
      problems.push(`unexpected argument "${token}" for ${where}`);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.startsWith('--') ? token.slice(2, eq < 0 ? undefined : eq) : token.slice(1);
    const inline = token.startsWith('--') && eq >= 0 ? token.slice(eq + 1) : undefined;
    const spec = token.startsWith('--') ? options[name] : undefined;
    if (!spec) {
      problems.push(`unknown flag ${token.startsWith('--') ? `--${name}` : token} for ${where}`);
      // What follows an unknown flag is most likely its value: one problem, not two.
      if (inline === undefined && i + 1 < argv.length && !isFlagLike(argv[i + 1]!) && argv[i + 1] !== '--') i++;
      continue;
    }
    if (given.has(name) && !spec.multiple) problems.push(`--${name} given more than once`);
    given.add(name);
    if (spec.type === 'boolean') {
      if (inline !== undefined) problems.push(`--${name} takes no value`);
      else args.push(`--${name}`);
      continue;
    }
    let value = inline;
    if (value === undefined && i + 1 < argv.length && !isFlagLike(argv[i + 1]!) && argv[i + 1] !== '--') value = argv[++i];
    if (value === undefined || value === '') {
      if (!emptyOk.has(name)) {
        problems.push(`--${name} needs a value`);
        continue;
      }
      value = '';
    }
    args.push(`--${name}=${value}`);
  }
  if (problems.length > 0) throw new UserFacingError([...new Set(problems), `usage: ${COMMAND_USAGE[command]}`].join('\n'));

  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false } as StrictConfig<O>).values as FlagValues<O>;
  } catch (e) {
    // Not expected after the checks above; still one line, never a stack.
    throw new UserFacingError(`${String((e as Error).message).split('\n')[0]}\nusage: ${COMMAND_USAGE[command]}`);
  }
}

export interface RunArgs {
  once: boolean;
  /** A checked duration (100ms to 24h), or "" for `--every` alone: RUN_INTERVAL then. */
  every?: string;
  baseUrl?: string;
  project: 'api' | 'browser' | 'all';
  journeys: string[];
  results?: string;
  targets: Array<{ name: string; baseUrl: string; canary?: boolean }>;
  cycles?: number;
}

const article = (kind: string) => (/^[aeiou]/.test(kind) ? 'an' : 'a');

/** `--journey` ids: each known, and each one the `--project` lets run. */
export function checkJourneys(ids: string[], project: RunArgs['project']): void {
  const unknown = ids.filter((id) => !JOURNEYS.some((j) => j.id === id));
  if (unknown.length) throw new UserFacingError(`--journey ${unknown.join(',')}: unknown (known: ${JOURNEYS.map((j) => j.id).join(', ')})`);
  if (project === 'all' || ids.length === 0) return;
  const excluded = ids.map((id) => JOURNEYS.find((j) => j.id === id)!).filter((j) => j.kind !== project);
  if (excluded.length === 0) return;
  const kinds = [...new Set(excluded.map((j) => j.kind))];
  const why = excluded.map((j) => `${j.id} is ${article(j.kind)} ${j.kind} journey`).join(', ');
  const fix = excluded.length === ids.length && kinds.length === 1 ? `pass --project ${kinds[0]}, or leave --project out` : 'pass --project all, or leave --project out';
  const what = excluded.length === ids.length ? 'selects no journey' : `would skip ${excluded.map((j) => j.id).join(',')}`;
  throw new UserFacingError(`--journey ${ids.join(',')} with --project ${project} ${what} (${why}): ${fix}`);
}

export function parseRunArgs(argv: string[]): RunArgs {
  const values = parseFlags('run', argv, {
    once: { type: 'boolean', default: false },
    every: { type: 'string' },
    'base-url': { type: 'string' },
    project: { type: 'string', default: 'all' },
    journey: { type: 'string', multiple: true },
    results: { type: 'string' },
    target: { type: 'string', multiple: true },
    targets: { type: 'string' },
    cycles: { type: 'string' },
  }, { emptyOk: ['every'] });
  const project = values.project as RunArgs['project'];
  if (!['api', 'browser', 'all'].includes(project)) throw new UserFacingError(`--project "${project}": must be api, browser or all`);
  if (values.once === (values.every !== undefined)) throw new UserFacingError(`synthetics run needs exactly one of --once or --every DURATION\nusage: ${COMMAND_USAGE.run}`);
  if (values.every) {
    const everyMs = parseDuration(values.every);
    if (everyMs === undefined || everyMs < MIN_EVERY_MS || everyMs > MAX_EVERY_MS) {
      throw new UserFacingError(`--every "${values.every}": must be a duration from 100ms to 24h, like 60s or 5m`);
    }
  }
  if (values.targets && values.target) throw new UserFacingError('use --target NAME=URL or --targets FILE, not both');
  if (values['base-url'] !== undefined && (values.targets || values.target)) {
    throw new UserFacingError('use --base-url URL or --target NAME=URL / --targets FILE, not both (each target names its own URL)');
  }
  if (values['base-url'] !== undefined && (!isBaseUrl(values['base-url']) || /\s/.test(values['base-url']))) {
    throw new UserFacingError(`--base-url "${values['base-url']}": must be an http(s) URL, e.g. --base-url https://canary.example.test`);
  }
  const fromFlags = (values.target ?? []).map((t) => {
    const at = t.indexOf('=');
    const [name, url] = [t.slice(0, at), t.slice(at + 1)];
    if (at < 0 || !isLabel(name) || !isBaseUrl(url) || /\s/.test(url)) {
      throw new UserFacingError(`--target "${t}": must be NAME=URL, e.g. --target canary=https://canary.example.test`);
    }
    return { name, baseUrl: normalizeBaseUrl(url) };
  });
  const names = fromFlags.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UserFacingError(`--target: target name "${dup}" appears twice (names are Pushgateway groups and must be unique)`);
  const journeys = (values.journey ?? []).flatMap((j) => j.split(',')).map((j) => j.trim()).filter(Boolean);
  checkJourneys(journeys, project);
  const targets = values.targets ? loadTargetsFile(values.targets) : fromFlags;
  const cycles = values.cycles === undefined ? undefined : Number(values.cycles);
  if (cycles !== undefined && !(Number.isInteger(cycles) && cycles > 0)) throw new UserFacingError(`--cycles "${values.cycles}": must be a positive whole number`);
  return {
    once: values.once ?? false,
    every: values.every,
    baseUrl: values['base-url'],
    project,
    journeys,
    results: values.results,
    targets,
    cycles,
  };
}
