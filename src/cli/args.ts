import { parseArgs } from 'node:util';
import { loadTargetsFile } from '../config/targets-file.ts';
import { UserFacingError } from '../core/errors.ts';
import { isBaseUrl, isLabel, normalizeBaseUrl } from '../core/labels.ts';

export const USAGE = `usage:
  synthetics run --once [--base-url URL] [--project api|browser|all] [--journey ID[,ID]] [--results DIR]
  synthetics run --every 60s [--target NAME=URL ... | --targets FILE.json] [--project ...] [--journey ...] [--results DIR]
  synthetics report [--results DIR] [--since 15m] [--target NAME] [--json]   latency percentiles from the results store
  synthetics sandbox [--port N] [--host 127.0.0.1]
  synthetics journeys                 list the journeys
Configuration comes from the environment and .env (see .env.example).`;

export interface RunArgs {
  once: boolean;
  every?: string;
  baseUrl?: string;
  project: 'api' | 'browser' | 'all';
  journeys: string[];
  results?: string;
  targets: Array<{ name: string; baseUrl: string; canary?: boolean }>;
  cycles?: number;
}

export function parseRunArgs(argv: string[]): RunArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        once: { type: 'boolean', default: false },
        every: { type: 'string' },
        'base-url': { type: 'string' },
        project: { type: 'string', default: 'all' },
        journey: { type: 'string', multiple: true },
        results: { type: 'string' },
        target: { type: 'string', multiple: true },
        targets: { type: 'string' },
        cycles: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UserFacingError(`${(e as Error).message}\n${USAGE}`);
  }
  const project = values.project as RunArgs['project'];
  if (!['api', 'browser', 'all'].includes(project)) throw new UserFacingError(`--project "${project}": must be api, browser or all`);
  if (values.once === (values.every !== undefined)) throw new UserFacingError(`synthetics run needs exactly one of --once or --every DURATION\n${USAGE}`);
  if (values.targets && values.target) throw new UserFacingError('use --target NAME=URL or --targets FILE, not both');
  const fromFlags = (values.target ?? []).map((t) => {
    const at = t.indexOf('=');
    const [name, url] = [t.slice(0, at), t.slice(at + 1)];
    if (at < 0 || !isLabel(name) || !isBaseUrl(url) || /\s/.test(url)) {
      throw new UserFacingError(`--target "${t}": must be NAME=URL, e.g. --target canary=https://canary.example.test`);
    }
    return { name, baseUrl: normalizeBaseUrl(url) };
  });
  const targets = values.targets ? loadTargetsFile(values.targets) : fromFlags;
  const cycles = values.cycles === undefined ? undefined : Number(values.cycles);
  if (cycles !== undefined && !(Number.isInteger(cycles) && cycles > 0)) throw new UserFacingError(`--cycles "${values.cycles}": must be a positive whole number`);
  return {
    once: values.once ?? false,
    every: values.every,
    baseUrl: values['base-url'],
    project,
    journeys: (values.journey ?? []).flatMap((j) => j.split(',')).map((j) => j.trim()).filter(Boolean),
    results: values.results,
    targets,
    cycles,
  };
}
