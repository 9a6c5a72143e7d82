/**
 * The gate over HTTP, for rollout tooling (node:http, no framework). The status codes are the
 * interface, because each tool reads them its own way:
 *
 * - `GET /api/v1/decision?phase=P[&profile=NAME]`: Argo Rollouts' web metric provider. Always 200
 *   with the GateResult plus `pass` and `rollback`: Argo reads a non-2xx as a measurement *error*
 *   (and enough of them in a row abort the rollout), never as a failure, so the verdict is in the body.
 *   A `decide` that throws or overruns answers `hold` (never go, never roll back on a mistake).
 * - `POST /flagger/gate?phase=P`: Flagger's confirm-traffic-increase / confirm-promotion (and
 *   rollout) webhooks. 200 only on go; 412 with the reasons otherwise; 500 when `decide` failed.
 *   `phase=current`: the phase is the canary's weight now (gate/flagger-step.ts); weight 0 is a go
 *   (nothing to watch before the first step); `hook=confirm-promotion` on the promotion hook.
 * - `POST /flagger/rollback?phase=P|current`: Flagger's rollback webhook, where any 2xx means "roll
 *   back now": 200 only while a rollback trigger holds, 404 otherwise (and 500 on an error).
 * - `since=TIME` (ISO 8601 or epoch seconds) on the decision routes, or Flagger's `metadata.since`:
 *   when the phase began; otherwise the first time the gate was asked (gate/phase-start.ts).
 * - `GET /health`: 200 `{status: "ok"}`; `GET /metrics`: the gate's own metrics (gate/gate-metrics.ts).
 *   Neither is behind the token: probes and Prometheus scrape them, and they carry no evidence.
 * - Any other GET the caller's `pages` answers (the ship-room page and its JSON, built above the
 *   gate and handed in, so the gate imports nothing that shows it).
 *
 * With a token, everything but /health needs `Authorization: Bearer <token>` (compared in constant
 * time); a browser, which cannot add a header to a page load, opens `/?token=…` once and gets the
 * token as an HttpOnly cookie instead (the URL is then replaced without it). Flagger cannot send headers to a webhook (its CRD has none: only a `metadata` map of
 * strings, which it posts in the JSON body), so the Flagger routes also accept the token as
 * `metadata.token` in that body. The token is never echoed, nor logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { log } from '../src/core/log.ts';
import { scrub } from '../src/core/scrub.ts';
import { withTimeout } from '../src/core/timeout.ts';
import type { Decision, GateResult } from './decision-types.ts';
import { flaggerPayloadOf, keepGo, lastGo, staleAfterGo, type FlaggerHook, type FlaggerPayload, type WeightReader } from './flagger-step.ts';
import { GateMetrics } from './gate-metrics.ts';
import type { Ledger } from './ledger.ts';
import { PHASE_PERCENTS } from './runbook.ts';
import { bearerOf, cookieTokenOf, MAX_BODY_BYTES, metadataTokenOf, readBody, redact, sameSecret, TOKEN_COOKIE } from './request-auth.ts';
import { hookProblem, phaseProblem, profileProblem, sinceProblem } from './request-params.ts';

export { sinceOf } from './request-params.ts';

/** The phases the routes take: the runbook's own. */
export const PHASES = PHASE_PERCENTS;
const DECISIONS: readonly Decision[] = ['go', 'hold', 'rollback'];
/** A `decide` still running after this long is an error (hold for Argo, 500 for Flagger). */
export const DEFAULT_DECIDE_TIMEOUT_MS = 20_000;

export interface GateServerOptions {
  /** Interface to listen on (default 127.0.0.1; in a pod, 0.0.0.0). */
  host?: string;
  /** 0: a free port. */
  port: number;
  /** When set, every route but /health needs it (Bearer header, or Flagger's `metadata.token`). */
  token?: string;
  /**
   * The gate itself: called once per request, never cached here. `ask.since`: when the caller says
   * the phase began; `ask.record`: a rollout tool asked, so a phase not yet begun begins now.
   */
  decide: (phase: number, profile: string | undefined, ask: DecideAsk) => Promise<GateResult>;
  /** `phase=current` on the Flagger routes: the canary's weight (undefined: those calls are refused). */
  canaryWeight?: WeightReader;
  /** Where Flagger's last go per canary is kept (gate/flagger-step.ts); needed with `canaryWeight`. */
  ledger?: Ledger;
  /** Bound on one `decide` call (default 20 s): past it the request is answered as an error. */
  decideTimeoutMs?: number;
  /** GET routes beyond the gate's own (pages and their data); undefined: no such route. Behind the token too. */
  pages?: (url: URL) => Promise<PageReply | undefined>;
}

