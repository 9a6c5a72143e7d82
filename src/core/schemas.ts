import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { ajvProblems, dottedPath } from './ajv-errors.ts';
import { strictAjv } from './ajv.ts';
import { SchemaLoadError } from './errors.ts';

export interface SchemaVerdict {
  ok: boolean;
  /** One line per problem: the field and what was expected; never the value itself. */
  problems: string[];
}

export const SCHEMAS_DIR = new URL('../../schemas/', import.meta.url).pathname;

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
    const problems = ajvProblems(fn.errors, body).map((p) => `field "${dottedPath(p.path, '(body)')}" ${p.message}`);
    return { ok: false, problems };
  }
}
