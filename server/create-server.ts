import type { Context, Hono, MiddlewareHandler } from 'hono';
import { createA2AGateway } from './a2a/a2a-gateway.ts';
import { presentsBearerKey } from './a2a/a2a-auth.ts';
import { mountA2ARoutes } from './a2a/routes.ts';
import { createTaskEvents } from './a2a/task-events.ts';
import { chainVerifiers, createApiKeyVerifier } from './auth/credentials.ts';
import { createNonceService } from './auth/nonces.ts';
import { createTokenService } from './auth/tokens.ts';
import { unknownKeyThrottle } from './auth/unknown-key-throttle.ts';
import { createApp, type Readiness } from './app.ts';
import type { Secrets } from './bootstrap-secrets.ts';
import type { Config } from './config.ts';
import type { AuthEnv } from './http/auth-middleware.ts';
import { arrivedOverHttps, clientAddress } from './http/client-address.ts';
import { iceServersFor } from './ice-config.ts';
import type { Logger } from './ops/logger.ts';
import { createServerMetrics, type ServerMetrics } from './ops/server-metrics.ts';
import { createPairingService, type PairingService } from './pairing/pairing-service.ts';
import { mountPairingRoutes } from './pairing/routes.ts';
import { CloseCode } from '../protocol/index.ts';
import { createRegistry, type Registry } from './registry/registry.ts';
import { mountRegistryRoutes } from './registry/routes.ts';
import { compressResponses } from './http/compression.ts';
import { createPeerLabels } from './registry/peer-labels.ts';
import { createTopology } from './registry/topology.ts';
import { createCluster, type ClusterLink } from './signaling/cluster.ts';
import { createSignalingRelay, type SignalingRelay } from './signaling/signaling-relay.ts';
import { createMemoryStore } from './store/memory-store.ts';
import type { Store } from './store/store.ts';
import { mountTaskRoutes } from './tasks/routes.ts';
import { createTaskPush } from './tasks/task-push.ts';
import { createTaskQueue, type TaskQueue } from './tasks/task-queue.ts';
import { VERSION } from './version.ts';

export interface ServerDeps {
  config: Config;
  secrets: Pick<Secrets, 'apiKeys' | 'jwtSecret'>;
  logger: Logger;
  serveHub?: MiddlewareHandler;
  /** The entries pass the configured store (startup.ts); in-process tests default to memory. */
  store?: Store;
  /** Epoch ms; tests inject a movable clock. */
  now?: () => number;
  /** Background sweeps (health, task expiry) every this many ms; 0 disables (tests call `sweep`). */
  sweepIntervalMs?: number;
}

export interface TabmeshServer {
  app: Hono<AuthEnv>;
  relay: SignalingRelay;
  metrics: ServerMetrics;
  store: Store;
  registry: Registry;
  tasks: TaskQueue;
  pairing: PairingService;
  setReadiness(state: Readiness): void;
  /** One pass of the background work: offline detection, agent removal, task expiry/assignment. */
  sweep(): Promise<void>;
  /**
   * Closes sockets with 1001 and stops timers at once; closes the store only after `drained`
   * settles (the entry's listener has answered its last request), so no late request reads a
   * closed store (the memory store forgets everything on close: it would answer "no agents").
   */
  shutdown(drained?: Promise<unknown>): Promise<void>;
}

/** The socket's remote address as the runtime saw it (Node: env.incoming; Deno: env.remoteAddr). */
function peerAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname ?? 'unknown';
}

