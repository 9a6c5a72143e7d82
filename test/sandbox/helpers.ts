import { after, before } from 'node:test';
// Shared plumbing for the sandbox tests: a sandbox on a free port, and small
// fetch wrappers that return status, headers and the parsed body together.
import { SANDBOX_ACCOUNTS, type AccountKind } from '../../sandbox/defaults.ts';
import { startSandbox, type RunningSandbox } from '../../sandbox/server.ts';

export { SANDBOX_ACCOUNTS };

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is, for malformed bodies. */
  rawBody?: string;
  headers?: Record<string, string>;
  cookie?: string;
}

export async function start(): Promise<RunningSandbox> {
  // Pinned empty so the tests use the documented defaults whatever the shell exports.
  return startSandbox({ port: 0, env: {} });
}

/**
 * A sandbox for the file's tests: started before them, closed after. `ready` receives it (the
 * tests keep `base` and, where they inspect the store, the sandbox itself).
 */
export function useSandbox(ready: (sandbox: RunningSandbox) => void): void {
  let running: RunningSandbox | undefined;
  before(async () => {
    running = await start();
    ready(running);
  });
  after(() => running?.close());
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(base + path, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown = undefined;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export async function login(base: string, kind: AccountKind) {
  const { email, password } = SANDBOX_ACCOUNTS[kind];
  const reply = await call(base, 'POST', '/api/auth/login', { body: { email, password } });
  if (reply.status !== 200) throw new Error(`login ${kind} failed: ${reply.status} ${reply.text}`);
  return reply.body as { user: { id: string }; accessToken: string; refreshToken: string; expiresIn: number };
}

export interface Browserish {
  cookie: string;
  csrf: string;
  location: string | null;
  status: number;
}

/** The web UI's form login, as a browser would post it; returns the cookies it set. */
export async function formLogin(base: string, kind: AccountKind, query = '', next?: string): Promise<Browserish> {
  const { email, password } = SANDBOX_ACCOUNTS[kind];
  const form = new URLSearchParams({ email, password });
  if (next !== undefined) form.set('next', next);
  const res = await fetch(`${base}/login${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  await res.text();
  const cookies = res.headers.getSetCookie();
  const pairs = cookies.map((c) => c.split(';')[0]);
  const csrf = pairs.find((p) => p.startsWith('csrf_token='))?.slice('csrf_token='.length) ?? '';
  return { cookie: pairs.join('; '), csrf: decodeURIComponent(csrf), location: res.headers.get('location'), status: res.status };
}

export async function firstScholarshipId(base: string): Promise<string> {
  const reply = await call(base, 'GET', '/api/scholarships?pageSize=1');
  return reply.body.items[0].id;
}

export function assertErrorBody(body: any, code: string): void {
  if (!body || typeof body !== 'object' || !body.error) throw new Error(`not an error body: ${JSON.stringify(body)}`);
  const { error } = body;
  if (error.code !== code) throw new Error(`expected error code ${code}, got ${error.code}`);
  if (typeof error.message !== 'string' || !error.message) throw new Error('error.message missing');
  if (typeof error.requestId !== 'string' || !error.requestId) throw new Error('error.requestId missing');
}
