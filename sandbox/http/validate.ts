// Body validation that reports every problem at once, each naming the field,
// so one 400 tells the caller all it has to fix.
import { ApiError } from './errors.ts';

/** Returns the reason a value is wrong, or undefined when it is fine. */
export type Rule = (value: unknown) => string | undefined;

export const string =
  (opts: { minLength?: number; maxLength?: number; pattern?: RegExp; patternHint?: string } = {}): Rule =>
  (v) => {
    if (typeof v !== 'string') return 'must be a string';
    if (opts.minLength !== undefined && v.length < opts.minLength) {
      return `must be at least ${opts.minLength} characters`;
    }
    if (opts.maxLength !== undefined && v.length > opts.maxLength) {
      return `must be at most ${opts.maxLength} characters`;
    }
    if (opts.pattern && !opts.pattern.test(v)) return opts.patternHint ?? 'has the wrong format';
    return undefined;
  };

export const integer =
  (opts: { min?: number; max?: number } = {}): Rule =>
  (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return 'must be an integer';
    if (opts.min !== undefined && v < opts.min) return `must be at least ${opts.min}`;
    if (opts.max !== undefined && v > opts.max) return `must be at most ${opts.max}`;
    return undefined;
  };

export const number =
  (opts: { min?: number; max?: number } = {}): Rule =>
  (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number';
    if (opts.min !== undefined && v < opts.min) return `must be at least ${opts.min}`;
    if (opts.max !== undefined && v > opts.max) return `must be at most ${opts.max}`;
    return undefined;
  };

export const plainObject = (): Rule => (v) =>
  isPlainObject(v) ? undefined : 'must be an object';

export const literal =
  (...allowed: string[]): Rule =>
  (v) =>
    typeof v === 'string' && allowed.includes(v)
      ? undefined
      : `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`;

export const optional =
  (rule: Rule): Rule =>
  (v) =>
    v === undefined ? undefined : rule(v);

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Checks `body` against `spec`; throws one 400 invalid_request listing every problem. */
export function validate<T>(body: unknown, spec: Record<string, Rule>): T {
  if (!isPlainObject(body)) {
    throw new ApiError(400, 'invalid_request', 'Request body must be a JSON object');
  }
  const problems = problemsOf(body, spec);
  if (problems.length > 0) {
    throw new ApiError(400, 'invalid_request', `Invalid request body: ${problems.join('; ')}`);
  }
  return body as T;
}

export function problemsOf(body: Record<string, unknown>, spec: Record<string, Rule>): string[] {
  const problems: string[] = [];
  for (const [field, rule] of Object.entries(spec)) {
    const value = body[field];
    const reason = value === undefined && !isOptional(rule, value) ? 'is required' : rule(value);
    if (reason) problems.push(`"${field}" ${reason}`);
  }
  return problems;
}

function isOptional(rule: Rule, value: unknown): boolean {
  return rule(value) === undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