/** A page route's answer: any body and type (HTML, JSON, a script, an image). */
export interface PageReply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

export interface DecideAsk {
  since?: number;
  record: boolean;
}


export interface GateServer {
  url: string;
  /**
   * Stops accepting; requests in flight may finish for up to `graceMs` (default 0: cut at once),
   * so a rollout tool's call that reached a stopping replica still gets its answer.
   */
  close(graceMs?: number): Promise<void>;
}

interface Route {
  method: 'GET' | 'POST';
  handle: (ctx: RequestContext) => Promise<Reply>;
}

interface RequestContext {
  /** A runbook phase, or `current` (Flagger routes: the canary's weight). */
  phase: number | 'current';
  profile: string | undefined;
  since?: number;
  /** Flagger's payload (POST routes), parsed only when `phase=current` needs it. */
  body?: string;
  /** Which Flagger hook asks (`hook=`), for `phase=current`. */
  hook: FlaggerHook;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

class DecideError extends Error {
  override name = 'DecideError';
}

/** The first line of whatever was thrown, scrubbed, bounded: what a response or a log line may carry. */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  const line = text.split(/\r?\n/, 1)[0]!.trim() || 'unknown error';
  return scrub(line.length > 300 ? `${line.slice(0, 297)}...` : line);
}

function isGateResult(value: unknown): value is GateResult {
  const r = value as GateResult | null;
  return typeof r === 'object' && r !== null && DECISIONS.includes(r.decision) && typeof r.reason === 'string';
}

/** What a halted Flagger hook shows in its event: the sentence and every check that did not pass. */
function reasonsOf(result: GateResult): string[] {
  const failing = (result.checks ?? [])
    .filter((c) => c.ok !== true)
    .map((c) => `${c.name}: ${c.ok === false ? 'failed' : 'undetermined'}: ${c.reason}`);
  return [result.reason, ...failing].slice(0, 25);
}

const summaryOf = (result: GateResult) => ({
  decision: result.decision,
  reason: result.reason,
  phase: result.phase,
  profile: result.profile,
  reasons: reasonsOf(result),
});