/** Composition root shared by both runtime entries: wires config, store, auth, signaling relay and routes. */
export async function createTabmeshServer(deps: ServerDeps): Promise<TabmeshServer> {
  const { config, logger } = deps;
  let proxyHinted = false;
  const clientIp = (c: Context) => {
    if (config.trustProxy.kind === 'none' && !proxyHinted && (c.req.header('x-forwarded-for') || c.req.header('forwarded'))) {
      // Once per process: behind a proxy every client would otherwise share one limit.
      proxyHinted = true;
      logger.warn('requests carry X-Forwarded-For/Forwarded but TABMESH_TRUST_PROXY is not set: per-client limits count the proxy as one client (docs/operations.md, Client address)');
    }
    return clientAddress(peerAddress(c), c.req.raw.headers, config.trustProxy);
  };
  const now = deps.now ?? Date.now;
  const store = deps.store ?? (config.redisUrl ? (await import('./store/redis-store.ts')).createRedisStore(config.redisUrl) : createMemoryStore(now));
  if (config.store === 'memory') logger.warn('TABMESH_STORE=memory: devices, pairings, tasks and revocations are kept in memory only; nothing survives a restart');
  const metrics = createServerMetrics();
  const taskTransitions = metrics.registry.counter('tabmesh_task_transitions_total', 'Task state transitions, by new state');
  const tokens = createTokenService(deps.secrets.jwtSecret, config.tokenTtlSeconds, now);
  const registry = createRegistry({ store, now });
  const topology = createTopology({ store, registry, now });
  // The relay is created below; revocation needs it, so close over a late binding.
  let relay!: SignalingRelay;
  const pairing = createPairingService({ store, now, onRevoke: async (cid) => void relay.revoke(cid) });
  const verifyCredential = chainVerifiers(await createApiKeyVerifier(deps.secrets.apiKeys), pairing.verifyDeviceToken);
  const ice = (peerId: string) => iceServersFor(config, peerId, now());
  const taskEvents = createTaskEvents();
  const tasks = createTaskQueue({
    store, registry, now,
    push: (mesh, peerId, frame) => taskPush.push(mesh, peerId, frame),
    isConnected: (mesh, peerId) => relay.isPresent(mesh, peerId),
    onTransition: (state, task) => {
      taskTransitions.inc({ state });
      taskEvents.emit(task);
    },
  });
  const heartbeat = (mesh: string, peerId: string, load?: number) =>
    registry.heartbeat(mesh, peerId, load).catch((err: unknown) => logger.warn('heartbeat not stored', { err }));
  relay = createSignalingRelay({
    tokens, logger, metrics, now,
    maxPeersPerMesh: config.maxPeersPerMesh,
    maxFrameBytes: config.maxFrameBytes,
    rateLimitPerSec: config.rateLimitPerSec,
    presenceIntervalMs: config.presenceIntervalMs,
    relayBytesPerSec: config.relayBytesPerSec,
    authTimeoutMs: config.authTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    hooks: {
      isRevoked: pairing.isRevoked,
      iceServersFor: (s) => ice(s.peerId),
      onJoin: (s) => void heartbeat(s.mesh, s.peerId),
      onHeartbeat: (s, load) => void heartbeat(s.mesh, s.peerId, load),
      onLinkReport: (s, links) => void topology.report(s.mesh, s.peerId, links).catch((err: unknown) => logger.warn('link report not stored', { err })),
    },
  });
  // Several instances share state only through Redis; a single in-memory instance needs no fan-out.
  let cluster: ClusterLink | undefined;
  const taskPush = createTaskPush({
    route: (mesh, peerId, frame) => void relay.push(mesh, peerId, frame),
    sendLocal: relay.clusterHandlers.deliver,
    isLocal: (mesh, peerId) => !cluster?.hasRemote(mesh, peerId) && relay.peers(mesh).some((p) => p.peerId === peerId),
    claim: (task) => tasks.claimDelivery(task),
    logger,
  });
  if (config.redisUrl) {
    cluster = await createCluster({ store, logger, handlers: { ...relay.clusterHandlers, deliver: taskPush.deliver } });
    relay.attachCluster(cluster);
  }
  let readiness: Readiness = 'starting';
  const app = createApp({
    config, logger, metrics, tokens, verifyCredential, nonces: createNonceService(store, now), isRevoked: pairing.isRevoked, relay, iceServersFor: ice,
    readiness: () => readiness, storeHealthy: () => store.healthy(), version: VERSION, startedAt: now(), now,
    serveHub: deps.serveHub, compress: compressResponses(),
    keyThrottle: unknownKeyThrottle(store, clientIp),
    isHttps: (c) => arrivedOverHttps(c.req.url, peerAddress(c), c.req.raw.headers, config.trustProxy),
    mountRoot: (root) => mountA2ARoutes(root, {
      tokens, verifyCredential, isRevoked: pairing.isRevoked, registry, version: VERSION, maxBodyBytes: 2 * 1024 * 1024, corsOrigins: config.corsOrigins,
      keyThrottle: unknownKeyThrottle(store, clientIp, (c) => presentsBearerKey(c.req.header('authorization'))),
      gateway: createA2AGateway({ tasks, registry, store, events: taskEvents, isConnected: (mesh, peerId) => relay.peers(mesh).some((p) => p.peerId === peerId) }),
      connectedPeers: (mesh) => new Set(relay.peers(mesh).map((p) => p.peerId)),
      publicUrl: (c) => config.publicUrl ?? new URL(c.req.url).origin,
    }),
    mount: (api, auth) => {
      mountRegistryRoutes(api, auth, { registry, tasks, topology, relay, labelPeers: createPeerLabels({ credentialOf: relay.credentialOf, listDevices: pairing.listDevices }) });
      mountTaskRoutes(api, auth, { tasks, maxBodyBytes: 2 * 1024 * 1024 });
      mountPairingRoutes(api, auth, {
        pairing, clientIp,
        publicUrl: (c) => config.publicUrl ?? new URL(c.req.url).origin,
      });
    },
  });

  const sweep = async () => {
    for (const { mesh, peerId } of await registry.sweep()) {
      // Connected but silent: its heartbeats stopped, so treat the socket as dead.
      if (relay.kick(mesh, peerId, CloseCode.timeout, 'heartbeat timeout')) logger.info('peer went offline', { mesh, peerId });
    }
    await tasks.sweep(await store.list<string>('meshes'));
  };
  const interval = deps.sweepIntervalMs ?? 5000;
  const timer = interval > 0
    ? setInterval(() => void sweep().catch((err: unknown) => logger.warn('sweep failed', { err })), interval)
    : undefined;
  (timer as { unref?: () => void } | undefined)?.unref?.();

  return {
    app, relay, metrics, store, registry, tasks, pairing, sweep,
    setReadiness: (s) => void (readiness = s),
    async shutdown(drained) {
      clearInterval(timer);
      relay.closeAll(CloseCode.goingAway, 'server shutting down');
      await drained;
      await cluster?.close();
      await store.close();
    },
  };
}
