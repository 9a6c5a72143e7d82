import type { ErrorRequestHandler, Response } from 'express';

// The contract's one error shape, wherever the error comes from.
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message, requestId: res.locals.requestId } });
}

/** Thrown by handlers and validators; the error handler turns it into the contract body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

// body-parser errors carry `type` and `status`: a malformed JSON body must get
// the contract's 400, never Express's HTML error page.
export const jsonErrorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (res.headersSent) return;
  const { status, code, message, headers } = describe(err);
  if (status >= 500) console.error(err);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendError(res, status, code, message);
};

export function describe(err: unknown): {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
} {
  if (err instanceof ApiError) {
    return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  }
  const e = err as { status?: unknown; type?: unknown; message?: unknown };
  if (e?.status === 413 || e?.type === 'entity.too.large') {
    return { status: 413, code: 'payload_too_large', message: 'Request body is too large', headers: {} };
  }
  if (typeof e?.type === 'string' && e.type.startsWith('entity.')) {
    return {
      status: 400,
      code: 'invalid_request',
      message: e.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : String(e.message),
      headers: {},
    };
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, code: 'invalid_request', message: String(e.message), headers: {} };
  }
  return { status: 500, code: 'internal_error', message: 'Internal server error', headers: {} };
}