export async function startGateServer(opts: GateServerOptions): Promise<GateServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token === '' ? undefined : opts.token;
  const decideTimeoutMs = opts.decideTimeoutMs ?? DEFAULT_DECIDE_TIMEOUT_MS;
  const metrics = new GateMetrics();

  async function decide(phase: number, ctx: RequestContext, route: string): Promise<GateResult> {
    const started = performance.now();
    try {
      const result = await withTimeout(
        Promise.resolve().then(() => opts.decide(phase, ctx.profile, { since: ctx.since, record: true })),
        decideTimeoutMs,
        () => new DecideError(`decide did not answer within ${decideTimeoutMs} ms`),
      );
      if (!isGateResult(result)) throw new DecideError('decide returned no valid decision');
      metrics.decided(route, phase, result.profile, result.decision, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      metrics.failed(route, (performance.now() - started) / 1000);
      const reason = firstLine(err);
      log(`gate: ${route} phase=${phase} profile=${ctx.profile ?? '(default)'}: ${reason}`);
      throw new DecideError(reason);
    }
  }

  const routes: Record<string, Route> = {
    '/api/v1/decision': {
      method: 'GET',
      async handle(ctx) {
        const phase = ctx.phase as number; // `current` is refused on this route before it gets here
        try {
          const result = await decide(phase, ctx, 'GET /api/v1/decision');
          return { status: 200, body: { ...result, pass: result.decision === 'go', rollback: result.decision === 'rollback' } };
        } catch (err) {
          // Argo reads a 5xx as a measurement error; a mistake here must read as "not yet", never as go or rollback.
          const reason = (err as Error).message;
          return {
            status: 200,
            body: {
              decision: 'hold', reason, phase, profile: ctx.profile ?? null,
              window: null, freshness: [], checks: [], error: true, pass: false, rollback: false,
            },
          };
        }
      },
    },
    // Flagger reads a 2xx as "yes": go for the gate hooks, "roll back now" for the rollback hook.
    '/flagger/gate': flaggerRoute('POST /flagger/gate', 'go', 412),
    '/flagger/rollback': flaggerRoute('POST /flagger/rollback', 'rollback', 404),
  };

  /**
   * `phase=current`: the runbook phase the canary's weight is at, or the answer to give instead
   * (weight 0 or an unknown weight; a weight sample older than the last go). Never a yes by mistake:
   * what cannot be read is a no (412 on the gate route, 404 on the rollback route).
   */
  async function currentPhase(ctx: RequestContext, yes: Decision, otherwise: number): Promise<{ phase: number; payload: FlaggerPayload } | Reply> {
    const no = (reason: string): Reply => ({ status: otherwise, body: { decision: 'hold', reason, phase: 'current', profile: ctx.profile ?? null, reasons: [reason] } });
    const payload = flaggerPayloadOf(ctx.body);
    if (typeof payload === 'string') return { status: 400, body: { error: payload } };
    if (!opts.canaryWeight || !opts.ledger) return no('phase=current needs the Prometheus that scrapes Flagger (gate --prometheus URL) to read flagger_canary_weight');
    let weight;
    try {
      weight = await opts.canaryWeight({ namespace: payload.namespace, workload: payload.workload });
    } catch (err) {
      return no(`cannot read the canary's weight: ${firstLine(err)}`);
    }
    if (!weight) return no(`no flagger_canary_weight{workload="${payload.workload}",namespace="${payload.namespace}"} in Prometheus: scrape Flagger, or set metadata.workload to the Canary's targetRef name`);
    if (weight.weight !== 0 && !PHASES.includes(weight.weight as (typeof PHASES)[number])) {
      return no(`the canary's weight is ${weight.weight}, not a runbook phase (${PHASES.join(', ')}): set the Canary's stepWeights to the runbook's phases`);
    }
    if (yes === 'go') {
      try {
        const last = await lastGo(opts.ledger, payload);
        if (staleAfterGo(weight, last, ctx.hook)) {
          return no(`waiting for a flagger_canary_weight sample newer than the gate's last go (${new Date(last!.at).toISOString()} at weight ${last!.weight}): the one read says ${weight.weight}, scraped at ${new Date(weight.sampledAt).toISOString()}`);
        }
      } catch (err) {
        return no(`cannot read the gate's last go from ${opts.ledger.where}: ${firstLine(err)}`);
      }
    }
    if (weight.weight === 0) {
      const reason = 'no traffic on the canary yet: nothing to watch before the first step';
      if (yes !== 'go') return no(reason);
      return kept(payload, 0, { status: 200, body: { decision: 'go', reason, phase: 0, profile: ctx.profile ?? null } }, otherwise);
    }
    return { phase: weight.weight, payload };
  }

  /** A go to Flagger's `phase=current`, once it is kept: one not kept could be given twice for one step (gate/flagger-step.ts). */
  async function kept(payload: FlaggerPayload, weight: number, reply: Reply, otherwise: number): Promise<Reply> {
    try {
      await keepGo(opts.ledger!, payload, Date.now(), weight);
      return reply;
    } catch (err) {
      const reason = `go, but it could not be kept in ${opts.ledger!.where} (${firstLine(err)}): asking again next interval`;
      return { status: otherwise, body: { decision: 'hold', reason, reasons: [reason] } };
    }
  }

  /** 200 with the verdict when the decision is `yes`, `otherwise` with its summary; 500 on an error (Flagger halts). */
  function flaggerRoute(label: string, yes: GateResult['decision'], otherwise: number): Route {
    return {
      method: 'POST',
      async handle(ctx) {
        let phase: number;
        let payload: FlaggerPayload | undefined;
        if (ctx.phase === 'current') {
          const current = await currentPhase(ctx, yes, otherwise);
          if ('status' in current) return current;
          ({ phase, payload } = current);
        } else {
          phase = ctx.phase;
        }
        let result: GateResult;
        try {
          result = await decide(phase, ctx, label);
        } catch (err) {
          return { status: 500, body: { error: (err as Error).message } };
        }
        if (result.decision !== yes) return { status: otherwise, body: summaryOf(result) };
        const reply = { status: 200, body: result };
        return payload && yes === 'go' ? kept(payload, phase, reply, otherwise) : reply;
      },
    };
  }

  function send(res: http.ServerResponse, reply: Reply): void {
    // Belt and braces: whatever `decide` or an error message carried, the token never leaves.
    const text = `${JSON.stringify(token ? redact(reply.body, token) : reply.body)}\n`;
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-length': String(Buffer.byteLength(text)),
      ...reply.headers,
    });
    res.end(text);
  }

  function sendPage(res: http.ServerResponse, page: PageReply): void {
    const body = token && typeof page.body === 'string' ? page.body.split(token).join('[redacted]') : page.body;
    res.writeHead(page.status, {
      'content-type': page.contentType,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-length': String(Buffer.byteLength(body)),
      ...page.headers,
    });
    res.end(body);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gate.invalid');
    const method = req.method ?? 'GET';

    if (url.pathname === '/health') {
      if (method !== 'GET') return send(res, { status: 405, body: { error: `${method} /health is not allowed: use GET` }, headers: { allow: 'GET' } });
      return send(res, { status: 200, body: { status: 'ok' } });
    }
    if (url.pathname === '/metrics' && method === 'GET') {
      const text = await metrics.registry.metrics();
      return sendPage(res, { status: 200, body: text, contentType: metrics.registry.contentType });
    }
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (!route && method === 'GET' && opts.pages) {
      if (token) {
        // A browser's first visit: the token once in the URL, then as a cookie, and the URL without it.
        const offered = url.searchParams.get('token');
        if (offered !== null && sameSecret(offered, token)) {
          url.searchParams.delete('token');
          res.writeHead(303, { location: url.pathname + url.search, 'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' });
          return void res.end();
        }
        const given = bearerOf(req) ?? cookieTokenOf(req);
        if (given === undefined || !sameSecret(given, token)) {
          return send(res, { status: 401, body: { error: 'missing or wrong token: open /?token=<token> once in the browser, or send "Authorization: Bearer <token>"' }, headers: { 'www-authenticate': 'Bearer' } });
        }
      }
      const page = await opts.pages(url);
      if (page) return sendPage(res, page);
    }
    if (!route) {
      return send(res, {
        status: 404,
        body: { error: `no route ${url.pathname}: the routes are GET /api/v1/decision, POST /flagger/gate, POST /flagger/rollback, GET /health, GET /metrics` },
      });
    }
    if (method !== route.method) {
      return send(res, {
        status: 405,
        body: { error: `${method} ${url.pathname} is not allowed: use ${route.method}` },
        headers: { allow: route.method },
      });
    }

    // Read (and so drain) a POST body first: Flagger's token may be in it.
    const body = method === 'POST' ? await readBody(req) : undefined;
    if (method === 'POST' && body === undefined) {
      return send(res, { status: 413, body: { error: `request body over ${MAX_BODY_BYTES} bytes: a Flagger webhook payload is a few hundred` } });
    }
    if (token) {
      const bearer = bearerOf(req) ?? cookieTokenOf(req);
      const given = bearer ?? (method === 'POST' ? metadataTokenOf(body) : undefined);
      if (given === undefined || !sameSecret(given, token)) {
        return send(res, {
          status: 401,
          body: { error: 'missing or wrong token: send "Authorization: Bearer <token>" (Flagger webhooks: metadata.token)' },
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
    }

    const { since, problem: sinceWrong } = sinceProblem(url, body);
    const problem = phaseProblem(url, url.pathname, method === 'POST') ?? profileProblem(url) ?? sinceWrong ?? hookProblem(url);
    if (problem) return send(res, { status: 400, body: { error: problem } });
    const profile = url.searchParams.get('profile') || undefined;
    const phaseText = url.searchParams.get('phase')!;
    const hook = (url.searchParams.get('hook') ?? 'confirm-traffic-increase') as FlaggerHook;
    const reply = await route.handle({ phase: phaseText === 'current' ? 'current' : Number(phaseText), profile, since, body, hook });
    metrics.answered(`${method} ${url.pathname}`, reply.status);
    send(res, reply);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug here, not in decide: still one line, still a JSON answer, never a go.
      log(`gate: ${req.method} ${req.url?.split('?')[0]}: ${firstLine(err)}`);
      if (!res.headersSent) send(res, { status: 500, body: { error: 'internal error in the gate server' } });
      else res.destroy();
    });
  });
  // Bound what a slow or stuck client can hold open (decide itself is bounded by decideTimeoutMs).
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${shownHost}:${address.port}`,
    close: (graceMs = 0) =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        if (graceMs <= 0) server.closeAllConnections();
        else setTimeout(() => server.closeAllConnections(), graceMs).unref();
      }),
  };
}
