import type { ErrorObject } from 'ajv';

/**
 * One ajv error as the parts a one-line problem needs: where (decoded path segments, the missing
 * or unexpected property included) and what was expected. Values are never quoted back (a value
 * may be a secret); only their JSON type.
 */
export interface AjvProblem {
  path: string[];
  message: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** JSON Pointer segments, unescaped: `/LATENCY_BUDGETS/~1api~1x` → `['LATENCY_BUDGETS', '/api/x']`. */
function segments(pointer: string): string[] {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, path: string[]): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function ajvProblem(err: ErrorObject, data?: unknown): AjvProblem {
  const path = segments(err.instancePath);
  switch (err.keyword) {
    case 'required':
      return { path: [...path, String(err.params.missingProperty)], message: 'is missing' };
    case 'additionalProperties':
      return { path, message: `must NOT have additional properties (${String(err.params.additionalProperty)})` };
    case 'type':
      return { path, message: `must be ${String(err.params.type)}, got ${typeOf(valueAt(data, path))}` };
    case 'enum':
      return { path, message: `must be one of ${(err.params.allowedValues as unknown[]).join(', ')}` };
    default:
      // A bad property name is reported by its own error (with propertyName); this one only wraps it.
      return { path: err.propertyName === undefined ? path : [...path, err.propertyName], message: err.message ?? 'is invalid' };
  }
}

/** Every error once, in order; `propertyNames` wrappers dropped (their cause is its own error). */
export function ajvProblems(errors: ErrorObject[] | null | undefined, data?: unknown): AjvProblem[] {
  const seen = new Set<string>();
  const out: AjvProblem[] = [];
  for (const err of errors ?? []) {
    if (err.keyword === 'propertyNames') continue;
    const p = ajvProblem(err, data);
    const key = `${p.path.join('\u0000')}|${p.message}`;
    if (!seen.has(key)) out.push(p), seen.add(key);
  }
  return out;
}

/** `['items', '0', 'title']` → `items[0].title`; the empty path is `(root)`. */
export function dottedPath(path: readonly string[], root = '(root)'): string {
  return path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || root;
}

/**
 * A path inside user input, as a person reads it: `item 2` for list entries (1-based), a plain
 * name for fields, `key "/api/x"` for map keys that are not plain names.
 */
export function inputPath(path: readonly string[]): string {
  return path.map((p) => (/^\d+$/.test(p) ? `item ${Number(p) + 1}` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(p) ? p : `key "${p}"`)).join(' ');
}
