import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { strictAjv } from '../config/ajv.ts';
import { SchemaLoadError } from './errors.ts';

export interface SchemaVerdict {
  ok: boolean;
  /** One line per problem: the field and what was expected; never the value itself. */
  problems: string[];
}

export const SCHEMAS_DIR = new URL('../../schemas/', import.meta.url).pathname;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** `/items/0/title` → `items[0].title`. */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(body)';
}

function valueAt(body: unknown, instancePath: string): unknown {
  let cur: unknown = body;
  for (const p of instancePath.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function describeError(err: ErrorObject, body: unknown): string {
  if (err.keyword === 'required') {
    return `field "${fieldPath(err.instancePath, String(err.params.missingProperty))}" is missing`;
  }
  const field = fieldPath(err.instancePath);
  if (err.keyword === 'type') {
    return `field "${field}" must be ${String(err.params.type)}, got ${typeOf(valueAt(body, err.instancePath))}`;
  }
  return `field "${field}" ${err.message ?? 'is invalid'}`;
}

/**
 * Every schema in schemas/, compiled once at start in ajv strict mode. A broken schema stops
 * the run here, naming its file.
 */
export class SchemaRegistry {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly hashes = new Map<string, string>();

  constructor(dir: string = SCHEMAS_DIR) {
    const ajv = strictAjv();
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort();
    } catch {
      throw new SchemaLoadError(dir, 'schema folder not found');
    }
    const loaded: Array<{ file: string; id: string }> = [];
    for (const file of files) {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      let schema: { $id?: unknown };
      try {
        schema = JSON.parse(text) as { $id?: unknown };
      } catch (e) {
        throw new SchemaLoadError(relative(process.cwd(), path), `not valid JSON (${(e as Error).message})`);
      }
      const id = typeof schema.$id === 'string' ? schema.$id : file.replace(/\.schema\.json$/, '');
      try {
        ajv.addSchema(schema as object, id);
      } catch (e) {
        throw new SchemaLoadError(relative(process.cwd(), path), (e as Error).message);
      }
      this.hashes.set(id, createHash('sha256').update(text).digest('hex').slice(0, 12));
      loaded.push({ file: relative(process.cwd(), path), id });
    }
    // Compile eagerly so a schema that only fails on compile (bad $ref, strict-mode keyword) names its file now.
    for (const { file, id } of loaded) {
      try {
        const fn = ajv.getSchema(id);
        if (!fn) throw new Error('could not be compiled');
        this.validators.set(id, fn);
      } catch (e) {
        throw new SchemaLoadError(file, (e as Error).message);
      }
    }
  }

  has(name: string): boolean {
    return this.validators.has(name);
  }

  names(): string[] {
    return [...this.validators.keys()];
  }

  /** Short content hash: results and reports name the exact schema version a body was held to. */
  hash(name: string): string | undefined {
    return this.hashes.get(name);
  }

  validate(name: string, body: unknown): SchemaVerdict {
    const fn = this.validators.get(name);
    if (!fn) throw new Error(`unknown schema "${name}" (known: ${this.names().join(', ')})`);
    if (fn(body)) return { ok: true, problems: [] };
    const problems = [...new Set((fn.errors ?? []).map((e) => describeError(e, body)))];
    return { ok: false, problems };
  }
}
