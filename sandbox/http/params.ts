import type { Request } from 'express';

// Express 5 types every path parameter as string | string[] (wildcards give
// arrays); the sandbox's routes only use plain `:name` segments.
export function param(req: Request, name: string): string {
  const value = req.params[name];
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}
