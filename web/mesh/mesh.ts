import { KEY_PEER_ID_PATTERN } from '../../protocol/index.ts';
import { createEmitter } from './emitter.ts';
import { MeshError } from './errors.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './channel/framing.ts';
import { createLinkAuthenticator } from './link/link-identity.ts';
import { DEFAULT_MAX_LINKS } from './link/link-budget.ts';
import { createLinkReporter } from './link/link-reporter.ts';
import { makeMessage, type MeshSend } from './calls/message-factory.ts';
import { createMessageRouter } from './routing/message-router.ts';
import { createMeshCalls } from './calls/mesh-calls.ts';
import type { Mesh, MeshEvents, MeshOptions } from './mesh-types.ts';
import type { PeerRoute, RouteInfo } from './routing/peer-route.ts';
import { createSealKeys } from './routing/seal-keys.ts';
import { createMeshPeers } from './mesh-peers.ts';
import { createPendingRequests } from './calls/pending-requests.ts';
import { clockOf } from './platform.ts';
import { createSharedTimers } from './shared-timers.ts';
import { createSignalingClient } from './signaling/signaling-client.ts';
import { createLazyTaskRunner } from './calls/lazy-task-runner.ts';
import { parseTask } from './calls/task-payload.ts';

export type { CallOptions, CallResult, ChatResult, Mesh, MeshEvents, MeshOptions, PeerInfo, PingResult } from './mesh-types.ts';

