// What reached the sandbox, as the checks sent it: lets a test prove that its
// runner tagged every request (user agent, synthetic id, traceparent, e2e=1).
import type { RequestHandler } from 'express';

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  userAgent: string | null;
  syntheticId: string | null;
  traceparent: string | null;
  /** Filled in when the response finishes; null while in flight or if the client went away. */
  status: number | null;
  requestId: string;
  receivedAt: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];

  constructor(private readonly maxEntries = 10_000) {}

  /** Mount after the request id is set. */
  readonly middleware: RequestHandler = (req, res, next) => {
    const entry: LoggedRequest = {
      method: req.method,
      path: req.path,
      query: { ...(req.query as Record<string, unknown>) },
      userAgent: req.get('user-agent') ?? null,
      syntheticId: req.get('x-synthetic-id') ?? null,
      traceparent: req.get('traceparent') ?? null,
      status: null,
      requestId: res.locals.requestId,
      receivedAt: new Date().toISOString(),
    };
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) this.entries.shift();
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    next();
  };

  list(): LoggedRequest[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}
