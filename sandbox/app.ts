// Assembles the sandbox: one Express app with the contract's API and pages,
// the reusable health middleware, and the /__sandbox control surface.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { Analytics } from './analytics.ts';
import { apiRouter } from './api/index.ts';
import { CONTROL_PREFIX, controlRouter } from './control/index.ts';
import { resolveAccounts } from './defaults.ts';
import type { Deps } from './deps.ts';
import { faultGate } from './faults/gate.ts';
import { FaultRegistry } from './faults/registry.ts';
import { healthEndpoints } from './health/index.ts';
import { isE2e, requestContext } from './http/context.ts';
import { describe, notFound, sendError } from './http/errors.ts';
import './http/locals.ts';
import { securityHeaders } from './http/security-headers.ts';
import { RequestLog } from './request-log.ts';
import { Sessions } from './sessions.ts';
import { Store } from './store.ts';
import { Tokens } from './tokens.ts';
import { errorPage } from './ui/layout.ts';
import { uiRouter } from './ui/index.ts';

export interface SandboxAppOptions {
  /** Reported by GET /health; defaults to package.json's version. */
  version?: string;
  /** Defaults to env BUILD_ID, else "sandbox". */
  buildId?: string;
  /** Defaults to env GIT_SHA, else "0000000". */
  gitSha?: string;
  /** Where SYNTH_*, BUILD_ID, GIT_SHA and SANDBOX_TOKEN_SECRET are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface SandboxApp {
  app: express.Express;
  store: Store;
  deps: Deps;
}

const CANARY_AGENT = /^ScholarshipAI-Canary\//;

export function createSandboxApp(options: SandboxAppOptions = {}): SandboxApp {
  const env = options.env ?? process.env;
  const store = new Store(resolveAccounts(env));
  const faults = new FaultRegistry();
  const deps: Deps = {
    store,
    // A fresh secret per process unless pinned: tokens from an earlier run must not work.
    tokens: new Tokens(env.SANDBOX_TOKEN_SECRET || randomBytes(32).toString('hex')),
    sessions: new Sessions(),
    faults,
    analytics: new Analytics(),
    requestLog: new RequestLog(),
    readiness: { db: true, search: true },
    gate: faultGate(faults),
  };
  const health = healthEndpoints({
    version: options.version ?? packageVersion(),
    buildId: options.buildId ?? (env.BUILD_ID || 'sandbox'),
    gitSha: options.gitSha ?? (env.GIT_SHA || '0000000'),
    readinessChecks: {
      db: () => deps.readiness.db,
      search: () => deps.readiness.search,
    },
    isSynthetic: (req) => isE2e(req.query.e2e) || CANARY_AGENT.test(req.get('user-agent') ?? ''),
  });

  const app = express();
  app.disable('x-powered-by');
  // Lets a test on loopback say "this came over HTTPS" with X-Forwarded-Proto.
  app.set('trust proxy', 'loopback');

  app.use(requestContext, securityHeaders);
  // Before the health middleware and the request log: driving the sandbox is not traffic.
  app.use(CONTROL_PREFIX, controlRouter(deps));
  app.use(health.observe);
  app.use(deps.requestLog.middleware);
  app.use(['/health', '/ready', '/metrics'], deps.gate);
  app.use(health.router);
  app.use('/api', apiRouter(deps));
  app.use(uiRouter(deps));
  app.use(deps.gate, fallbackNotFound);
  app.use(finalErrorHandler);
  return { app, store, deps };
}

const fallbackNotFound: RequestHandler = (req, res) => {
  if (req.accepts(['json', 'html']) === 'html') {
    errorPage(res, 404, 'Page not found', 'There is nothing at this address.');
  } else {
    throw notFound('Resource');
  }
};

// Pages get an HTML error page, everything else the contract's JSON body.
const finalErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) return;
  const { status, code, message, headers } = describe(err);
  if (status >= 500) console.error(err);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html') {
    errorPage(res, status, status >= 500 ? 'Something went wrong' : 'Request refused', message);
  } else {
    sendError(res, status, code, message);
  }
};

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
