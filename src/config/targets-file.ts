import { readFileSync } from 'node:fs';
import { ajvProblems, inputPath } from '../core/ajv-errors.ts';
import { strictAjv } from '../core/ajv.ts';
import { UserFacingError } from '../core/errors.ts';
import { LABEL_PATTERN, URL_PATTERN, normalizeBaseUrl } from '../core/labels.ts';
import type { TargetSpec } from '../core/target.ts';

const SCHEMA = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['name', 'url'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: LABEL_PATTERN },
      url: { type: 'string', pattern: URL_PATTERN },
      canary: { type: 'boolean' },
    },
  },
};

/**
 * `--targets FILE`: the targets of one runner as JSON, `[{"name": "canary", "url": "https://…",
 * "canary": true}, …]` (a ConfigMap mounts it as a file). `canary` defaults to name === "canary".
 */
export function loadTargetsFile(path: string): TargetSpec[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not valid JSON (${(e as Error).message})`;
    throw new UserFacingError(`targets file ${path}: ${reason}`);
  }
  const validate = strictAjv().compile(SCHEMA);
  if (!validate(data)) {
    const problems = ajvProblems(validate.errors, data).map((p) =>
      `targets file ${path}: ${[inputPath(p.path), p.message].filter(Boolean).join(' ')} (e.g. [{"name": "canary", "url": "https://canary.example.test"}])`);
    throw new UserFacingError(problems.join('\n'));
  }
  const specs = (data as Array<{ name: string; url: string; canary?: boolean }>).map((t) => ({
    name: t.name, baseUrl: normalizeBaseUrl(t.url), canary: t.canary,
  }));
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UserFacingError(`targets file ${path}: target name "${dup}" appears twice (names are Pushgateway groups and must be unique)`);
  return specs;
}
