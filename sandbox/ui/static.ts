import { readFileSync } from 'node:fs';
import type { Router } from 'express';
import type { Deps } from '../deps.ts';
import { param } from '../http/params.ts';

// Read once at start: the two files are tiny, and serving them from memory
// keeps static requests as fast as the API.
const FILES: Record<string, { type: string; body: Buffer }> = {
  'app.js': { type: 'text/javascript; charset=utf-8', body: load('app.js') },
  'app.css': { type: 'text/css; charset=utf-8', body: load('app.css') },
};

export function staticRoutes(r: Router, deps: Deps): void {
  r.get('/static/:file', deps.gate, (req, res, next) => {
    const file = FILES[param(req, 'file')];
    if (!file) return next();
    res.set('cache-control', 'no-cache').type(file.type).send(file.body);
  });
}

function load(name: string): Buffer {
  return readFileSync(new URL(`./static/${name}`, import.meta.url));
}
