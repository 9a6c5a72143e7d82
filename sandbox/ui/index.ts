import { Router, type RequestHandler } from 'express';
import type { Deps } from '../deps.ts';
import { applicationPages } from './pages/application.ts';
import { dashboardPages } from './pages/dashboard.ts';
import { loginPages } from './pages/login.ts';
import { paymentPages } from './pages/payments.ts';
import { scholarshipPages } from './pages/scholarship.ts';
import { searchPages } from './pages/search.ts';
import { uiSession } from './session.ts';
import { staticRoutes } from './static.ts';

/** The server-rendered web UI, its script and its style. */
export function uiRouter(deps: Deps): Router {
  const r = Router();
  staticRoutes(r, deps);
  r.use(uiSession(deps));
  r.use(countPageViews(deps));
  searchPages(r, deps);
  scholarshipPages(r, deps);
  loginPages(r, deps);
  applicationPages(r, deps);
  dashboardPages(r, deps);
  paymentPages(r, deps);
  return r;
}

// A page view is an HTML page served successfully, whichever handler served it.
function countPageViews(deps: Deps): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET') {
      res.on('finish', () => {
        if (res.statusCode === 200 && String(res.getHeader('content-type')).startsWith('text/html')) {
          deps.analytics.record('pageViews', res.locals.synthetic);
        }
      });
    }
    next();
  };
}
