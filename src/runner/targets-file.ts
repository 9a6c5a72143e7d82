import { readFileSync } from 'node:fs';
import { strictAjv } from '../config/ajv.ts';
import { UserFacingError } from '../core/errors.ts';
import type { TargetSpec } from './targets.ts';

const SCHEMA = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['name', 'url'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
      url: { type: 'string', pattern: '^https?://[^\\s/]+' },
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
    const problems = (validate.errors ?? []).map((e) => {
      const [index, field] = e.instancePath.split('/').slice(1);
      const where = index === undefined ? '' : `item ${Number(index) + 1}${field ? ` ${field}` : ''} `;
      const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
      return `targets file ${path}: ${where}${e.message}${extra} (e.g. [{"name": "canary", "url": "https://canary.example.test"}])`;
    });
    throw new UserFacingError([...new Set(problems)].join('\n'));
  }
  const specs = (data as Array<{ name: string; url: string; canary?: boolean }>).map((t) => ({
    name: t.name, baseUrl: t.url.replace(/\/+$/, ''), canary: t.canary,
  }));
  const names = specs.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UserFacingError(`targets file ${path}: target name "${dup}" appears twice (names are Pushgateway groups and must be unique)`);
  return specs;
}
