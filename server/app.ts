import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { routePath } from 'hono/route';
import type { CredentialVerifier } from './auth/credentials.ts';
import type { NonceService } from './auth/nonces.ts';
import { mountTokenRoutes } from './auth/token-routes.ts';
import type { TokenService } from './auth/tokens.ts';
import type { Config } from './config.ts';
import { requireAuth, type AuthEnv } from './http/auth-middleware.ts';
import { HttpError } from './http/http-error.ts';
import { requestMetrics } from './http/request-metrics.ts';
import { securityHeaders } from './http/security-headers.ts';
import type { Logger } from './ops/logger.ts';
import type { ServerMetrics } from './ops/server-metrics.ts';
import type { IceServer } from '../protocol/index.ts';
import { pagePeers } from './signaling/peer-pages.ts';
import type { SignalingRelay } from './signaling/signaling-relay.ts';
import { StoreUnavailableError } from './store/store.ts';

export type Readiness = 'starting' | 'ready' | 'draining';

/**
 * Refusals of `POST /api/token` where the caller could not prove the key behind a peer id: the
 * server checked these itself, so they feed `tabmesh_identity_failures_total` (what peers report
 * about each other goes to a separate, unverified series).
 */
const KEY_PROOF_FAILURES = new Set(['identity-required', 'identity-mismatch', 'bad-nonce', 'bad-signature']);

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: ServerMetrics;
  tokens: TokenService;
  verifyCredential: CredentialVerifier;
  nonces: NonceService;
  isRevoked(cid: string): Promise<boolean>;
  relay: SignalingRelay;
  iceServersFor(peerId: string): Promise<IceServer[]>;
  readiness(): Readiness;
  /** Extra readiness probe (the store); resolves false when a dependency is down. */
  storeHealthy?(): Promise<boolean>;
  version: string;
  startedAt: number;
  now: () => number;
  /** Serves the hub's static files; injected because each runtime reads files its own way. */
  serveHub?: MiddlewareHandler;
  /** Compresses responses (gzip/brotli); injected because the codecs come from the runtime. */
  compress?: MiddlewareHandler;
  /** Mounts feature routes (control plane) under /api; each gets the auth middleware factory. */
  mount?: (api: Hono<AuthEnv>, auth: (roles?: Array<'admin' | 'agent'>) => MiddlewareHandler<AuthEnv>) => void;
  /** Runs before every route that takes an `X-API-Key` (throttles unknown keys per client). */
  keyThrottle?: MiddlewareHandler;
  /** Whether a request arrived over HTTPS (HSTS is sent only then); defaults to the URL's scheme. */
  isHttps?: (c: Context) => boolean;
  /** Mounts routes outside /api that do their own auth (the A2A card and gateway). */
  mountRoot?: (app: Hono<AuthEnv>) => void;
}

/** Builds the Hono app: routes only, Web APIs only, no sockets or files. */
export function createApp(deps: AppDeps): Hono<AuthEnv> {
  const { config, logger, metrics, tokens } = deps;
  const app = new Hono<AuthEnv>();
  const auth = (roles?: Array<'admin' | 'agent'>) => requireAuth(tokens, deps.isRevoked, roles);

  app.use('*', requestMetrics(metrics, deps.now));
  if (deps.compress) app.use('*', deps.compress);
  app.use('*', secureHeaders({ crossOriginEmbedderPolicy: false, crossOriginOpenerPolicy: false, strictTransportSecurity: false }));
  app.use('*', securityHeaders(deps.isHttps ?? ((c) => c.req.url.startsWith('https:'))));
  if (config.corsOrigins.length) {
    app.use('/api/*', cors({ origin: config.corsOrigins, allowHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'X-Pairing-Secret'], maxAge: 600 }));
  }

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      metrics.rejections.inc({ reason: `http-${err.status}` });
      if (KEY_PROOF_FAILURES.has(err.code) && c.req.path === '/api/token') metrics.identityFailures.inc({ reason: err.code });
      return c.json(err.body(), err.status);
    }
    if (err instanceof StoreUnavailableError) {
      metrics.rejections.inc({ reason: 'store-unavailable' });
      // The operator needs the cause (Redis down, the database's disk full or read-only): the client only gets 503.
      logger.warn('store unavailable', { route: routePath(c), cause: err.message });
      return c.json({ error: { code: 'store-unavailable', message: 'the state store is unreachable; retry shortly' } }, 503);
    }
    // The route pattern, not the path: a path can carry an invite code (DELETE /api/invites/:code).
    logger.error('unhandled error', { err, route: routePath(c) });
    return c.json({ error: { code: 'internal', message: 'internal server error' } }, 500);
  });

  app.get('/health', (c) =>
    c.json({ status: 'ok' as const, version: deps.version, uptimeSeconds: Math.floor((deps.now() - deps.startedAt) / 1000) }),
  );
  app.get('/ready', async (c) => {
    const state = deps.readiness();
    if (state !== 'ready') return c.json({ status: state }, 503);
    if (deps.storeHealthy && !(await deps.storeHealthy())) return c.json({ status: 'store-unavailable' }, 503);
    return c.json({ status: 'ready' });
  });
  const keyThrottle: MiddlewareHandler = deps.keyThrottle ?? ((_c, next) => next());
  app.get('/metrics', keyThrottle, async (c) => {
    // Scrapers cannot refresh short-lived JWTs, so an admin API key is accepted here as well.
    const key = c.req.header('x-api-key');
    if (key) {
      const cred = await deps.verifyCredential(key);
      if (!cred) throw new HttpError(401, 'unauthorized', 'unknown API key');
      if (cred.role !== 'admin' || (await deps.isRevoked(cred.cid))) throw new HttpError(403, 'forbidden', 'requires an admin key');
      return c.text(metrics.registry.render(), 200, { 'content-type': 'text/plain; version=0.0.4' });
    }
    // Throws on a refused token. No `next`: the hub's fallback would stat and read index.html for it.
    await auth(['admin'])(c, async () => {});
    return c.text(metrics.registry.render(), 200, { 'content-type': 'text/plain; version=0.0.4' });
  });

  deps.mountRoot?.(app);
  const api = new Hono<AuthEnv>();
  api.use('/token', keyThrottle);
  api.use('/token/nonce', keyThrottle);
  mountTokenRoutes(api, { tokens, nonces: deps.nonces, verifyCredential: deps.verifyCredential, isRevoked: deps.isRevoked });
  api.get('/whoami', auth(), (c) => c.json(c.var.auth));
  api.get('/peers', auth(), (c) => c.json(pagePeers(deps.relay.peers(c.var.auth.mesh), c.req.query('limit'), c.req.query('after'))));
  api.get('/config', auth(), async (c) =>
    c.json({
      iceServers: await deps.iceServersFor(c.var.auth.sub),
      limits: { maxFrameBytes: config.maxFrameBytes, ratePerSec: config.rateLimitPerSec, maxPeersPerMesh: config.maxPeersPerMesh, relayBytesPerSec: config.relayBytesPerSec },
    }),
  );
  deps.mount?.(api, auth);
  api.all('*', () => {
    throw new HttpError(404, 'not-found', 'no such API route');
  });
  app.route('/api', api);

  if (deps.serveHub) app.use('*', deps.serveHub);
  app.notFound((c) => c.json({ error: { code: 'not-found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  return app;
}