/** Creates a mesh peer on the injected platform; call `start()` to join. */
export function createMesh(opts: MeshOptions): Mesh {
  const clock = clockOf(opts.platform);
  const events = createEmitter<MeshEvents>();
  const p2p = opts.p2p ?? true;
  const maxLinks = opts.maxLinks ?? DEFAULT_MAX_LINKS[opts.peerKind ?? 'node'];
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const routes = new Map<string, PeerRoute>();
  let localId: string | undefined;
  let relaySession = 0;
  let msgId = 0;
  let stopped = false;
  let iceServers: RTCIceServer[] = [];

  const signaling = createSignalingClient({
    url: opts.signalingUrl ?? `${opts.url.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`,
    platform: opts.platform,
    getToken: opts.getToken,
    ...(opts.reconnect ? { backoff: opts.reconnect } : {}),
    ...(opts.refreshLeadMs === undefined ? {} : { refreshLeadMs: opts.refreshLeadMs }),
    ...(opts.heartbeatMs === undefined ? {} : { heartbeatMs: opts.heartbeatMs }),
    load: () => router.running() + tasks.running(),
  });

  const send: MeshSend = (peerId, msg) => {
    if (stopped) return Promise.reject(new MeshError('stopped', 'the mesh is stopped'));
    const route = routes.get(peerId);
    if (!route) return Promise.reject(new MeshError('unknown-peer', `peer "${peerId}" is not in the mesh`, { peerId }));
    return route.send(msg);
  };
  // Every call sets a timeout on both ends and nearly always clears it: one shared platform timer.
  const callTimers = createSharedTimers(clock);
  const pending = createPendingRequests(send, callTimers);
  const router = createMessageRouter({
    localId: () => localId ?? '',
    host: opts.host,
    send,
    pending,
    clock: callTimers,
    ...(opts.maxTaskMs === undefined ? {} : { maxTaskMs: opts.maxTaskMs }),
    onStatus: (peerId, payload) => events.emit('status', { peerId, ...payload }),
    onRemoteError: (peerId, p) => events.emit('error', { code: p.code, message: p.message, peerId }),
  });
  const tasks = createLazyTaskRunner({
    url: opts.url,
    host: opts.host,
    fetch: opts.platform.fetch,
    getToken: opts.getToken,
    clock,
    localId: () => localId,
    ...(opts.maxConcurrentTasks === undefined ? {} : { maxConcurrent: opts.maxConcurrentTasks }),
    ...(opts.maxTaskMs === undefined ? {} : { maxTaskMs: opts.maxTaskMs }),
    onError: (e) => events.emit('error', e),
  });
  const reporter = createLinkReporter({
    clock,
    intervalMs: opts.linkReportMs ?? 10_000,
    collect: () => [...routes.values()].map((r) => r.info).filter((i) => i.sessions > 0 || i.tier === 'fallback'),
    send: (links, identityFailures) => signaling.send({ type: 'link-report', payload: { links, ...(identityFailures.length ? { identityFailures } : {}) } }),
    probe: async () => {
      await Promise.all([...routes.values()].filter((r) => r.info.state === 'open').map((r) => mesh.ping(r.peerId).catch(() => undefined)));
    },
  });

  const auth = createLinkAuthenticator({
    ...(opts.identity ? { identity: opts.identity } : {}),
    ...(opts.pins ? { pins: opts.pins } : {}),
    ...(opts.pinPolicy ? { pinPolicy: opts.pinPolicy } : {}),
  });

  const peers = createMeshPeers({
    opts, clock, events, signaling, routes, pending, router, reporter, auth, sealKeys: createSealKeys(), p2p, maxLinks, maxMessageBytes,
    localId: () => localId,
    relaySession: () => relaySession,
    iceServers: () => iceServers,
    nextMsgId: () => (msgId = (msgId + 1) >>> 0),
    stopped: () => stopped,
    probe: (peerId, timeoutMs) => mesh.ping(peerId, { timeoutMs }),
  });
  const { roles } = peers;

  /** A key-derived id must be our key's hash, else every peer refuses our DataChannels: say so. */
  async function checkOwnId(peerId: string): Promise<void> {
    const own = (await auth.identity()).peerId;
    if (own !== peerId) events.emit('error', { code: 'identity-mismatch', message: `the server calls this peer "${peerId}" but its identity key stands for "${own}": peers will refuse its DataChannels (pass the key behind the id as \`identity\`)` });
  }

  let started: { resolve(v: { peerId: string; mesh: string; peers: string[] }): void; reject(e: MeshError): void } | undefined;

  signaling.on('welcome', ({ frame, resumed }) => {
    if (localId !== frame.peerId && KEY_PEER_ID_PATTERN.test(frame.peerId)) void checkOwnId(frame.peerId);
    localId = frame.peerId;
    iceServers = frame.iceServers;
    relaySession++;
    const listed = new Set(frame.peers.map((p) => p.peerId));
    // An incomplete list (a large mesh) names neighbours, not everyone: silence about a peer is not news.
    if (frame.complete ?? true) {
      for (const route of [...routes.values()]) {
        if (listed.has(route.peerId)) continue;
        route.present = false;
        peers.probeOrRemove(route, 'left the mesh while signaling was down');
      }
    }
    // Links to the listed peers in the server's order (neighbours first), up to the link budget;
    // the rest are reachable on demand. Healthy links are left alone: connect() is a no-op unless idle.
    let budget = maxLinks - peers.activeLinks();
    for (const p of frame.peers) {
      const route = peers.join(p);
      if ((opts.autoConnect ?? true) && route.link.state === 'idle' && budget > 0) (route.connect(), budget--);
    }
    for (const route of routes.values()) route.signalingChanged();
    events.emit('signaling', { state: 'open', resumed });
    started?.resolve({ peerId: frame.peerId, mesh: frame.mesh, peers: frame.peers.map((p) => p.peerId) });
    started = undefined;
  });
  signaling.on('peer-joined', (p) => peers.join(p).rejoined());
  signaling.on('peer-left', ({ peerId }) => {
    const route = routes.get(peerId);
    if (!route) return;
    route.present = false;
    peers.probeOrRemove(route, 'left the mesh');
    peers.scheduleTopUp();
  });
  signaling.on('signal', (frame) => {
    if (!stopped) peers.ensureRoute(frame.from).handleSignal(frame);
  });
  signaling.on('relay', ({ from, payload }) => {
    if (!stopped) peers.ensureRoute(from).handleRelay(payload);
  });
  signaling.on('task', (frame) => {
    if (stopped) return;
    if (frame.type === 'task-assigned') return tasks.assigned(frame.payload);
    const parsed = parseTask(frame.payload);
    if (!parsed.ok) return events.emit('error', { code: 'bad-task', message: parsed.message });
    // Pushed to the assignee when the server ended a task it runs: abort it; not a task of ours to report.
    if (parsed.value.targetPeer === localId) tasks.ended(parsed.value);
    if (parsed.value.targetPeer !== localId || parsed.value.submitter === localId) events.emit('task-updated', parsed.value);
  });
  signaling.on('server-error', (e) => {
    const route = e.code === 'unknown-peer' && e.ref ? routes.get(e.ref) : undefined;
    if (route && route.link.state !== 'open') peers.removePeer(route.peerId, 'is not in the mesh');
    events.emit('error', e);
  });
  signaling.on('disconnected', ({ code, reason }) => {
    for (const route of routes.values()) route.signalingChanged();
    events.emit('signaling', { state: 'connecting', code, reason });
  });
  signaling.on('fatal', (err) => {
    started?.reject(err);
    started = undefined;
    void mesh.stop();
    events.emit('fatal', err);
  });

  const calls = createMeshCalls({ clock, pending, routes, localId: () => localId });

  const mesh: Mesh = {
    on: events.on,
    get peerId() {
      return localId;
    },
    start() {
      if (stopped) return Promise.reject(new MeshError('stopped', 'the mesh is stopped'));
      return new Promise((resolve, reject) => {
        started = { resolve, reject };
        signaling.start();
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const err = new MeshError('stopped', 'the mesh is stopping');
      reporter.stop();
      peers.stopTopUp();
      peers.stopRouting();
      for (const route of routes.values()) {
        if (route.link.state !== 'idle') signaling.send({ type: 'bye', to: route.peerId, payload: { reason: 'stop' } });
      }
      pending.failAll(err);
      router.stop();
      callTimers.dispose();
      const reported = tasks.stop();
      for (const route of routes.values()) route.close(err);
      routes.clear();
      signaling.stop();
      started?.reject(err);
      events.emit('signaling', { state: 'stopped' });
      // Server-assigned tasks cut short are reported failed, so their submitters need not wait for the TTL.
      await reported;
    },
    peers: () => [...routes.values()].map((r) => ({ peerId: r.peerId, role: roles.get(r.peerId), present: r.present, link: r.info })),
    links: () => [...routes.values()].map((r) => r.info),
    relayStats: () => peers.relayStats(),
    connect(peerId, o = {}) {
      const route = routes.get(peerId);
      if (!route) return Promise.reject(new MeshError('unknown-peer', `peer "${peerId}" is not in the mesh`, { peerId }));
      return new Promise((resolve, reject) => {
        const done = (info: RouteInfo) => {
          if (info.state === 'connecting') return false;
          off();
          clock.clear(timer);
          if (info.state === 'open') resolve(info);
          else reject(route.error ?? new MeshError('peer-left', `peer "${peerId}" left`, { peerId }));
          return true;
        };
        const off = route.on('change', done);
        const timer = clock.set(() => (off(), reject(new MeshError('timeout', `no route to ${peerId} within ${o.timeoutMs ?? 10_000} ms`, { peerId }))), o.timeoutMs ?? 10_000);
        route.connect();
        done(route.info);
      });
    },
    ...calls,
    setStatus(status) {
      for (const route of routes.values()) {
        if (route.info.state === 'open') void send(route.peerId, makeMessage(localId ?? '', route.peerId, 'status', status)).catch(() => undefined);
      }
    },
  };
  return mesh;
}
