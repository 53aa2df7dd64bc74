import type { MiddlewareHandler } from 'hono';
import type { Hono } from 'hono';
import { chainVerifiers, createApiKeyVerifier } from './auth/credentials.ts';
import { createTokenService } from './auth/tokens.ts';
import { createApp, type Readiness } from './app.ts';
import type { Secrets } from './bootstrap-secrets.ts';
import type { Config } from './config.ts';
import type { AuthEnv } from './http/auth-middleware.ts';
import { iceServersFor } from './ice-config.ts';
import type { Logger } from './ops/logger.ts';
import { createServerMetrics, type ServerMetrics } from './ops/server-metrics.ts';
import { createSignalingHub, type SignalingHub } from './signaling/signaling-hub.ts';
import { VERSION } from './version.ts';

export interface ServerDeps {
  config: Config;
  secrets: Pick<Secrets, 'apiKeys' | 'jwtSecret'>;
  logger: Logger;
  serveHub?: MiddlewareHandler;
  now?: () => number;
}

export interface TabmeshServer {
  app: Hono<AuthEnv>;
  hub: SignalingHub;
  metrics: ServerMetrics;
  setReadiness(state: Readiness): void;
  /** Closes sockets with 1001 and releases timers; the entry closes its listener. */
  shutdown(): void;
}

/** Composition root shared by both runtime entries: wires config, auth, hub and routes. */
export async function createTabmeshServer(deps: ServerDeps): Promise<TabmeshServer> {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = createServerMetrics();
  const tokens = createTokenService(deps.secrets.jwtSecret, config.tokenTtlSeconds, now);
  const verifyCredential = chainVerifiers(await createApiKeyVerifier(deps.secrets.apiKeys));
  const isRevoked = async (_cid: string) => false;
  const ice = (peerId: string) => iceServersFor(config, peerId, now());
  let readiness: Readiness = 'starting';
  const hub = createSignalingHub({
    tokens, logger, metrics, now,
    maxPeersPerMesh: config.maxPeersPerMesh,
    maxFrameBytes: config.maxFrameBytes,
    rateLimitPerSec: config.rateLimitPerSec,
    authTimeoutMs: config.authTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    hooks: { isRevoked, iceServersFor: (s) => ice(s.peerId) },
  });
  const app = createApp({
    config, logger, metrics, tokens, verifyCredential, isRevoked, hub, iceServersFor: ice,
    readiness: () => readiness, version: VERSION, startedAt: now(), now, serveHub: deps.serveHub,
  });
  return {
    app, hub, metrics,
    setReadiness: (s) => void (readiness = s),
    shutdown: () => hub.closeAll(1001, 'server shutting down'),
  };
}
