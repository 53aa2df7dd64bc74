import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ServerMetrics } from '../ops/server-metrics.ts';

/** Counts requests by matched route pattern (not raw path, so ids do not explode cardinality). */
export function requestMetrics(metrics: ServerMetrics, now: () => number): MiddlewareHandler {
  return async (c, next) => {
    const started = now();
    await next();
    // The route that ran last (after next() that is the one that answered or threw), not the last
    // one matched: the /api catch-all matches every API path and would label them all '/api/*'.
    const route = routePath(c) || 'unmatched';
    metrics.httpRequests.inc({ route, method: c.req.method, status: String(c.res.status) });
    metrics.httpSeconds.observe((now() - started) / 1000, { route });
  };
}
